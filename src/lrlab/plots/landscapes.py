"""Part 1 figures: paths on contour plots, and the LR-sensitivity curve."""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from lrlab._checks import check_int
from lrlab.lab2d.descent import DescentResult
from lrlab.lab2d.landscapes import Landscape, get
from lrlab.lab2d.sensitivity import SensitivityResult
from lrlab.plots._figure import new_axes, subplots

ZONE_COLORS = {"slow": "#9ecae1", "good": "#a1d99b", "unstable": "#fdd49e", "diverging": "#fc9272"}

__all__ = ["plot_contours", "plot_path", "plot_lr_grid", "plot_descent", "plot_sensitivity", "ZONE_COLORS"]


def plot_contours(landscape: Landscape, ax: Axes | None = None, alpha: float = 0.7) -> Axes:
    """Log-spaced contour lines of ``landscape`` over its window, minima starred."""
    ax = new_axes(ax)
    x0, x1, y0, y1 = landscape.window
    X, Y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    Z = landscape.value(X, Y)
    # Shift so the lowest point is 0: log-spaced levels then work for any landscape
    # (the tutorial's own levels, logspace(-1, 3, 20), fall out for its function).
    Zs = Z - min(float(Z.min()), 0.0)
    hi = float(np.percentile(Zs, 99))
    lo = 0.1 if hi > 100 else max(hi / 1e4, 1e-3)
    ax.contour(X, Y, Zs, levels=np.logspace(math.log10(lo), math.log10(hi), 20), cmap="viridis", alpha=alpha)
    for i, (mx, my) in enumerate(landscape.minima):
        ax.plot(mx, my, "r*", markersize=15, label="Minimum" if i == 0 else None)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return ax


def plot_path(result: DescentResult, k: int, ax: Axes, color: str = "r", label: str | None = None) -> Axes:
    """Draw run ``k``'s path (dots joined by lines) and its start point."""
    path = result.trajectory(k)
    ax.plot(path[:, 0], path[:, 1], ".-", color=color, linewidth=1, markersize=3, label=label)
    ax.plot(path[0, 0], path[0, 1], "go", markersize=10, label="Start" if label is None else None)
    return ax


def _title(result: DescentResult, k: int) -> str:
    lr = result.lrs[k] if result.lrs is not None else float("nan")
    line = f"LR = {lr:g}\nFinal loss: {result.final_loss[k]:.4f}"
    if result.diverged[k]:
        x, y = result.final_position[k]
        line += f"\ndiverged after {int(result.steps[k])} steps, at ({x:.2f}, {y:.2f})"
    return line


def plot_lr_grid(landscape: Landscape, result: DescentResult) -> Figure:
    """The tutorial's figure: one contour plot per learning rate with its path.

    The axes keep the landscape's window, so a diverging path runs off the frame; the
    title says where it ended.
    """
    n = len(result)
    ncols = 2 if n <= 4 else 3
    nrows = math.ceil(n / ncols)
    fig, axes = subplots(nrows, ncols, figsize=(6 * ncols, 5 * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        plot_contours(landscape, ax)
        plot_path(result, k, ax)
        ax.set_title(_title(result, k), color="firebrick" if result.diverged[k] else "black")
        ax.legend(loc="upper right")
    fig.suptitle(f"Gradient descent on {landscape.name}: {landscape.formula}", y=1.0)
    fig.tight_layout()
    return fig


def plot_descent(
    result: DescentResult, ax: Axes | None = None, *, landscape: Landscape | None = None, max_paths: int = 8
) -> Axes:
    """Every run of a batch on one contour plot: up to ``max_paths`` paths, every run's end point.

    The paths drawn are spread evenly over the batch (in LR order), each ending in a dot. When
    some runs have no path drawn (more runs than ``max_paths``, or a result recorded without
    paths), every run's end point is shown too, coloured by LR on a log scale. A diverged run
    ends in a red cross (outside the frame when it left the bound).

    Args:
        result: The batch of runs.
        ax: Axes to draw on; a new figure when ``None``.
        landscape: The landscape the runs were on (default: the registered one of that name;
            pass it for a landscape of your own).
        max_paths: The most paths to draw (>= 0).

    Returns:
        The axes drawn on.

    Raises:
        TypeError: If ``max_paths`` is not an int.
        ValueError: If ``max_paths`` is negative, or ``landscape`` is not given for a name
            that is not registered.
    """
    max_paths = check_int("max_paths", max_paths, 0)
    land = get(result.landscape) if landscape is None else landscape
    ax = new_axes(ax, figsize=(8, 6.5))
    plot_contours(land, ax, alpha=0.5)
    n = len(result)
    order = np.argsort(result.lrs, kind="stable") if result.lrs is not None else np.arange(n)
    picks = np.zeros(0, dtype=int)
    if result.trajectories is not None and max_paths > 0:
        picks = order[np.unique(np.linspace(0, n - 1, min(n, max_paths)).round().astype(int))]
    for i, k in enumerate(picks):
        lr = "" if result.lrs is None else f"LR {result.lrs[k]:g}: "
        tail = f"diverged after {int(result.steps[k])} steps" if result.diverged[k] else f"{result.final_loss[k]:.4g}"
        path = result.trajectory(int(k))
        (line,) = ax.plot(path[:, 0], path[:, 1], ".-", lw=1, ms=2.5, color=f"C{i % 10}", alpha=0.85, label=lr + tail)
        if not result.diverged[k]:
            ax.plot(*path[-1], "o", color=line.get_color(), ms=7, mec="black", zorder=4)
    ok = ~result.diverged
    end = result.final_position
    if picks.size < n and ok.any():
        lrs = result.lrs
        if lrs is not None and lrs.size == n and float(lrs.min()) > 0:
            dots = ax.scatter(end[ok, 0], end[ok, 1], c=lrs[ok], cmap="plasma", norm=colors.LogNorm(), s=14, zorder=4)
            ax.figure.colorbar(dots, ax=ax, label="learning rate (end points)")
        else:
            ax.scatter(end[ok, 0], end[ok, 1], color="black", s=14, zorder=4, label="end points")
    if (~ok).any():
        ax.plot(end[~ok, 0], end[~ok, 1], "x", color="firebrick", ms=7, mew=2, zorder=4, label="diverged")
    starts = np.unique(result.starts, axis=0)
    ax.plot(starts[:, 0], starts[:, 1], "go", ms=9, label="Start")
    ax.set_title(
        f"{n} runs on {land.name}, {result.max_steps} steps: {int(result.diverged.sum())} diverged"
        + ("" if result.trajectories is not None else " (paths not recorded)")
    )
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return ax


def _spans(zones: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Runs of equal zones as ``(first, last, zone)`` index triples."""
    spans: list[tuple[int, int, str]] = []
    for i, z in enumerate(zones):
        if spans and spans[-1][2] == z:
            spans[-1] = (spans[-1][0], i, z)
        else:
            spans.append((i, i, z))
    return spans


def plot_sensitivity(result: SensitivityResult, ax: Axes | None = None) -> Axes:
    """Final loss against LR (log axes), the background coloured by zone (slow, good, unstable, diverging)."""
    ax = new_axes(ax, figsize=(9, 5))
    lrs = result.lrs
    edges = np.sqrt(lrs[1:] * lrs[:-1])
    lo_edges = np.concatenate([[lrs[0]], edges])
    hi_edges = np.concatenate([edges, [lrs[-1]]])
    for first, last, zone in _spans(result.zones):
        ax.axvspan(lo_edges[first], hi_edges[last], color=ZONE_COLORS[zone], alpha=0.5, linewidth=0)
    shown = np.where(result.diverged, np.nan, result.final_loss)
    offset = 0.0 if np.nanmin(np.append(shown, np.inf)) > 0 else 1e-12 - min(np.nanmin(shown), 0.0)
    ax.plot(lrs, shown + offset, color="black", linewidth=1.5, label="final loss")
    ax.axhline(result.start_loss + offset, color="gray", linestyle=":", label="starting loss")
    if result.best_index is not None:
        ax.axvline(result.best_lr, color="darkgreen", linestyle="--", label=f"best LR {result.best_lr:.3g}")
    first_div = result.first_diverging_lr
    if first_div is not None:
        ax.axvline(first_div, color="firebrick", linestyle="--", label=f"diverges from {first_div:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Past a few times the first diverging LR everything diverges: show less of it.
    ax.set_xlim(lrs[0], lrs[-1] if first_div is None else min(lrs[-1], 4 * first_div))
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final loss" + (f" + {offset:.3g}" if offset else ""))
    ax.set_title(f"LR sensitivity on {result.landscape}: {result.optimizer}, {result.steps} steps, {lrs.size} LRs")
    handles, _labels = ax.get_legend_handles_labels()
    handles += [Patch(color=ZONE_COLORS[z], alpha=0.5, label=z) for z in ZONE_COLORS if z in result.zones]
    ax.legend(handles=handles, loc="best", fontsize=9)
    ax.grid(True, which="both", alpha=0.2)
    return ax
