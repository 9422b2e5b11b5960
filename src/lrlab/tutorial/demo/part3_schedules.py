"""Demo Part 3: the tutorial's five schedules over 100 epochs at base_lr 0.1."""

from __future__ import annotations

from pathlib import Path

from lrlab._checks import Progress
from lrlab.tutorial.demo import PartResult

KEY, TITLE = "schedules", "Part 3: learning-rate schedules"
EPOCHS, BASE_LR = 100, 0.1

# The tutorial's legend labels and the specs of its five schedules (its defaults).
SPECS = {
    "Constant": f"constant(base_lr={BASE_LR})",
    "Step Decay": f"step(base_lr={BASE_LR}, drop=0.5, every=30)",
    "Exponential": f"exponential(base_lr={BASE_LR}, k=0.05)",
    "Cosine": f"cosine(base_lr={BASE_LR}, total=100, min_lr=0.001)",
    "Warmup + Cosine": f"warmup_cosine(base_lr={BASE_LR}, warmup=10, total=100, min_lr=0.001)",
}


def run(out: Path, progress: Progress | None = None) -> PartResult:
    """Draw the tutorial's schedule figure and summarise each schedule's values."""
    from lrlab.plots._figure import save
    from lrlab.plots.schedules import plot_schedules
    from lrlab.schedules import parse, sample

    samples = sample([parse(s) for s in SPECS.values()], EPOCHS, labels=list(SPECS))
    ax = plot_schedules(samples, xlabel="Epoch")
    figures = (save(ax.figure, Path(out) / "part3_schedules.png"),)
    if progress is not None:
        progress(1, 1)
    rows = []
    per_schedule = {}
    for (label, spec), stats, lrs in zip(SPECS.items(), samples.stats(), samples.lrs):
        rows.append((label, f"epoch 0: {stats['first']:.4g}, epoch 50: {lrs[50]:.4g}, epoch 99: {stats['last']:.4g}"))
        per_schedule[label] = {
            "spec": spec,
            "first": stats["first"],
            "at_50": float(lrs[50]),
            "last": stats["last"],
            "mean": float(lrs.mean()),
        }
    summary = {"epochs": EPOCHS, "base_lr": BASE_LR, "schedules": per_schedule}
    return PartResult(KEY, TITLE, figures, tuple(rows), summary)
