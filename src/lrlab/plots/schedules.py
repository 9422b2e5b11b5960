"""Part 3 figure: learning-rate schedules on one plot (the tutorial's)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from lrlab.plots._figure import new_axes
from lrlab.schedules.sample import ScheduleSamples

__all__ = ["plot_schedules", "legend_label"]

# Longest legend entry: a long spec is cut (its whole text stays in the table, JSON and CSV).
LEGEND_WIDTH = 60
# Most legend entries: beyond them one entry counts the rest (200 entries would make the
# figure thousands of pixels tall).
LEGEND_ENTRIES = 20


def legend_label(label: str, width: int = LEGEND_WIDTH) -> str:
    """``label`` cut to ``width`` characters, the last one an ellipsis, if it is longer.

    Examples:
        >>> legend_label("join([constant(0.1), constant(0.01)], boundaries=[50])", width=20)
        'join([constant(0.1)…'
    """
    return label if len(label) <= width else label[: width - 1] + "\u2026"


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
        The axes; each line's label is its schedule's label, cut to ``LEGEND_WIDTH``
        characters (:func:`legend_label`). The legend lists the first ``LEGEND_ENTRIES - 1``
        lines and counts the others when there are more than ``LEGEND_ENTRIES``.
    """
    ax = new_axes(ax, figsize=(12, 5))
    labels = [legend_label(label) for label in samples.labels]
    for label, lrs in zip(labels, samples.lrs):
        y = np.where(lrs > 0, lrs, np.nan) if log else lrs
        ax.plot(samples.steps, y, linewidth=2, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Learning Rate")
    ax.set_title(title)
    handles, entries = ax.get_legend_handles_labels()
    if len(entries) > LEGEND_ENTRIES:
        keep = LEGEND_ENTRIES - 1
        handles = [*handles[:keep], Line2D([], [], linestyle="none")]
        entries = [*entries[:keep], f"\u2026 and {len(entries) - keep} more"]
    if len(labels) > 5 or max(len(label) for label in labels) > 30:
        # Long specs would cover the curves; put the legend beside the plot instead.
        ax.legend(handles, entries, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        ax.legend(handles, entries)
    ax.grid(True, alpha=0.3, which="both" if log else "major")
    return ax
