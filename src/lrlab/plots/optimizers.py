"""Part 2 figures: optimizer paths on one contour plot, their LR sensitivity, an animation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from lrlab.lab2d.compare import Comparison, OptimizerRun, Tuning
from lrlab.plots._figure import new_axes, panels, subplots
from lrlab.plots.landscapes import plot_contours

# The tutorial's colours first, then matplotlib's tab palette.
COLORS = ("blue", "green", "red", "purple", "tab:orange", "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")

__all__ = ["COLORS", "plot_paths", "plot_tuning", "plot_bands", "tuning_figure", "animate_paths"]


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _run_label(run: OptimizerRun) -> str:
    tail = f"diverged after {run.steps} steps" if run.diverged else f"final loss {run.final_loss:.4g}"
    return f"{run.spec.label}: {tail}"


def plot_paths(comparison: Comparison, ax: Axes | None = None, title: str | None = None) -> Axes:
    """The tutorial's figure: every optimizer's path on the landscape's contour plot.

    A diverged path runs off the frame; the legend says so.
    """
    ax = new_axes(ax, figsize=(10, 8))
    _draw_paths(comparison, ax)
    if title is not None:
        ax.set_title(title)
    return ax


def _draw_paths(comparison: Comparison, ax: Axes) -> list[Line2D]:
    plot_contours(comparison.landscape, ax, alpha=0.5)
    ax.plot(*comparison.start, "o", color="black", markersize=7, label="Start", zorder=1.5)
    lines = []
    for i, run in enumerate(comparison.runs):
        (line,) = ax.plot(
            run.path[:, 0],
            run.path[:, 1],
            ".-",
            linewidth=1,
            markersize=3,
            color=_color(i),
            label=_run_label(run),
            alpha=0.8,
        )
        lines.append(line)
    ax.set_title(
        f"Optimizer comparison on {comparison.landscape.name}, {comparison.max_steps} steps "
        f"from ({comparison.start[0]:g}, {comparison.start[1]:g})"
    )
    ax.legend(loc="best", fontsize=9)
    return lines


def _gap(tuning: Tuning, loss: np.ndarray) -> tuple[np.ndarray, str]:
    """Loss above the landscape's minimum, for a log axis (exact zeros floored at 1e-16)."""
    target = tuning.landscape.min_value
    if np.isfinite(target):
        return np.maximum(loss - target, 1e-16), "final loss - minimum" if target != 0 else "final loss"
    return loss, "final loss"


def plot_tuning(tuning: Tuning, ax: Axes | None = None) -> Axes:
    """Final loss against learning rate for every optimizer; a dot marks each best LR.

    Diverged runs leave a gap in their curve.
    """
    ax = new_axes(ax, figsize=(11, 5))
    ylabel = "final loss"
    for i, res in enumerate(tuning.results):
        curve = res.curve
        shown, ylabel = _gap(tuning, np.where(curve.diverged, np.nan, curve.final_loss))
        best = "" if res.all_diverged else f", best LR {res.best_lr:.3g}"
        ax.plot(curve.lrs, shown, color=_color(i), linewidth=1.5, label=f"{res.spec.options_label}{best}")
        if not res.all_diverged:
            ax.plot([res.best_lr], _gap(tuning, np.array([res.best_loss]))[0], "o", color=_color(i), markersize=6)
    start_loss = float(tuning.landscape.loss(np.asarray(tuning.start)))
    ax.axhline(float(_gap(tuning, np.array([start_loss]))[0][0]), color="gray", linestyle=":", label="starting loss")
    ax.set_xscale("log")
    # Unbounded below (a saddle): losses go negative, so a log axis would hide them.
    ax.set_yscale("log" if np.isfinite(tuning.landscape.min_value) else "symlog")
    ax.set_xlim(tuning.lrs[0], tuning.lrs[-1])
    ax.set_xlabel("learning rate")
    ax.set_ylabel(ylabel)
    ax.set_title(
        f"LR sensitivity on {tuning.landscape.name}: {tuning.lrs.size} LRs per optimizer, "
        f"{tuning.max_steps} steps from ({tuning.start[0]:g}, {tuning.start[1]:g})"
    )
    ax.grid(True, which="both", alpha=0.2)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return ax


def plot_bands(tuning: Tuning, ax: Axes | None = None) -> Axes:
    """One row per optimizer: the LRs whose run reached the minimum, the widest band dark.

    Each LR covers its grid cell, so an isolated good LR shows as a thin tick.
    """
    ax = new_axes(ax, figsize=(11, 3))
    lrs = tuning.lrs
    mids = np.sqrt(lrs[1:] * lrs[:-1])
    lo_edges = np.concatenate([[lrs[0]], mids])
    hi_edges = np.concatenate([mids, [lrs[-1]]])
    n = len(tuning.results)
    right = blended_transform_factory(ax.transAxes, ax.transData)
    for i, res in enumerate(tuning.results):
        y = n - 1 - i
        band = res.good_band
        for first, last in res.good_segments:
            widest = band is not None and (lrs[first], lrs[last]) == band
            ax.hlines(
                y,
                lo_edges[first],
                hi_edges[last],
                color=_color(i),
                linewidth=9 if widest else 4,
                alpha=1.0 if widest else 0.45,
            )
        width = f"{res.band_decades:.2f} decades" if band is not None else "none"
        ax.text(1.01, y, width, transform=right, va="center", fontsize=9, color=_color(i))
    ax.set_yticks(range(n), [r.spec.options_label for r in reversed(tuning.results)])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xscale("log")
    ax.set_xlim(lrs[0], lrs[-1])
    ax.set_xlabel("learning rate")
    title = (
        "Good LRs (99% of the way to the minimum); dark: the widest band"
        if np.isfinite(tuning.landscape.min_value)
        else "No minimum (unbounded below): no LR counts as good"
    )
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    return ax


def tuning_figure(tuning: Tuning, axes: Sequence[Axes] | None = None) -> Figure:
    """The sensitivity curves above the good-band chart, sharing the LR axis.

    Args:
        tuning: The sweep of every optimizer.
        axes: Two axes to draw on (curves, bands); a new figure when ``None``.

    Returns:
        The figure the panels are on (laid out when new).
    """
    n = len(tuning.results)
    fig, (top, bottom), created = panels(
        axes,
        2,
        figsize=(13, 7 + 0.3 * n),
        nrows=2,
        ncols=1,
        sharex=True,
        gridspec_kw={"height_ratios": [3, max(1, 0.25 * n)]},
    )
    plot_tuning(tuning, top)
    top.set_xlabel("")
    plot_bands(tuning, bottom)
    if created:
        fig.tight_layout()
    return fig


def animate_paths(comparison: Comparison, path: Path, fps: int = 15, max_frames: int = 60) -> Path:
    """Write a GIF in which every optimizer's path grows step by step.

    The contours are drawn once and each frame only redraws the paths (blitting), so
    a 60-frame GIF takes seconds, not minutes.

    Args:
        comparison: The runs to animate.
        path: Where to write the GIF.
        fps: Frames per second (>= 1).
        max_frames: At most this many frames (>= 2; steps are subsampled evenly).

    Returns:
        ``path``.

    Raises:
        ValueError: If ``fps`` or ``max_frames`` is too small.
    """
    import matplotlib.pyplot as plt
    from PIL import Image

    if fps < 1 or max_frames < 2:
        raise ValueError(f"fps must be >= 1 and max_frames >= 2, got fps={fps}, max_frames={max_frames}")
    fig, ax = subplots(1, 1, figsize=(10, 8))
    fig.set_dpi(80)
    # The legend is built from the full paths; then the paths are emptied and regrown.
    lines = _draw_paths(comparison, ax)
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # the frames are read from Agg's pixel buffer
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    # One palette for every frame, taken from the finished picture so that it holds
    # every path's colour: faster than a palette per frame, and no flicker.
    # Thin lines cover few pixels, so each path's colour also gets a solid swatch.
    finished = np.asarray(canvas.buffer_rgba())[..., :3]
    swatches = np.concatenate(
        [
            np.full((40, finished.shape[1], 3), np.round(np.array(to_rgb(line.get_color())) * 255), dtype=np.uint8)
            for line in lines
        ]
    )
    palette = Image.fromarray(np.concatenate([finished, swatches])).quantize(colors=255)
    for line in lines:
        line.set_data([], [])
        line.set_animated(True)
    counter = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=11, animated=True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    frames = np.unique(np.linspace(0, comparison.max_steps, min(max_frames, comparison.max_steps + 1)).astype(int))
    images = []
    for t in frames:
        canvas.restore_region(background)
        for line, run in zip(lines, comparison.runs):
            k = min(int(t), run.steps)
            line.set_data(run.path[: k + 1, 0], run.path[: k + 1, 1])
            ax.draw_artist(line)
        counter.set_text(f"step {t}")
        ax.draw_artist(counter)
        rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
        images.append(rgb.quantize(palette=palette))
    plt.close(fig)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path
