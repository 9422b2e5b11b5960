"""Sweep figures: each copy's loss curve coloured by its LR, and the final loss against LR."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import cm, colormaps, colors
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrlab.plots._figure import new_axes, panels
from lrlab.sweep import SweepResult

CMAP = "viridis"
DIVERGED_COLOR = "#d62728"

__all__ = ["plot_sweep_curves", "plot_sweep_final", "plot_sweep", "lr_norm"]


def lr_norm(result: SweepResult) -> colors.Normalize:
    """A log colour scale spanning the sweep's LRs."""
    low, high = float(result.lrs.min()), float(result.lrs.max())
    if low == high:
        low, high = low / 2, high * 2
    return colors.LogNorm(vmin=low, vmax=high)


def _loss_limits(result: SweepResult) -> tuple[float, float] | None:
    """Frame the copies that trained: from their lowest loss to a little above the start.

    Diverging copies run off the top instead of flattening every other curve.
    """
    finite = result.train_losses[np.isfinite(result.train_losses)]
    if finite.size == 0:
        return None
    start = result.train_losses[:, 0]
    start = start[np.isfinite(start)]
    high = float(np.max(start)) if start.size else float(finite.max())
    low = float(finite.min())
    span = max(high - low, 1e-3 * max(abs(high), 1.0))
    return low - 0.05 * span, high + 0.25 * span


def plot_sweep_curves(result: SweepResult, ax: Axes | None = None) -> Axes:
    """Train loss against step, one line per copy, coloured by LR on a log scale.

    The best copy is drawn thick; diverged copies are dashed and stop where their loss
    stops being finite.
    """
    ax = new_axes(ax, figsize=(8, 5))
    norm = lr_norm(result)
    cmap = colormaps[CMAP]
    steps = np.arange(1, result.steps + 1)
    best = result.best_index
    for k in np.argsort(result.lrs):
        color = cmap(norm(result.lrs[k]))
        style = "--" if result.diverged[k] else "-"
        width = 2.6 if k == best else 1.1
        ax.plot(
            steps, result.train_losses[k], style, color=color, linewidth=width, alpha=0.9, zorder=3 if k == best else 2
        )
    limits = _loss_limits(result)
    if limits is not None:
        ax.set_ylim(*limits)
    ax.set_xlim(1, max(result.steps, 2))
    bar = ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax)
    bar.set_label("learning rate")
    ax.set_xlabel("step")
    ax.set_ylabel("train loss")
    title = f"{result.num_lrs} copies x {result.steps} steps ({result.optimizer}, {result.mode})"
    if best is not None:
        title += f"\nbest LR {result.best_lr:.3g} (thick line)"
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return ax


def plot_sweep_final(result: SweepResult, ax: Axes | None = None) -> Axes:
    """Each copy's score (the number the best LR minimises) against LR, log x axis.

    The y axis stops a little above the starting loss: copies that ended higher are drawn
    as triangles on the top edge, diverged copies as red crosses there; the best is a star.
    """
    ax = new_axes(ax, figsize=(8, 5))
    order = np.argsort(result.lrs)
    lrs, scores, diverged = result.lrs[order], result.scores[order], result.diverged[order]
    limits = _loss_limits(result)
    finite = scores[np.isfinite(scores)]
    bottom, top = limits if limits is not None else (0.0, 1.0)
    if finite.size:
        bottom = min(bottom, float(finite.min()))
    span = top - bottom
    ceiling = top + 0.05 * span
    shown = np.isfinite(scores) & (scores <= top)
    ax.plot(lrs[np.isfinite(scores)], np.minimum(scores[np.isfinite(scores)], ceiling), "-", color="#1f77b4", alpha=0.5)
    ax.plot(lrs[shown], scores[shown], "o", color="#1f77b4", label=result.score_name)
    high = np.isfinite(scores) & (scores > top)
    if high.any():
        ax.plot(
            lrs[high],
            np.full(int(high.sum()), ceiling),
            "^",
            color="#1f77b4",
            markersize=9,
            label="ended above the start (off scale)",
        )
    if diverged.any():
        ax.plot(
            lrs[diverged],
            np.full(int(diverged.sum()), ceiling),
            "x",
            color=DIVERGED_COLOR,
            markersize=10,
            markeredgewidth=2,
            label="diverged (NaN/Inf)",
        )
    if result.best_index is not None:
        best = result.best_index
        ax.plot(
            [result.lrs[best]],
            [result.scores[best]],
            "*",
            color="#ff7f0e",
            markersize=18,
            markeredgecolor="black",
            zorder=5,
            label=f"best: {result.best_lr:.3g}",
        )
    ax.set_ylim(bottom - 0.05 * span, top + 0.12 * span)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.set_title(f"after {result.steps} steps")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    return ax


def plot_sweep(result: SweepResult, axes: Sequence[Axes] | None = None) -> Figure:
    """Both panels side by side: the curves, and the final loss against LR.

    Args:
        result: The sweep.
        axes: Two axes to draw the panels on (curves, final loss); a new figure when ``None``.

    Returns:
        The figure the panels are on (laid out when new).
    """
    fig, (left, right), created = panels(axes, 2, figsize=(15, 5.5))
    plot_sweep_curves(result, ax=left)
    plot_sweep_final(result, ax=right)
    if created:
        fig.tight_layout()
    return fig
