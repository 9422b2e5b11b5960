"""Part 4 figure: the range test's loss against learning rate, with every rule's suggestion."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from lrlab.finder import LRFinderResult, Suggestion
from lrlab.plots._figure import new_axes, subplots
from lrlab.plots.sharpness import EDGE_COLOR, plot_sharpness

# One colour per rule, stable across figures.
METHOD_COLORS = {
    "steepest": "#d62728",
    "minimum": "#2ca02c",
    "valley": "#9467bd",
    "slide": "#ff7f0e",
    "tutorial": "#7f7f7f",
    "edge": EDGE_COLOR,
}

__all__ = ["plot_finder", "METHOD_COLORS"]


def _y_limits(result: LRFinderResult) -> tuple[float, float] | None:
    """Frame the useful part: from below the minimum to a little above the start.

    The blow-up at the end runs off the top (it would flatten everything else).
    """
    sm = result.smoothed[np.isfinite(result.smoothed)]
    if sm.size < 2:
        return None
    low = float(sm.min())
    high = float(sm[: int(np.argmin(sm)) + 1].max())
    span = max(high - low, 1e-3 * max(abs(high), 1.0))
    raw = np.concatenate([result.losses, result.val_losses if result.val_losses is not None else []])
    raw = raw[np.isfinite(raw)]
    floor = min(low, float(raw.min())) if raw.size else low
    return floor - 0.1 * span, high + 0.6 * span


def plot_finder(
    result: LRFinderResult,
    suggestions: Mapping[str, Suggestion] | None = None,
    ax: Axes | None = None,
    *,
    shade: str | None = "steepest",
) -> Axes:
    """Loss against learning rate (log axis): raw and smoothed, suggestions marked.

    Args:
        result: A range test's result.
        suggestions: Rule name -> :class:`Suggestion` to mark (computed by the caller).
        ax: Axes to draw on; a new figure when ``None``.
        shade: The rule whose ``lr_range`` is shaded (``None``: no shading).

    A result with a tracked sharpness, drawn on a new figure (``ax=None``), gets a second panel
    below: :func:`lrlab.plots.sharpness.plot_sharpness` on the same LR axis.

    Returns:
        The axes drawn on (the loss panel).
    """
    second = None
    if ax is None and result.sharpness is not None:
        _fig, (ax, second) = subplots(2, 1, figsize=(9, 8.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax = new_axes(ax, figsize=(9, 5.5))
    ax.plot(result.lrs, result.losses, color="#1f77b4", alpha=0.35, linewidth=1, label="loss (raw)")
    label = "validation loss (smoothed)" if result.monitor == "val" else "loss (smoothed)"
    ax.plot(result.lrs, result.smoothed, color="#1f77b4", linewidth=2.2, label=label)
    if result.val_losses is not None:
        ax.plot(result.lrs, result.val_losses, color="#17becf", alpha=0.5, linewidth=1, label="validation loss (raw)")
    for name, s in (suggestions or {}).items():
        color = METHOD_COLORS.get(name, "black")
        ax.axvline(s.lr, color=color, linestyle="--", linewidth=1, alpha=0.8)
        ax.plot(
            [s.lr],
            [s.loss],
            "o",
            color=color,
            markersize=8,
            markeredgecolor="white",
            zorder=5,
            label=f"{name}: {s.lr:.3g}",
        )
        if name == shade and s.lr_range is not None:
            ax.axvspan(
                *s.lr_range, color=color, alpha=0.12, label=f"{name} range {s.lr_range[0]:.2g}..{s.lr_range[1]:.2g}"
            )
    ax.set_xscale("log")
    limits = _y_limits(result)
    if limits is not None:
        ax.set_ylim(*limits)
    ax.set_xlim(result.lrs[0], result.lrs[-1] if result.steps > 1 else result.end_lr)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    stop = {"completed": "completed", "diverged": "stopped: diverged", "non-finite": "stopped: NaN/Inf loss"}
    ax.set_title(f"LR range test: {result.steps} of {result.num_iter} steps, {stop[result.stop_reason]}")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    if second is not None:
        plot_sharpness(result, suggestions, second)
        ax.set_xlabel("")
        second.set_xlim(ax.get_xlim())
    return ax
