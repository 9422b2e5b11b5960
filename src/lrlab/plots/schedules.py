"""Part 3 figure: learning-rate schedules on one plot (the tutorial's)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from lrlab.plots._figure import new_axes
from lrlab.schedules.sample import ScheduleSamples

__all__ = ["plot_schedules"]


def plot_schedules(
    samples: ScheduleSamples,
    ax: Axes | None = None,
    log: bool = False,
    title: str = "Learning Rate Schedules",
    xlabel: str = "Step",
) -> Axes:
    """Draw every sampled schedule against the step, as the tutorial does.

    Args:
        samples: Schedules evaluated at the same steps (:func:`lrlab.schedules.sample`).
        ax: Axes to draw on; a new 12 x 5 figure when ``None``.
        log: Log-scale learning-rate axis (steps where a rate is 0, such as the first
            step of a warmup, are left out of the line rather than clipped).
        title: Figure title.
        xlabel: Label of the step axis (the tutorial's is ``"Epoch"``).

    Returns:
        The axes.
    """
    ax = new_axes(ax, figsize=(12, 5))
    for label, lrs in zip(samples.labels, samples.lrs):
        y = np.where(lrs > 0, lrs, np.nan) if log else lrs
        ax.plot(samples.steps, y, linewidth=2, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Learning Rate")
    ax.set_title(title)
    if len(samples.labels) > 5 or max(len(label) for label in samples.labels) > 30:
        # Long specs would cover the curves; put the legend beside the plot instead.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        ax.legend()
    ax.grid(True, alpha=0.3, which="both" if log else "major")
    return ax
