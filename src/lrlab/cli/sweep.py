"""``lrlab sweep``: K short training runs at K learning rates in one vectorised pass.

Writes ``sweep.png`` (loss curves coloured by LR, and the final loss against LR) and
``sweep.csv`` (one row per LR) to ``--out``; prints a table, or with ``--json`` the
result's numbers (``SweepResult.to_dict()`` plus ``"task"`` and ``"files"``).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from lrlab._checks import check_int, check_real
from lrlab.cli._common import (
    add_json_argument,
    add_out_argument,
    check_out,
    dist_session,
    out_dir,
    print_json,
    print_table,
    progress_bar,
)
from lrlab.cli._task import add_task_arguments, fit_batch_size, task_kwargs
from lrlab.cli.report import add_report_argument, check_report, command_line, write_report

FIGURE, TABLE = "sweep.png", "sweep.csv"
SHARPNESS_FIGURE = "sweep_sharpness.png"
DEFAULT_LRS = "1e-3:10:16"
# Each copy is a whole model in memory; more steps than this are a typo for a short-run sweep.
MAX_LRS = 4096
MAX_STEPS = 100_000


def parse_lrs(spec: str) -> np.ndarray:
    """``"A:B:K"`` (K log-spaced LRs from A to B) or a comma list ``"0.01,0.1,1"``.

    Raises:
        ValueError: If the text is neither form, K is outside ``[1, MAX_LRS]`` or an LR is not positive.
    """
    bad_form = f"--lrs must be A:B:K (K log-spaced LRs) or a comma list, got {spec!r}"
    parts = spec.split(":")
    try:
        if len(parts) == 3:
            start, end, count = float(parts[0]), float(parts[1]), int(parts[2])
        elif len(parts) == 1:
            values = np.asarray([float(v) for v in spec.split(",")], dtype=np.float64)
        else:
            raise ValueError(bad_form)
    except ValueError:
        raise ValueError(bad_form) from None
    if len(parts) == 3:
        if count < 1:
            raise ValueError(f"--lrs needs K >= 1 learning rates, got {count}")
        if count > MAX_LRS:
            raise ValueError(
                f"--lrs must give at most {MAX_LRS:,} learning rates (each is a copy of the model), got K = {count:,}"
            )
        if not (start > 0 and end > 0 and np.isfinite(start) and np.isfinite(end)):
            raise ValueError(f"--lrs needs positive finite A and B, got {start:g} and {end:g}")
        return np.geomspace(start, end, count)
    if not (np.isfinite(values) & (values > 0)).all():
        raise ValueError(f"--lrs must all be finite and > 0, got {spec!r}")
    if values.size > MAX_LRS:
        raise ValueError(
            f"--lrs must give at most {MAX_LRS:,} learning rates (each is a copy of the model), got {values.size:,}"
        )
    return values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="train K copies at K learning rates at once (torch.func vmap); pick by what happened",
        description="Train K copies of the model at K learning rates for a few steps, all on the same "
        "batches, in one vectorised pass; show each copy's loss and the best LR. --task FILE.py sweeps your "
        "own model instead (lrlab init-task FILE writes a template); its val_loader scores the copies.",
    )
    add_task_arguments(p)
    p.add_argument(
        "--lrs",
        default=DEFAULT_LRS,
        metavar="A:B:K",
        help=f"K log-spaced LRs from A to B, or a comma list (default: {DEFAULT_LRS})",
    )
    p.add_argument("--steps", type=int, default=100, metavar="N", help="training steps per copy (default: 100)")
    p.add_argument(
        "--val-batches",
        type=int,
        default=8,
        metavar="N",
        help="validation batches of the test split scored at the end; 0: none, score the train loss (default: 8)",
    )
    p.add_argument(
        "--mode",
        default="auto",
        choices=("auto", "vmap", "sequential"),
        help="vmap all copies at once, or run them one by one (default: auto)",
    )
    p.add_argument(
        "--max-grad-norm",
        type=float,
        default=None,
        metavar="X",
        help="clip each copy's gradient norm to X before every step, as torch.nn.utils.clip_grad_norm_ "
        "would in its own run; default: no clipping",
    )
    p.add_argument(
        "--sharpness",
        type=int,
        default=None,
        metavar="EVERY",
        help="track each copy's sharpness (top Hessian eigenvalue; Adam: preconditioned) every EVERY steps on "
        f"the first batch; writes {SHARPNESS_FIGURE} (against 2/LR, Adam: 38/LR) and adds it to --json",
    )
    add_out_argument(p)
    add_json_argument(p)
    add_report_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Every flag is checked before torch is imported, the data loaded or the model built.
    lrs = check_flags(args)
    from lrlab.cli.user_task import task_errors, task_from_args

    # --task: your own model (lrlab.cli.user_task); the tutorial's flags do not apply.
    user_task = None if args.task is None else task_from_args(args)
    kwargs = task_kwargs(args) if user_task is None else {}
    # Under torchrun the K LRs are spread over the ranks (every rank reads the same
    # batches); rank 0 alone writes and prints.
    with dist_session(args) as ctx, task_errors(user_task):
        return _run(args, lrs, kwargs, ctx, user_task)


def check_flags(args: argparse.Namespace) -> np.ndarray:
    """The sweep's own flags and ``--out`` (NumPy only); returns the LRs.

    Raises:
        ValueError: Naming the flag.
    """
    lrs = parse_lrs(args.lrs)
    check_int("--steps", args.steps, minimum=1, maximum=MAX_STEPS)
    check_int("--val-batches", args.val_batches, minimum=0)
    if args.max_grad_norm is not None:
        check_real("--max-grad-norm", args.max_grad_norm, above=0.0)
    if args.sharpness is not None:
        check_int("--sharpness", args.sharpness, minimum=1, maximum=MAX_STEPS)
    check_out(args.out)
    if args.report is not None:
        check_report(args.report)
    return lrs


def _run(args: argparse.Namespace, lrs: np.ndarray, kwargs: dict[str, Any], ctx: Any, task: Any = None) -> int:
    from lrlab.sweep import sweep_lr
    from lrlab.tutorial import build_task

    if task is None:
        kwargs = fit_batch_size(kwargs, ctx, data_parallel=False, command="lrlab sweep")
        task = build_task(**kwargs, lr=float(lrs[0]), with_val=args.val_batches > 0, ddp=ctx, data_parallel=False)
    with progress_bar(f"LR sweep ({lrs.size} copies)", enabled=ctx.is_main and not args.json) as cb:
        result = sweep_lr(
            task.model,
            task.optimizer,
            task.criterion,
            task.train_loader,
            lrs=lrs,
            steps=args.steps,
            step_fn=getattr(task, "step_fn", None),
            val_loader=task.val_loader if args.val_batches > 0 else None,
            val_batches=args.val_batches or None,
            mode=args.mode,
            seed=args.seed,
            progress=cb,
            track_sharpness=args.sharpness,
            max_grad_norm=args.max_grad_norm,
        )
    if not ctx.is_main:
        return 0
    out = out_dir(args.out)
    files = write_outputs(result, out)
    if args.report is not None:
        from lrlab.report import sweep_page

        page = sweep_page(result, command=command_line(args), description=task.description)
        files.append(write_report(check_report(args.report), page))
    if args.json:
        print_json({**result.to_dict(), "task": task.description, "files": [str(f) for f in files]})
    else:
        print_report(result, task.description, files)
    return 0


def write_outputs(result: Any, out: Path) -> list[Path]:
    """The figure, and one CSV row per LR (lr, score, last train loss, val loss, diverged)."""
    from lrlab.plots._figure import save
    from lrlab.plots.sweep import plot_sweep

    figure = save(plot_sweep(result), out / FIGURE)
    extra = []
    if result.sharpness is not None:
        from lrlab.plots.sharpness import plot_sweep_sharpness

        extra.append(save(plot_sweep_sharpness(result).figure, out / SHARPNESS_FIGURE))
    table = out / TABLE
    with open(table, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["lr", "score", "last_train_loss", "val_loss", "diverged", "best"])
        for k in np.argsort(result.lrs):
            val = "" if result.val_losses is None else repr(float(result.val_losses[k, -1]))
            writer.writerow(
                [
                    repr(float(result.lrs[k])),
                    repr(float(result.scores[k])),
                    repr(float(result.train_losses[k, -1])),
                    val,
                    int(result.diverged[k]),
                    int(k == result.best_index),
                ]
            )
    return [figure, table, *extra]


def print_report(result: Any, description: str, files: list[Path]) -> None:
    columns = ["LR", result.score_name, "last train loss"]
    if result.val_losses is not None:
        columns = ["LR", "val loss", "last train loss"]
    rows = []
    for k in np.argsort(result.lrs):
        mark = " *" if k == result.best_index else ""
        status = f"diverged at step {result.diverged_at[k] + 1}" if result.diverged[k] else ""
        rows.append((f"{result.lrs[k]:.4g}{mark}", float(result.scores[k]), float(result.train_losses[k, -1]), status))
    title = f"LR sweep: {description}; {result.num_lrs} copies x {result.steps} steps ({result.mode})"
    print_table(title, [*columns, "note"], rows)
    if result.best_lr is None:
        print("Every copy diverged: try smaller learning rates.")
    else:
        print(f"Best learning rate: {result.best_lr:.4g} (lowest {result.score_name})")
    print("Files: " + ", ".join(str(f) for f in files))
