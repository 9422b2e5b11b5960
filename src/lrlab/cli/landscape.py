"""``lrlab landscape``: gradient descent on a 2D function at several learning rates."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, cast

from lrlab._checks import check_int, check_real
from lrlab.cli._common import (
    add_json_argument,
    add_out_argument,
    check_out,
    out_dir,
    print_json,
    print_table,
    progress_bar,
)

if TYPE_CHECKING:
    from lrlab.lab2d.curvature import CurvatureResult


def register(sub: argparse._SubParsersAction) -> None:
    from lrlab.lab2d.landscapes import names

    p = sub.add_parser(
        "landscape",
        help="gradient descent on a 2D loss landscape at several learning rates",
        description="Run plain gradient descent on a 2D function at each --lr in one vectorised pass. "
        "Without --lr, the function's four illustrative LRs are run and the LR-sensitivity curve "
        "(1,200 LRs) is drawn too.",
    )
    p.add_argument("--function", default="tutorial", metavar="NAME", help=f"one of {', '.join(names())}")
    p.add_argument("--lr", type=float, nargs="+", metavar="LR", help="learning rates to run")
    p.add_argument("--steps", type=int, default=100, help="maximum steps per run (default 100)")
    p.add_argument("--start", type=float, nargs=2, metavar=("X", "Y"), help="start point (default: the function's)")
    p.add_argument("--bound", type=float, default=10.0, help="a run diverges when |x| or |y| exceeds this (default 10)")
    p.add_argument(
        "--hessian",
        action="store_true",
        help="also measure the curvature: the sharpness lambda_max (largest Hessian eigenvalue) and the "
        "predicted critical LR 2/lambda_max at each run's start and minimum, and draw lambda_max along "
        "each path against 2/LR",
    )
    add_out_argument(p)
    add_json_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrlab.lab2d import descent, landscapes, sensitivity
    from lrlab.lab2d._args import MAX_STEPS

    land = landscapes.get(args.function)
    lrs = descent.as_lrs(args.lr if args.lr else land.lrs, "--lr")
    check_int("--steps", args.steps, minimum=1, maximum=MAX_STEPS)
    check_real("--bound", args.bound, above=0.0)
    start = land.start if args.start is None else descent.as_starts(args.start, 1)[0]
    check_out(args.out)
    result = descent.gradient_descent(land, lrs, steps=args.steps, start=start, bound=args.bound)
    sens = None
    if not args.lr:
        with progress_bar("LR sensitivity", enabled=not args.json) as cb:
            sens = sensitivity.sensitivity(
                land, sensitivity.default_grid(), steps=args.steps, start=start, bound=args.bound, progress=cb
            )
    runs: list[dict[str, Any]] = [
        {
            "lr": float(lrs[k]),
            "final_loss": float(result.final_loss[k]),
            "final_position": [float(v) for v in result.final_position[k]],
            "steps": int(result.steps[k]),
            "diverged": bool(result.diverged[k]),
        }
        for k in range(len(result))
    ]
    out = out_dir(args.out)
    from lrlab.plots import landscapes as plots
    from lrlab.plots._figure import save

    figures = [save(plots.plot_lr_grid(land, result), out / f"landscape_{land.name}.png")]
    if sens is not None:
        figures.append(save(plots.plot_sensitivity(sens).figure, out / f"sensitivity_{land.name}.png"))
    curv = None
    if args.hessian:
        from lrlab.lab2d import curvature
        from lrlab.plots import curvature as curvature_plots

        curv = curvature.curvature(result, land)
        figures.append(save(curvature_plots.plot_curvature(curv), out / f"curvature_{land.name}.png"))
    if args.json:
        doc: dict[str, object] = {"function": land.name, "runs": runs}
        if sens is not None:
            doc["sensitivity"] = sens.to_dict()
        if curv is not None:
            doc["curvature"] = curv.to_dict()
        print_json(doc)
        return 0
    rows = [
        (
            f"{r['lr']:g}",
            r["final_loss"],
            f"({r['final_position'][0]:.4g}, {r['final_position'][1]:.4g})",
            r["steps"],
            r["diverged"],
        )
        for r in runs
    ]
    print_table(
        f"Gradient descent on {land.name} from ({start[0]:g}, {start[1]:g})",
        ["LR", "final loss", "final position", "steps", "diverged"],
        rows,
    )
    if sens is not None:
        bands = [(z, sens.band(z)) for z in sensitivity.ZONES]
        print_table(
            f"LR sensitivity ({sens.lrs.size} LRs, {sens.steps} steps): best LR {sens.best_lr:.4g}",
            ["zone", "from LR", "to LR"],
            [(z, f"{b[0]:.3g}", f"{b[1]:.3g}") for z, b in bands if b is not None],
        )
    if curv is not None:
        _print_curvature(curv, start, runs)
    print("Figures: " + ", ".join(str(f) for f in figures))
    return 0


def _print_curvature(curv: CurvatureResult, start: Any, runs: list[dict[str, Any]]) -> None:
    """The sharpness and its critical LR at the start and the minima, then what each run met."""
    from lrlab.lab2d.curvature import critical_lr

    points = [(f"start ({start[0]:g}, {start[1]:g})", float(curv.start_sharpness[0]))]
    points += [(f"minimum ({x:.4g}, {y:.4g})", float(e[1])) for (x, y), e in zip(curv.minima, curv.minima_eigenvalues)]
    print_table(
        "Sharpness lambda_max (largest Hessian eigenvalue): GD on a quadratic diverges when LR > 2/lambda_max",
        ["point", "lambda_max", "2/lambda_max"],
        [(name, _num(lam), _num(float(critical_lr(lam)))) for name, lam in points],
    )
    per_run = cast("list[dict[str, Any]]", curv.to_dict()["runs"])
    print_table(
        "Along each path",
        ["LR", "LR*lambda_max at start", "max lambda_max", "first step LR*lambda_max > 2", "diverged"],
        [
            (
                f"{r['lr']:g}",
                _num(r["lr"] * c["sharpness_start"]),
                _num(c["max_sharpness"]),
                "never" if c["first_crossing"] < 0 else c["first_crossing"],
                r["diverged"],
            )
            for r, c in zip(runs, per_run)
        ],
    )


def _num(value: float | None) -> str:
    """A table cell: 4 significant digits, ``-`` for a missing value (no minimum), ``inf`` as is."""
    return "-" if value is None else f"{value:.4g}"
