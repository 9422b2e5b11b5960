"""Demo Part 1: the tutorial's four learning rates, and the LR-sensitivity curve."""

from __future__ import annotations

from pathlib import Path

from lrlab._checks import Progress
from lrlab.tutorial.demo import PartResult

KEY, TITLE = "landscapes", "Part 1: learning rate on 2D landscapes"


def run(out: Path, progress: Progress | None = None) -> PartResult:
    """Reproduce the tutorial's Part 1 and add the sensitivity curve."""
    from lrlab.lab2d import descent, landscapes, sensitivity
    from lrlab.plots import landscapes as plots
    from lrlab.plots._figure import save

    land = landscapes.get("tutorial")
    result = descent.gradient_descent(land, land.lrs, steps=100, start=(-1, 1))
    sens = sensitivity.sensitivity(land, sensitivity.default_grid(), steps=100, start=(-1, 1), progress=progress)
    figures = (
        save(plots.plot_lr_grid(land, result), out / "part1_lr_grid.png"),
        save(plots.plot_sensitivity(sens).figure, out / "part1_sensitivity.png"),
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
    summary = {
        "function": land.name,
        "runs": runs,
        "best_lr": sens.best_lr,
        "good_band": good,
        "first_diverging_lr": sens.first_diverging_lr,
    }
    return PartResult(KEY, TITLE, figures, tuple(rows), summary)
