"""The training task a model-level subcommand works on: data, model, optimizer, loss.

Shared by ``lrlab find`` (and any subcommand that trains the tutorial's kind of
model): :func:`add_task_arguments` adds ``--data --model --optimizer --batch-size
--seed --device``, and :func:`build_task` turns them into ready objects.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

OPTIMIZERS = ("sgd", "momentum", "adam")

__all__ = ["OPTIMIZERS", "Task", "add_task_arguments", "build_task", "make_optimizer"]


@dataclass
class Task:
    """A model with its optimizer, loss and data loaders, as the CLI builds them."""

    model: Any
    optimizer: Any
    criterion: Any
    train_loader: Any
    val_loader: Any
    device: Any
    description: str


def add_task_arguments(p: argparse.ArgumentParser) -> None:
    """Add the task flags; defaults are the tutorial's set-up."""
    p.add_argument("--data", default="mnist", metavar="mnist|DIR",
                   help="'mnist' for the 5,000 embedded digits, or a folder with MNIST IDX files (default: mnist)")
    p.add_argument("--model", default="mlp", choices=("mlp", "cnn"),
                   help="mlp is the tutorial's SimpleNet (default: mlp)")
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS,
                   help="sgd, momentum (SGD, momentum 0.9) or adam (default: sgd)")
    p.add_argument("--batch-size", type=int, default=128, metavar="N", help="batch size (default: 128)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the model's weights and the batch order")
    p.add_argument("--device", default="auto", metavar="DEV", help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    g = p.add_argument_group("distributed (when launched by torchrun)")
    g.add_argument("--backend", choices=("gloo", "nccl"), default=None,
                   help="process-group backend (default: nccl on CUDA, gloo on the CPU)")
    g.add_argument("--dist-timeout", type=float, default=None, metavar="S",
                   help="seconds a rank waits for the others before failing (default: 120)")


def make_optimizer(name: str, params: Any, lr: float) -> Any:
    """``sgd``, ``momentum`` or ``adam`` over ``params`` at ``lr``."""
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"--optimizer must be one of {OPTIMIZERS}, got {name!r}")


def build_task(args: argparse.Namespace, lr: float, *, with_val: bool = False, ddp: Any = None,
               data_parallel: bool = True) -> Task:
    """Build the task the flags describe; the optimizer starts at ``lr``.

    The validation loader (the ``"test"`` split) is built only ``with_val``, so a folder
    holding just the training files is enough otherwise. With ``ddp``, a
    :class:`lrlab.distributed.DistContext` of several ranks, the model is wrapped in
    ``DistributedDataParallel`` (on ``cuda:LOCAL_RANK`` with nccl) and each rank reads
    its share of every global batch through a ``DistributedSampler``: ``--batch-size``
    is then the batch of one rank, as in a DDP training script. With
    ``data_parallel=False`` (the sweep, which spreads learning rates, not data, over the
    ranks) every rank gets the plain model and the whole loader, on its own device.

    Raises:
        ValueError: For a bad batch size or device, or a folder without MNIST files.
        FileNotFoundError: For a --data folder that does not exist.
    """
    import torch
    from torch import nn

    from lrlab.tutorial import data, models

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(args.device)
        except RuntimeError as exc:
            raise ValueError(f"--device must name a torch device, got {args.device!r}") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"--device {args.device} asked for CUDA, which is not available here")
    if ddp is not None and ddp.distributed and ddp.backend == "nccl":
        device = torch.device("cuda", ddp.local_rank)
    distributed = ddp is not None and ddp.distributed and data_parallel
    source = data.EMBEDDED if args.data == "mnist" else args.data
    images, labels = data.load_mnist(source, "train")
    if distributed:
        train_loader = _sharded_loader(images, labels, args.batch_size, args.seed)
    else:
        train_loader = data.tensor_loader(images, labels, args.batch_size, shuffle=True, seed=args.seed)
    val_loader = data.tensor_loader(*data.load_mnist(source, "test"), args.batch_size) if with_val else None
    model = models.build_model(args.model, seed=args.seed).to(device)
    if distributed:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr)
    what = "embedded MNIST (4,000 train digits)" if source == data.EMBEDDED else f"MNIST from {args.data}"
    batch = f"batch {args.batch_size}" + (f" x {ddp.world_size} ranks (DDP, {ddp.backend})" if distributed else "")
    description = f"{args.model} + {args.optimizer}, {batch}, {what}, {device}"
    return Task(model, optimizer, nn.CrossEntropyLoss(), train_loader, val_loader, device, description)


def _sharded_loader(images: Any, labels: Any, batch_size: int, seed: int) -> Any:
    """Each rank's share of every global batch (a shuffled ``DistributedSampler``)."""
    import numpy as np
    import torch
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    dataset = TensorDataset(torch.from_numpy(np.asarray(images)), torch.from_numpy(np.asarray(labels)))
    return DataLoader(dataset, batch_size=batch_size, sampler=DistributedSampler(dataset, shuffle=True, seed=seed))
