"""``lrlab compare``: several optimizers on one 2D landscape, optionally tuned over an LR grid."""

from __future__ import annotations

import argparse
from typing import Any

from lrlab._checks import check_int, check_positive, check_real
from lrlab.cli._common import (
    add_json_argument,
    add_out_argument,
    check_out,
    out_dir,
    print_json,
    print_table,
    progress_bar,
)


def register(sub: argparse._SubParsersAction) -> None:
    from lrlab.lab2d.compare import TUTORIAL_SPECS
    from lrlab.lab2d.landscapes import names
    from lrlab.optim.spec import names as optimizer_names

    p = sub.add_parser(
        "compare",
        help="compare optimizers on a 2D landscape: paths, and with --tune each one's best LR",
        description="Run each --optimizer SPEC from one start on a 2D function and draw the paths on one "
        "contour plot. SPEC is NAME[:key=value,...] with torch's hyperparameter names (Adam's betas as "
        "beta1/beta2), e.g. adam:lr=0.1,beta1=0.9 or rmsprop:lr=0.01,alpha=0.9. Optimizers: "
        f"{', '.join(optimizer_names())}. --tune sweeps a log grid of LRs for every optimizer in one "
        "vectorised pass each and reports the best LR and the band of good LRs.",
    )
    p.add_argument("--function", default="tutorial", metavar="NAME", help=f"one of {', '.join(names())}")
    p.add_argument(
        "--optimizer",
        nargs="+",
        action="extend",
        metavar="SPEC",
        help=f"optimizer specs (default: the tutorial's {' '.join(TUTORIAL_SPECS)})",
    )
    p.add_argument("--steps", type=int, default=100, help="steps per run (default 100)")
    p.add_argument("--start", type=float, nargs=2, metavar=("X", "Y"), help="start point (default: the function's)")
    p.add_argument("--bound", type=float, default=10.0, help="a run diverges when |x| or |y| exceeds this (default 10)")
    p.add_argument("--tune", action="store_true", help="sweep an LR grid per optimizer; report best LR and good band")
    p.add_argument(
        "--lr-range",
        type=float,
        nargs=2,
        default=(1e-5, 10.0),
        metavar=("LOW", "HIGH"),
        help="--tune grid bounds (default 1e-5 10)",
    )
    p.add_argument("--num-lrs", type=int, default=241, metavar="N", help="--tune grid size (default 241)")
    p.add_argument("--animate", action="store_true", help="also write an animated GIF of the paths")
    add_out_argument(p)
    add_json_argument(p)
    p.set_defaults(func=run)


def _run_row(run: Any) -> tuple[Any, ...]:
    x, y = run.final_position
    return (run.spec.label, run.final_loss, f"({x:.4g}, {y:.4g})", run.steps, run.diverged)


def run(args: argparse.Namespace) -> int:
    from lrlab.lab2d import compare as cmp
    from lrlab.lab2d._args import MAX_RUNS, MAX_STEPS
    from lrlab.lab2d.landscapes import get
    from lrlab.optim.spec import parse_spec

    land = get(args.function)
    specs = [parse_spec(s) for s in (args.optimizer or cmp.TUTORIAL_SPECS)]
    check_int("--steps", args.steps, minimum=1, maximum=MAX_STEPS)
    check_real("--bound", args.bound, above=0.0)
    grid = None
    if args.tune:
        check_int("--num-lrs", args.num_lrs, minimum=2, maximum=MAX_RUNS)
        low, high = (check_positive("--lr-range", v) for v in args.lr_range)
        if not low < high:
            raise ValueError(f"--lr-range must be LOW HIGH with LOW < HIGH, got {low:g} {high:g}")
        grid = cmp.default_lrs(args.num_lrs, low, high)
    check_out(args.out)
    comparison = cmp.compare(land, specs, steps=args.steps, start=args.start, bound=args.bound)
    tuning = None
    if args.tune:
        with progress_bar("Tuning LRs", enabled=not args.json) as cb:
            tuning = cmp.tune(
                land, specs, lrs=grid, steps=args.steps, start=comparison.start, bound=args.bound, progress=cb
            )

    out = out_dir(args.out)
    from lrlab.plots import optimizers as plots
    from lrlab.plots._figure import save

    name = land.name
    figures = [save(plots.plot_paths(comparison).figure, out / f"compare_{name}.png")]
    if tuning is not None:
        figures.append(save(plots.tuning_figure(tuning), out / f"tune_{name}.png"))
        tuned = cmp.compare(land, tuning.best_specs(), steps=args.steps, start=comparison.start, bound=args.bound)
        title = f"Each optimizer at its best LR on {name} ({args.steps} steps)"
        figures.append(save(plots.plot_paths(tuned, title=title).figure, out / f"compare_{name}_tuned.png"))
    if args.animate:
        figures.append(plots.animate_paths(comparison, out / f"compare_{name}.gif"))

    if args.json:
        runs = [r.to_dict() for r in comparison.runs]
        if tuning is not None:
            for doc, res in zip(runs, tuning.results):
                doc["best_lr"] = res.best_lr
                doc["best_loss"] = res.best_loss
        print_json({"function": name, "runs": runs})
        return 0

    start = comparison.start
    print_table(
        f"Optimizers on {name} from ({start[0]:g}, {start[1]:g}), {comparison.max_steps} steps",
        ["optimizer", "final loss", "final position", "steps", "diverged"],
        [_run_row(r) for r in comparison.runs],
    )
    if tuning is not None:
        rows = []
        for res in tuning.results:
            band = res.good_band
            rows.append(
                (
                    res.spec.options_label,
                    res.best_lr,
                    res.best_loss,
                    "none" if band is None else f"{band[0]:.3g} .. {band[1]:.3g}",
                    res.band_decades,
                )
            )
        print_table(
            f"Tuned over {tuning.lrs.size} LRs from {tuning.lrs[0]:g} to {tuning.lrs[-1]:g} "
            "(good: 99% of the way to the minimum)",
            ["optimizer", "best LR", "best loss", "good band", "decades"],
            rows,
        )
    print("Figures: " + ", ".join(str(f) for f in figures))
    return 0
