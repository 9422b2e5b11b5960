"""Demo Part 2: the tutorial's four optimizers with its settings, then every optimizer tuned."""

from __future__ import annotations

from pathlib import Path

from lrlab._checks import Progress
from lrlab.tutorial.demo import PartResult

KEY, TITLE = "optimizers", "Part 2: optimizers from scratch"

# Every optimizer of lrlab.optim, with torch's defaults except the tutorial's RMSprop alpha.
TUNED = ("sgd", "momentum", "nesterov", "rmsprop:alpha=0.9", "adam", "adamw", "adagrad", "nadam", "radam")


def run(out: Path, progress: Progress | None = None) -> PartResult:
    """Reproduce the tutorial's Part 2 figure and add the tuned comparison.

    Writes ``part2_optimizers.png`` (the tutorial's figure), ``part2_optimizers.gif``
    (the same paths, animated), ``part2_tuning.png`` (final loss against LR for every
    optimizer, 241 LRs each, with the good bands) and ``part2_tuned_paths.png`` (each
    optimizer at its best LR).
    """
    from lrlab.lab2d.compare import TUTORIAL_SPECS, compare, tune
    from lrlab.plots import optimizers as plots
    from lrlab.plots._figure import save

    start = (-1.0, 1.0)
    comparison = compare("tutorial", TUTORIAL_SPECS, steps=100, start=start)
    tuning = tune("tutorial", TUNED, steps=100, start=start, progress=progress)
    tuned = compare("tutorial", tuning.best_specs(), steps=100, start=start)
    figures = (
        save(plots.plot_paths(comparison).figure, out / "part2_optimizers.png"),
        plots.animate_paths(comparison, out / "part2_optimizers.gif"),
        save(plots.tuning_figure(tuning), out / "part2_tuning.png"),
        save(
            plots.plot_paths(tuned, title="Each optimizer at its best LR on tutorial (100 steps)").figure,
            out / "part2_tuned_paths.png",
        ),
    )
    rows = [(run.spec.label, f"final loss {run.final_loss:.6g}") for run in comparison.runs]
    tuned_summary = []
    for res in tuning.results:
        band = res.good_band
        band_text = (
            "no good band" if band is None else (f"good {band[0]:.3g}-{band[1]:.3g} ({res.band_decades:.2f} dec.)")
        )
        rows.append(
            (f"tuned {res.spec.options_label}", f"best LR {res.best_lr:.3g} -> {res.best_loss:.3g}; {band_text}")
        )
        tuned_summary.append(
            {
                "optimizer": res.spec.name,
                "params": dict(res.spec.params) | {"lr": None},
                "best_lr": res.best_lr,
                "best_loss": res.best_loss,
                "good_band": band,
                "band_decades": res.band_decades,
            }
        )
    summary = {
        "function": "tutorial",
        "start": list(start),
        "steps": 100,
        "runs": [run.to_dict() for run in comparison.runs],
        "tuning": {
            "num_lrs": int(tuning.lrs.size),
            "lr_range": [float(tuning.lrs[0]), float(tuning.lrs[-1])],
            "optimizers": tuned_summary,
        },
    }
    return PartResult(KEY, TITLE, figures, tuple(rows), summary)
