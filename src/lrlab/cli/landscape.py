"""``lrlab landscape``: gradient descent on a 2D function at several learning rates."""

from __future__ import annotations

import argparse
from typing import Any

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
    if args.json:
        doc: dict[str, object] = {"function": land.name, "runs": runs}
        if sens is not None:
            doc["sensitivity"] = sens.to_dict()
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
    print("Figures: " + ", ".join(str(f) for f in figures))
    return 0
