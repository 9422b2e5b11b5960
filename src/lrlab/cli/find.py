"""``lrlab find``: the LR range test on MNIST, with every rule's suggestion.

Writes ``lr_finder.png`` (the curve, each rule marked) and ``lr_finder.csv`` (the
curve) to ``--out``; prints a table of suggestions, or one JSON object with ``--json``::

    {"lrs": [...], "losses": [...], "smoothed": [...], "stop_reason": "...",
     "suggestions": {"steepest": {"lr": ..., "lr_range": [lo, hi] | null}, ...},
     "suggested_lr": ...}

Launched by ``torchrun`` (``torchrun --nproc-per-node 2 -m lrlab find ...``), the model is
wrapped in DDP, every rank records the all-reduced curve, and rank 0 alone writes and
prints; ``--json`` then adds ``"world_size"`` and ``"suggested_lr_by_rank"``.

Every flag is checked before any work (``--num-iter`` against what ``--method`` needs,
``--out`` for being a writable folder). A rule that cannot read the curve (a range test
stopped early) shows ``{"lr": null, "error": "..."}``; if it is the ``--method`` asked
for, the command fails with exit status 2 after writing its files. The result's warnings
(a flat curve, say) go to stderr as ``lrlab find: warning: ...``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from lrlab._checks import check_fraction, check_int, check_positive, check_real
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

FIGURE, CURVE, CONFIRM_FIGURE = "lr_finder.png", "lr_finder.csv", "suggest_lr.png"
# Longer range tests are typos: 100,000 steps of the tutorial's model take an hour on a CPU.
MAX_NUM_ITER = 100_000
# A run's length is read step by step into the schedule's shape (8 bytes a step).
MAX_TOTAL_STEPS = 100_000_000


def register(sub: argparse._SubParsersAction) -> None:
    from lrlab.finder import DEFAULT_METHOD
    from lrlab.finder.suggest import ALL_METHODS

    p = sub.add_parser(
        "find",
        help="LR range test: train with a rising LR, read a learning rate off the loss curve",
        description="Run the learning-rate range test on MNIST (the tutorial's Part 4), then apply every "
        "suggestion rule. The model and optimizer are rebuilt from --seed, so runs repeat exactly. "
        "--task FILE.py runs it on your own model instead (lrlab init-task FILE writes a template).",
    )
    add_task_arguments(p)
    p.add_argument("--start-lr", type=float, default=1e-7, metavar="A", help="first LR (default: 1e-7)")
    p.add_argument("--end-lr", type=float, default=10.0, metavar="B", help="last LR (default: 10)")
    p.add_argument("--num-iter", type=int, default=100, metavar="N", help="optimizer steps (default: 100)")
    p.add_argument("--mode", default="exp", choices=("exp", "linear"), help="LR spacing (default: exp)")
    p.add_argument("--smooth", type=float, default=0.98, metavar="BETA", help="EMA factor of the loss (default: 0.98)")
    p.add_argument(
        "--sharpness",
        type=int,
        default=None,
        metavar="EVERY",
        help="track the sharpness (top Hessian eigenvalue; Adam: preconditioned) every EVERY steps on the first "
        "batch; the figure gets a panel against its threshold 2/LR (Adam: 38/LR) and --method edge reads it",
    )
    p.add_argument(
        "--max-grad-norm",
        type=float,
        default=None,
        metavar="X",
        help="clip the gradient norm to X before every optimizer step, as torch.nn.utils.clip_grad_norm_ "
        "(with --confirm also in every copy the sweep trains); default: no clipping",
    )
    p.add_argument(
        "--method",
        default=DEFAULT_METHOD,
        choices=ALL_METHODS,
        help=f"the rule behind suggested_lr (default: {DEFAULT_METHOD})",
    )
    p.add_argument(
        "--confirm",
        action="store_true",
        help="suggest the peak LR for your run by training copies of the model under your schedule "
        "(lrlab.suggest_lr): suggested_lr is then that peak LR, and --json adds band, cost_steps, "
        f"schedule and confirm; writes {CONFIRM_FIGURE}",
    )
    g = p.add_argument_group("your run (with --confirm)")
    g.add_argument(
        "--schedule",
        default=None,
        metavar="SPEC",
        help='the shape of your schedule with peak 1, e.g. "warmup_cosine(1.0, warmup=100, total=2000, '
        'min_lr=0)" (see lrlab schedule --list); default: a constant LR',
    )
    g.add_argument(
        "--total-steps",
        type=int,
        default=None,
        metavar="N",
        help="your training length in optimizer steps (needed with --schedule)",
    )
    g.add_argument(
        "--budget-steps",
        type=int,
        default=None,
        metavar="N",
        help="the most training steps the suggestion may spend, every copy counted "
        "(default: max(400, total steps / 10))",
    )
    add_out_argument(p)
    add_json_argument(p)
    add_report_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Every flag is checked before torch is imported, the data loaded or the model built.
    check_flags(args)
    from lrlab.cli.user_task import task_errors, task_from_args

    # --task: your own model (lrlab.cli.user_task); the tutorial's flags do not apply.
    user_task = None if args.task is None else task_from_args(args)
    kwargs = task_kwargs(args) if user_task is None else {}
    with dist_session(args) as ctx, task_errors(user_task):
        return _run(args, kwargs, ctx, user_task)


def check_flags(args: argparse.Namespace) -> None:
    """The range test's own flags and ``--out`` (NumPy only; the task flags are :func:`task_kwargs`'s).

    Raises:
        ValueError: Naming the flag.
    """
    from lrlab.finder.suggest import min_num_iter

    start = check_positive("--start-lr", args.start_lr)
    end = check_positive("--end-lr", args.end_lr)
    if not end > start:
        raise ValueError(f"--end-lr must be > --start-lr ({start:g}), got {end:g}")
    n = check_int("--num-iter", args.num_iter, minimum=2, maximum=MAX_NUM_ITER)
    need = min_num_iter(args.method)
    if n < need:
        raise ValueError(
            f"--num-iter must be >= {need} for --method {args.method}, got {n}; "
            "run more iterations or choose another --method"
        )
    check_fraction("--smooth", args.smooth)
    if args.max_grad_norm is not None:
        check_real("--max-grad-norm", args.max_grad_norm, above=0.0)
    if args.sharpness is not None:
        check_int("--sharpness", args.sharpness, minimum=1, maximum=MAX_NUM_ITER)
    elif args.method == "edge":
        raise ValueError("--method edge needs --sharpness EVERY (the rule reads the tracked sharpness), got none")
    check_run_flags(args)
    check_out(args.out)
    if args.report is not None:
        check_report(args.report)


def check_run_flags(args: argparse.Namespace) -> None:
    """``--schedule``, ``--total-steps`` and ``--budget-steps`` (NumPy only: the spec is read and its peak checked).

    Raises:
        ValueError: Naming the flag.
    """
    given = [
        f
        for f, v in (
            ("--schedule", args.schedule),
            ("--total-steps", args.total_steps),
            ("--budget-steps", args.budget_steps),
        )
        if v is not None
    ]
    if given and not args.confirm:
        raise ValueError(f"{given[0]} must come with --confirm (it describes the run the confirmed LR is for)")
    if args.total_steps is not None:
        check_int("--total-steps", args.total_steps, minimum=1, maximum=MAX_TOTAL_STEPS)
    if args.budget_steps is not None:
        check_int("--budget-steps", args.budget_steps, minimum=1, maximum=MAX_TOTAL_STEPS)
    # With --task, the run's length may come from the task: checked once it is loaded.
    if args.schedule is not None and (args.task is None or args.total_steps is not None):
        if args.total_steps is None:
            raise ValueError("--total-steps must be given with --schedule (the shape is read over your run), got none")
        from lrlab.schedules.shape import shape_factors

        try:
            shape_factors(args.schedule, args.total_steps, name="--schedule")
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc) if str(exc).startswith("--schedule") else f"--schedule: {exc}") from None


def _run(args: argparse.Namespace, kwargs: dict[str, Any], ctx: Any, task: Any = None) -> int:
    from lrlab.finder import find_lr
    from lrlab.tutorial import build_task

    schedule, total_steps = args.schedule, args.total_steps
    if task is None:
        kwargs = fit_batch_size(kwargs, ctx, command="lrlab find")
        task = build_task(**kwargs, lr=args.start_lr, ddp=ctx)
    elif args.confirm:
        from lrlab.cli.user_task import run_shape

        schedule, total_steps = run_shape(task, schedule, total_steps)
    step_fn = getattr(task, "step_fn", None)
    confirmed = None
    show = ctx.is_main and not args.json
    with progress_bar("LR range test" + (" + sweep" if args.confirm else ""), enabled=show) as cb:
        if args.confirm:
            from lrlab.confirm import suggest_lr

            confirmed = suggest_lr(
                task.model,
                task.optimizer,
                task.criterion,
                task.train_loader,
                schedule=schedule,
                total_steps=total_steps,
                step_fn=step_fn,
                budget_steps=args.budget_steps,
                start_lr=args.start_lr,
                end_lr=args.end_lr,
                num_iter=args.num_iter,
                seed=args.seed,
                range_test_options={"mode": args.mode, "smooth": args.smooth, "track_sharpness": args.sharpness},
                progress=cb,
                max_grad_norm=args.max_grad_norm,
            )
            result = confirmed.range_test
        else:
            result = find_lr(
                task.model,
                task.optimizer,
                task.criterion,
                task.train_loader,
                start_lr=args.start_lr,
                end_lr=args.end_lr,
                num_iter=args.num_iter,
                mode=args.mode,
                smooth=args.smooth,
                step_fn=step_fn,
                progress=cb,
                track_sharpness=args.sharpness,
                max_grad_norm=args.max_grad_norm,
            )
    from lrlab.finder.suggest import every_suggestion

    suggestions, errors = every_suggestion(result)
    doc = json_doc(result, suggestions, errors, args.method)
    if confirmed is not None:
        doc.update(
            suggested_lr=confirmed.lr,
            band=list(confirmed.band),
            cost_steps=confirmed.cost_steps,
            schedule=confirmed.schedule,
            total_steps=confirmed.total_steps,
            wall_s=confirmed.wall_s,
            confirm=confirmed.to_dict(),
        )
    if ctx.distributed:
        from lrlab import distributed

        # Each rank computed its own suggestion from the all-reduced curve; show that they agree.
        doc.update(world_size=ctx.world_size, suggested_lr_by_rank=distributed.gather(doc["suggested_lr"]))
    if not ctx.is_main:  # every rank holds the same result; rank 0 alone writes and prints
        return 0
    for warning in dict.fromkeys((*getattr(result, "warnings", ()), *getattr(confirmed, "warnings", ()))):
        print(f"lrlab find: warning: {warning}", file=sys.stderr)
    out = out_dir(args.out)
    files = write_outputs(result, suggestions, out)
    if confirmed is not None:
        from lrlab.plots._figure import save

        files.append(save(confirmed.plot(), out / CONFIRM_FIGURE))
    if args.report is not None:
        from lrlab.report import finder_page

        page = finder_page(result, suggestions, errors, args.method, command=command_line(args), confirmation=confirmed)
        files.append(write_report(check_report(args.report), page))
    if args.json:
        print_json(doc)
    else:
        print_report(result, suggestions, errors, args.method, task.description, files)
        if confirmed is not None:
            print_confirmation(confirmed)
    if args.method in errors:
        raise ValueError(errors[args.method])
    return 0


def print_confirmation(conf: Any) -> None:
    """The rounds under the schedule as a table, then the suggested peak LR in one line."""
    rows = []
    for r in conf.rounds:
        best = "" if r.lr != r.lr else f"{r.lr:.4g}"  # NaN: every copy diverged
        rows.append(
            (
                f"{len(r.lrs)} x {r.horizon} steps",
                f"{r.lrs.min():.3g} .. {r.lrs.max():.3g}",
                int(r.diverged.sum()),
                best,
                r.how,
            )
        )
    length = "a constant LR" if conf.total_steps is None else f"{conf.total_steps:,} steps"
    print_table(
        f"Copies trained under {conf.schedule} (compressed from {length})",
        ["round", "peak LRs", "diverged", "best there", "read as"],
        rows,
    )
    lo, hi = conf.band
    print(
        f"Suggested peak learning rate: {conf.lr:.4g} (band {lo:.3g} .. {hi:.3g}) for {conf.schedule} over "
        f"{length}; cost {conf.cost_steps} steps of {conf.budget_steps} allowed, {conf.wall_s:.1f} s"
    )


def write_outputs(result: Any, suggestions: dict[str, Any], out: Path) -> list[Path]:
    """The figure and the curve as CSV (step, lr, loss, smoothed[, val_loss])."""
    from lrlab.plots._figure import save
    from lrlab.plots.finder import plot_finder

    figure = save(plot_finder(result, suggestions).figure, out / FIGURE)
    curve = out / CURVE
    with open(curve, "w", newline="") as fh:
        writer = csv.writer(fh)
        header = ["step", "lr", "loss", "smoothed"] + ([] if result.val_losses is None else ["val_loss"])
        writer.writerow(header)
        for i in range(result.steps):
            row = [i, repr(float(result.lrs[i])), repr(float(result.losses[i])), repr(float(result.smoothed[i]))]
            if result.val_losses is not None:
                row.append(repr(float(result.val_losses[i])))
            writer.writerow(row)
    return [figure, curve]


def json_doc(result: Any, suggestions: dict[str, Any], errors: dict[str, str], method: str) -> dict[str, Any]:
    """The ``--json`` object (non-finite numbers become null when printed)."""
    rules: dict[str, Any] = {}
    for name, s in suggestions.items():
        rules[name] = {"lr": s.lr, "lr_range": None if s.lr_range is None else list(s.lr_range)}
    for name, message in errors.items():
        rules[name] = {"lr": None, "error": message}
    chosen = suggestions.get(method)
    return {
        "lrs": result.lrs,
        "losses": result.losses,
        "smoothed": result.smoothed,
        "stop_reason": result.stop_reason,
        "suggestions": rules,
        "suggested_lr": None if chosen is None else chosen.lr,
        **sharpness_doc(result),
    }


def sharpness_doc(result: Any) -> dict[str, Any]:
    """The tracked sharpness for ``--json`` (nothing when it was not tracked)."""
    if getattr(result, "sharpness", None) is None:
        return {}
    return {
        "sharpness": {
            "steps": result.sharpness_steps,
            "lrs": result.sharpness_lrs,
            "lambda_max": result.sharpness,
            "threshold": result.sharpness_threshold,
            "edge_constant": result.edge_constant,
            "preconditioned": result.sharpness_preconditioned,
        }
    }


def print_report(
    result: Any, suggestions: dict[str, Any], errors: dict[str, str], method: str, description: str, files: list[Path]
) -> None:
    from lrlab.finder import METHODS

    rows = []
    for name in (*METHODS, "edge") if getattr(result, "sharpness", None) is not None else METHODS:
        mark = f"{name} *" if name == method else name
        if name in suggestions:
            s = suggestions[name]
            band = "" if s.lr_range is None else f"{s.lr_range[0]:.3g} .. {s.lr_range[1]:.3g}"
            rows.append((mark, f"{s.lr:.4g}", band, s.loss))
        else:
            rows.append((mark, "n/a", errors[name], ""))
    title = (
        f"LR range test: {description}; {result.steps}/{result.num_iter} steps, "
        f"{result.start_lr:g} to {result.end_lr:g}, {result.stop_reason}"
    )
    print_table(title, ["rule", "LR", "range", "loss there"], rows)
    if method in suggestions:
        print(f"Suggested learning rate ({method}): {suggestions[method].lr:.4g}")
    print("Files: " + ", ".join(str(f) for f in files))
