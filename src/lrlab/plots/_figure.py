"""Shared figure helpers: a headless-safe figure factory and saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# pyplot picks a non-interactive backend by itself on a machine with no display.
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (8, 5)) -> Axes:
    """Return ``ax`` or the axes of a new figure."""
    if ax is not None:
        return ax
    _fig, new = plt.subplots(figsize=figsize)
    return new


def subplots(nrows: int, ncols: int, figsize: tuple[float, float], **kw: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` (kept here so the plotting modules share one entry point)."""
    return plt.subplots(nrows, ncols, figsize=figsize, **kw)


def save(fig: Figure | SubFigure, path: Path, dpi: int = 110) -> Path:
    """Save ``fig`` to ``path`` (folders created) and close it.

    ``fig`` may be what ``ax.figure`` gives: a figure, or a subfigure, whose whole figure is saved.
    """
    root = fig.figure  # a figure is its own root
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    root.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(root)
    return path
