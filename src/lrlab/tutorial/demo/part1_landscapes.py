"""Demo Part 1: the tutorial's four learning rates, the LR-sensitivity curve, and sharpness against 2/LR."""

from __future__ import annotations

from pathlib import Path

from lrlab._checks import Progress
from lrlab.tutorial.demo import PartResult

KEY, TITLE = "landscapes", "Part 1: learning rate on 2D landscapes"


def run(out: Path, progress: Progress | None = None) -> PartResult:
    """Reproduce the tutorial's Part 1 and add the sensitivity curve and the curvature along each path."""
    from lrlab.lab2d import curvature, descent, landscapes, sensitivity
    from lrlab.plots import curvature as curvature_plots
    from lrlab.plots import landscapes as plots
    from lrlab.plots._figure import save

    land = landscapes.get("tutorial")
    result = descent.gradient_descent(land, land.lrs, steps=100, start=(-1, 1))
    sens = sensitivity.sensitivity(land, sensitivity.default_grid(), steps=100, start=(-1, 1), progress=progress)
    curv = curvature.curvature(result, land)
    figures = (
        save(plots.plot_lr_grid(land, result), out / "part1_lr_grid.png"),
        save(plots.plot_sensitivity(sens).figure, out / "part1_sensitivity.png"),
        save(curvature_plots.plot_curvature(curv), out / "part1_curvature.png"),
    )
    rows = []
    runs = []
    for k in range(len(result)):
        lr, loss, steps, div = (
            float(land.lrs[k]),
            float(result.final_loss[k]),
            int(result.steps[k]),
            bool(result.diverged[k]),
        )
        rows.append((f"LR {lr:g}", f"final loss {loss:.6g}" + (f" (diverged after {steps} steps)" if div else "")))
        runs.append(
            {
                "lr": lr,
                "final_loss": loss,
                "steps": steps,
                "diverged": div,
                "final_position": result.final_position[k].tolist(),
            }
        )
    good = sens.band("good")
    rows.append(("best LR (1,200-LR sweep)", f"{sens.best_lr:.4g}"))
    if good is not None:
        rows.append(("good band", f"{good[0]:.3g} .. {good[1]:.3g}"))
    rows.append(("diverges from", f"{sens.first_diverging_lr:.4g}"))
    # The quadratic model's critical LR, 2 / lambda_max, beside the sweep's measured edge.
    predicted = float(curv.critical_lr_minimum[0])
    edge = sens.first_diverging_lr
    ratio = None if edge is None else edge / predicted
    rows.append(
        (
            "sharpness lambda_max (start, minimum)",
            f"{curv.start_sharpness[0]:.4g}, {curv.minimum_sharpness[0]:.4g}: 2/lambda_max = {predicted:.4g}",
        )
    )
    rows.append(("diverges from / (2/lambda_max)", "none" if ratio is None else f"{ratio:.3g}x"))
    crossed = [f"LR {lr:g} at step {int(t)}" for lr, t in zip(land.lrs, curv.first_crossing) if t >= 0]
    rows.append(("LR * lambda_max > 2 first", ", ".join(crossed) if crossed else "never"))
    summary = {
        "function": land.name,
        "runs": runs,
        "best_lr": sens.best_lr,
        "good_band": good,
        "first_diverging_lr": sens.first_diverging_lr,
        "curvature": {
            "sharpness_start": float(curv.start_sharpness[0]),
            "sharpness_minimum": float(curv.minimum_sharpness[0]),
            "critical_lr_start": float(curv.critical_lr_start[0]),
            "critical_lr_minimum": predicted,
            "edge_over_predicted": ratio,
            "max_sharpness": curv.max_sharpness.tolist(),
            "first_crossing": curv.first_crossing.tolist(),
        },
    }
    return PartResult(KEY, TITLE, figures, tuple(rows), summary)
