"""The task flags of the model-level subcommands, turned into :func:`lrlab.tutorial.build_task`'s keywords.

Shared by ``lrlab find`` and ``lrlab sweep``: :func:`add_task_arguments` adds ``--data
--model --optimizer --batch-size --seed --device`` (and the torchrun flags), and
:func:`task_kwargs` checks them — naming the flag in every message, before torch is
imported — and returns plain keywords; the builder itself lives in the library.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from lrlab._checks import check_int, check_positive
from lrlab.cli.user_task import TASK_HELP, TutorialFlag
from lrlab.tutorial.task import EMBEDDED_DATA, MAX_SEED, MODELS, OPTIMIZERS

__all__ = ["OPTIMIZERS", "add_task_arguments", "task_kwargs", "fit_batch_size"]


def add_task_arguments(p: argparse.ArgumentParser) -> None:
    """Add the task flags; defaults are the tutorial's set-up. ``--task`` replaces them (and refuses them)."""
    p.add_argument("--task", default=None, metavar="FILE.py[:FN]", help=TASK_HELP)
    p.add_argument(
        "--data",
        action=TutorialFlag,
        default=EMBEDDED_DATA,
        metavar="mnist|DIR",
        help="'mnist' for the 5,000 embedded digits, or a folder with MNIST IDX files (default: mnist)",
    )
    p.add_argument(
        "--model",
        action=TutorialFlag,
        default="mlp",
        choices=MODELS,
        help="mlp is the tutorial's SimpleNet (default: mlp)",
    )
    p.add_argument(
        "--optimizer",
        action=TutorialFlag,
        default="sgd",
        choices=OPTIMIZERS,
        help="sgd, momentum (SGD, momentum 0.9) or adam (default: sgd)",
    )
    p.add_argument(
        "--batch-size",
        action=TutorialFlag,
        type=int,
        default=128,
        metavar="N",
        help="batch size; larger than the data set: the whole set (default: 128)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the model's weights and the batch order (with --task: of Python, NumPy and torch before "
        "the task is built)",
    )
    p.add_argument(
        "--device",
        action=TutorialFlag,
        default="auto",
        metavar="DEV",
        help="cpu, cuda, cuda:1 ... (default: cuda if available)",
    )
    g = p.add_argument_group("distributed (when launched by torchrun)")
    g.add_argument(
        "--backend",
        action=TutorialFlag,
        choices=("gloo", "nccl"),
        default=None,
        help="process-group backend (default: nccl on CUDA, gloo on the CPU)",
    )
    g.add_argument(
        "--dist-timeout",
        action=TutorialFlag,
        type=float,
        default=None,
        metavar="S",
        help="seconds a rank waits for the others before failing (default: 120)",
    )


def task_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Check the task flags and return them as ``build_task`` keywords (``lr`` and ``ddp`` aside).

    The numeric flags and the ``--data`` folder are checked without importing torch;
    ``--device`` is resolved last (that needs torch).

    Raises:
        ValueError: Naming the flag, for a bad batch size, seed, timeout, data folder or device.
        FileNotFoundError: For a ``--data`` folder that does not exist.
    """
    from lrlab.tutorial.data import find_mnist_files

    check_int("--batch-size", args.batch_size, minimum=1)
    check_int("--seed", args.seed, minimum=0, maximum=MAX_SEED)
    if args.dist_timeout is not None:
        check_positive("--dist-timeout", args.dist_timeout)
    if args.data != EMBEDDED_DATA:
        find_mnist_files(args.data)
    from lrlab.tutorial.task import resolve_device

    device = resolve_device(args.device, name="--device")
    return {
        "data": args.data,
        "model": args.model,
        "optimizer": args.optimizer,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "device": device,
    }


def fit_batch_size(
    kwargs: dict[str, Any], ctx: Any, *, data_parallel: bool = True, command: str = "lrlab"
) -> dict[str, Any]:
    """``kwargs`` with a ``--batch-size`` larger than the training set clamped to it, saying so on stderr.

    Asking for more digits per batch than there are means "the whole set per step": that
    is what the command then does, and the note says so (on rank 0). Under DDP with
    ``data_parallel`` the limit is one rank's share of the set.
    """
    from lrlab.tutorial.data import EMBEDDED, mnist_size

    source = EMBEDDED if kwargs["data"] == EMBEDDED_DATA else kwargs["data"]
    n = mnist_size(source, "train")
    ranks = ctx.world_size if ctx.distributed and data_parallel else 1
    share = math.ceil(n / ranks)
    if kwargs["batch_size"] <= share:
        return kwargs
    if ctx.is_main:
        of = f"the {n:,} training digits" + (f" over {ranks} ranks" if ranks > 1 else "")
        print(
            f"{command}: note: --batch-size {kwargs['batch_size']:,} is larger than {of}; using {share:,}",
            file=sys.stderr,
        )
    return {**kwargs, "batch_size": share}
