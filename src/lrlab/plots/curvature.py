"""Curvature figures: sharpness along descent paths against the 2/LR threshold.

They read a :class:`~lrlab.lab2d.curvature.CurvatureResult` and compute nothing but
what they draw (``lr * lambda_max`` is the result's own ``edge_ratio``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrlab.lab2d.curvature import CurvatureResult
from lrlab.plots._figure import new_axes, subplots

__all__ = ["plot_sharpness", "plot_edge", "plot_curvature"]

_LINTHRESH = 10  # the first steps, where the large LRs decide their fate, on a linear scale


# Qualitative colours, red left out: red is the threshold's.
_PALETTE = ("tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")


def _colors(n: int) -> list[str]:
    return [_PALETTE[k % len(_PALETTE)] for k in range(n)]


def _lr_label(result: CurvatureResult, k: int) -> str:
    lr = "?" if result.lrs is None else f"{result.lrs[k]:g}"
    return f"LR {lr}" + (f", diverged at step {int(result.steps[k])}" if result.diverged[k] else "")


def _step_axis(ax: Axes, result: CurvatureResult) -> None:
    last = max(int(result.steps.max()), 1)
    ax.set_xscale("symlog", linthresh=_LINTHRESH, linscale=1.5)
    ax.set_xlim(0, last)
    ticks = [t for t in (0, 1, 2, 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000, 100_000) if t <= last]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xticks([], minor=True)
    ax.set_xlabel(f"step (linear to {_LINTHRESH}, then log)")
    ax.grid(True, alpha=0.25)


def _curves(ax: Axes, result: CurvatureResult, values: np.ndarray) -> None:
    """One line per run on a log axis: points with a non-positive value (concave there) are left out."""
    values = np.where(values > 0, values, np.nan)
    steps = np.arange(values.shape[1])
    for k, color in enumerate(_colors(len(result))):
        n = int(result.steps[k]) + 1
        ax.plot(steps[:n], values[k, :n], ".-", color=color, markersize=3, linewidth=1.2, label=_lr_label(result, k))
        if result.diverged[k]:
            ax.plot(steps[n - 1], values[k, n - 1], "x", color="firebrick", markersize=11, markeredgewidth=2.5)


def plot_sharpness(result: CurvatureResult, ax: Axes | None = None) -> Axes:
    """``lambda_max`` along each path (log scale), each run's ``2 / LR`` dashed in its colour.

    A dotted grey line marks ``lambda_max`` at the minimum, when the landscape has one.
    Points where ``lambda_max <= 0`` (concave, e.g. a local maximum) are off the log axis.
    """
    ax = new_axes(ax, figsize=(8, 5))
    _curves(ax, result, result.sharpness)
    if result.lrs is not None:
        for k, color in enumerate(_colors(len(result))):
            ax.axhline(2 / result.lrs[k], color=color, linestyle="--", linewidth=1.2)
        ax.plot([], [], "--", color="gray", label="2 / LR of the run in the same colour")
    at_min = result.minimum_sharpness
    if np.isfinite(at_min).all() and np.min(at_min) == np.max(at_min):
        value = float(at_min[0])
        ax.axhline(value, color="dimgray", linestyle=":", linewidth=2, label=f"λmax at the minimum = {value:.4g}")
    elif np.isfinite(at_min).any():  # the runs end near different minima
        for value, color in zip(at_min, _colors(len(result))):
            if np.isfinite(value):
                ax.axhline(value, color=color, linestyle=":", linewidth=2)
        ax.plot([], [], ":", color="gray", linewidth=2, label="λmax at the minimum each run ends nearest")
    ax.set_yscale("log")
    _step_axis(ax, result)
    ax.set_ylabel("sharpness λmax (largest Hessian eigenvalue)")
    title = f"Sharpness along each path on {result.landscape}"
    start = result.start_sharpness
    if np.isfinite(start).any() and np.nanmin(start) == np.nanmax(start):
        crit = float(result.critical_lr_start[0])
        title += f"\nλmax at the start = {start[0]:.4g}: " + (
            f"the quadratic model's critical LR 2/λmax = {crit:.4g}"
            if np.isfinite(crit)
            else "concave there, no LR limit from the quadratic model"
        )
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_edge(result: CurvatureResult, ax: Axes | None = None) -> Axes:
    """``LR * lambda_max`` along each path (log scale) against the threshold 2.

    Points where ``lambda_max <= 0`` (concave, e.g. a local maximum) are off the log axis.
    Above the line, the local quadratic model says a step overshoots so far that the
    distance along the sharpest direction grows: a run that stays above it diverges.

    Raises:
        ValueError: If the runs had no learning rates.
    """
    ratio = result.edge_ratio
    ax = new_axes(ax, figsize=(8, 5))
    top = max(float(np.nanmax(ratio)) * 2, 20.0)
    ax.axhspan(2, top, color="#fc9272", alpha=0.18, linewidth=0)
    ax.axhline(2, color="firebrick", linewidth=2, label="LR · λmax = 2  (λmax = 2 / LR): the divergence threshold")
    _curves(ax, result, ratio)
    ax.plot([], [], "x", color="firebrick", markersize=9, markeredgewidth=2.5, label="left the box (diverged)")
    ax.set_yscale("log")
    # Concave points (lambda_max <= 0, e.g. a local maximum) cannot show on a log axis.
    positive = ratio[ratio > 0]
    ax.set_ylim(min(float(positive.min()) / 2 if positive.size else 1.0, 0.5), top)
    _step_axis(ax, result)
    ax.set_ylabel("LR · λmax")
    ax.set_title(
        f"Is each step beyond the edge? LR · λmax along each path on {result.landscape}\n"
        "shaded: above 2, where a quadratic this sharp would diverge"
    )
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_curvature(result: CurvatureResult) -> Figure:
    """Both views side by side: :func:`plot_sharpness` and :func:`plot_edge`."""
    fig, (left, right) = subplots(1, 2, figsize=(15, 5.5))
    plot_sharpness(result, left)
    plot_edge(result, right)
    fig.tight_layout()
    return fig
