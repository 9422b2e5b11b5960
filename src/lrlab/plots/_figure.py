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


def panels(axes: Any, count: int, figsize: tuple[float, float], **kw: Any) -> tuple[Figure, list[Axes], bool]:
    """The axes of a figure of ``count`` panels: ``axes`` itself, or a new 1 x ``count`` figure.

    Args:
        axes: ``None`` (a new figure), or a sequence of exactly ``count`` ``Axes`` of one figure.
        count: How many panels the figure has.
        figsize: Size of a new figure.
        **kw: Passed to ``plt.subplots`` for a new figure (``gridspec_kw``, ``sharex`` ...).

    Returns:
        ``(figure, axes, created)``: the (root) figure the axes are on, the axes as a list, and
        whether the figure is new (then the caller may lay it out and title it).

    Raises:
        TypeError: If ``axes`` is not ``None`` nor a sequence of ``Axes``.
        ValueError: If it holds another number of axes, or axes of different figures.
    """
    if axes is None:
        fig, new = plt.subplots(kw.pop("nrows", 1), kw.pop("ncols", count), figsize=figsize, squeeze=False, **kw)
        return fig, list(new.flat), True
    items = list(axes.flat) if hasattr(axes, "flat") else axes
    if isinstance(axes, Axes) or not isinstance(items, (list, tuple)) or not all(isinstance(a, Axes) for a in items):
        raise TypeError(f"ax must be None or a sequence of {count} matplotlib Axes, got {type(axes).__name__}")
    if len(items) != count:
        raise ValueError(f"ax must hold {count} Axes (one per panel), got {len(items)}")
    if any(a.figure is not items[0].figure for a in items):
        raise ValueError(f"ax must hold {count} Axes of one figure, got Axes of several figures")
    root = items[0].figure
    while not isinstance(root, Figure):  # a subfigure's .figure is its root figure
        root = root.figure
    return root, list(items), False


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
