"""The range test's second panel: the tracked sharpness against the stability threshold ``c / lr``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from lrlab.finder import LRFinderResult, Suggestion
from lrlab.plots._figure import new_axes
from lrlab.sweep import SweepResult

__all__ = ["plot_sharpness", "plot_sweep_sharpness", "threshold_label"]

EDGE_COLOR = "#8c564b"


def threshold_label(result: LRFinderResult) -> str:
    """``"2/LR"``, ``"38/LR"`` ... the threshold's formula at the result's constant."""
    c = result.edge_constant
    return "no threshold" if c is None else f"{c:.3g}/LR"


def plot_sharpness(
    result: LRFinderResult, suggestions: Mapping[str, Suggestion] | None = None, ax: Axes | None = None
) -> Axes:
    """``lambda_max`` at each probe against its LR, with the stability threshold ``c / lr``.

    Both axes are logarithmic (probes with ``lambda_max <= 0`` are left out). Above the
    threshold line a step of that LR is unstable along the top direction of the loss; the
    ``edge`` suggestion, when given, marks where the two lines meet.

    Raises:
        ValueError: If ``result`` holds no tracked sharpness.
    """
    if result.sharpness is None or result.sharpness_lrs is None:
        raise ValueError("result must hold a tracked sharpness (find_lr(..., track_sharpness=EVERY)), got none")
    ax = new_axes(ax, figsize=(9, 3.5))
    lrs, lam = result.sharpness_lrs, result.sharpness
    shown = np.isfinite(lam) & (lam > 0)
    name = "preconditioned sharpness" if result.sharpness_preconditioned else "sharpness"
    ax.plot(lrs[shown], lam[shown], "o-", color="#1f77b4", markersize=3.5, linewidth=1.6, label=f"{name} λ_max")
    x_hi = float(result.lrs[-1]) if result.steps > 1 else result.end_lr
    if shown.any():
        low, high = float(lam[shown].min()), float(lam[shown].max())
        ax.set_ylim(low / 3, high * 10)
    if result.edge_constant is not None:
        grid = np.geomspace(float(result.lrs[0]), x_hi, 200)
        line = result.edge_constant / grid
        ax.plot(grid, line, "--", color="black", linewidth=1.3, label=f"threshold {threshold_label(result)}")
        ax.fill_between(grid, line, line.max() * 1e3, color="#d62728", alpha=0.07, label="unstable (λ_max > threshold)")
    edge = (suggestions or {}).get("edge")
    if edge is not None and edge.lr_range is not None:
        at = edge.lr_range[1]
        ax.axvline(at, color=EDGE_COLOR, linewidth=1.2, alpha=0.9, label=f"crossing (the edge): {at:.3g}")
        ax.axvline(
            edge.lr,
            color=EDGE_COLOR,
            linestyle="--",
            linewidth=1,
            alpha=0.9,
            label=f"edge rule (x{edge.lr / at:.2g}): {edge.lr:.3g}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(float(result.lrs[0]), x_hi)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("λ_max (log)")
    probes = result.sharpness_steps
    every = int(np.diff(probes).min()) if probes is not None and probes.size > 1 else None
    often = f", every {every} steps" if every else ""
    ax.set_title(
        f"{name} of the first batch's loss (eval mode){often}; above the dashed line a step of that LR is unstable",
        fontsize=10,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return ax


def plot_sweep_sharpness(result: SweepResult, ax: Axes | None = None) -> Axes:
    """Each sweep copy's ``lambda_max`` against its LR, one line per probe step, with ``c / lr``.

    A copy below the dashed threshold trains stably along its top direction; copies whose
    sharpness rises to the line and stays on it are at the edge of stability (Cohen et al.);
    far above it, the copy diverges.

    Raises:
        ValueError: If ``result`` holds no tracked sharpness.
    """
    if result.sharpness is None or result.sharpness_steps is None:
        raise ValueError("result must hold a tracked sharpness (sweep_lr(..., track_sharpness=EVERY)), got none")
    import matplotlib as mpl

    ax = new_axes(ax, figsize=(8, 5))
    order = np.argsort(result.lrs)
    lrs = result.lrs[order]
    lam = np.asarray(result.sharpness)[order]
    steps = np.asarray(result.sharpness_steps)
    cmap = mpl.colormaps["viridis"]
    for j, step in enumerate(steps):
        col = lam[:, j]
        shown = np.isfinite(col) & (col > 0)
        color = cmap(j / max(steps.size - 1, 1))
        label = f"after step {step + 1}" if steps.size <= 6 or j in (0, steps.size - 1) else None
        ax.plot(lrs[shown], col[shown], "o-", color=color, markersize=4, linewidth=1.2, alpha=0.9, label=label)
    finite = lam[np.isfinite(lam) & (lam > 0)]
    if finite.size:
        ax.set_ylim(float(finite.min()) / 3, float(finite.max()) * 10)
    if result.edge_constant is not None:
        grid = np.geomspace(float(lrs[0]), float(lrs[-1]), 200)
        line = result.edge_constant / grid
        ax.plot(grid, line, "--", color="black", linewidth=1.3, label=f"threshold {result.edge_constant:.3g}/LR")
        ax.fill_between(grid, line, line.max() * 1e3, color="#d62728", alpha=0.07, label="unstable")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate of the copy (log scale)")
    name = "preconditioned sharpness" if result.sharpness_preconditioned else "sharpness"
    ax.set_ylabel(f"{name} λ_max (log)")
    ax.set_title(f"{name} of each copy on the first batch (eval mode), {steps.size} probes")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return ax
