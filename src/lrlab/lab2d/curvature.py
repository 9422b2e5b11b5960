"""Curvature along descent paths: Hessian eigenvalues, sharpness and the 2/LR threshold.

On a quadratic with Hessian ``H``, plain gradient descent ``p <- p - lr * H p``
multiplies the component along each eigenvector by ``1 - lr * lambda``; it diverges
exactly when ``lr > 2 / lambda_max``. ``lambda_max`` is the *sharpness*, and
``2 / lambda_max`` the *critical learning rate* predicted by the local quadratic
model. This module measures the sharpness at every point of a
:class:`~lrlab.lab2d.descent.DescentResult`'s paths, at the start and at the known
minima, so the prediction can be set beside what the runs did.

What it shows on the tutorial's function ``(1 - x)^2 + 10 (y - x^2)^2``: the
sharpness is 101.606 both at the start ``(-1, 1)`` and at the minimum ``(1, 1)``
(the Hessian depends on ``x`` only through ``x^2`` and the sign of ``dxdy``), so the
quadratic model predicts ``2 / 101.606 = 0.019684`` at both. That is the edge of
*convergence*: run long enough, every LR below it reaches the minimum and every LR
above it never does. It is not the edge of the 100-step sweep, where runs first leave
the box at 0.0454, 2.31 times higher. Between the two, gradient descent neither
converges nor diverges: it bounces across the curved valley into flatter parts
(on the valley floor ``y = x^2`` the sharpness falls from 101.6 at ``x = +-1`` to 20
at ``x = 0``) and settles into a two-step
oscillation whose sharpness alternates around ``2 / lr`` — the "edge of stability"
of Cohen et al. (2021), in two dimensions. The sharpest point of a path does not set
the edge either: ``2 / max(lambda_max)`` along the last non-diverging path of the
sweep is 0.0137, below the prediction, not above it.

Examples:
    >>> from lrlab.lab2d import curvature, descent
    >>> res = descent.gradient_descent("tutorial", [0.01, 0.05], steps=100, start=(-1, 1))
    >>> cur = curvature.curvature(res)
    >>> [round(float(v), 6) for v in cur.critical_lr_minimum]
    [0.019684, 0.019684]
    >>> cur.first_crossing.tolist()  # first step with lr * lambda_max > 2
    [-1, 0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab._checks import Array, show
from lrlab.lab2d._args import as_landscape
from lrlab.lab2d.descent import DescentResult
from lrlab.lab2d.landscapes import Landscape

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CurvatureResult", "curvature", "hessian_eigenvalues", "along_path", "critical_lr"]


def _eig2(hxx: Array, hxy: Array, hyy: Array) -> Array:
    """Eigenvalues of symmetric 2x2 matrices, ascending, in closed form; shape ``(..., 2)``.

    The larger-magnitude root comes from ``mean +- radius``; the other from
    ``det / that root``, which avoids cancellation when the two differ by orders of
    magnitude (the tutorial's minimum: 101.6 and 0.394).
    """
    mean = 0.5 * (hxx + hyy)
    radius = np.hypot(0.5 * (hxx - hyy), hxy)
    big = np.where(mean >= 0, mean + radius, mean - radius)
    det = hxx * hyy - hxy * hxy
    with np.errstate(invalid="ignore", divide="ignore"):
        other = np.where(big != 0, det / np.where(big != 0, big, 1.0), 0.0)
    return np.sort(np.stack([big, other], axis=-1), axis=-1)


def hessian_eigenvalues(landscape: Landscape | str, xy: Array) -> Array:
    """Eigenvalues of the Hessian at points ``xy`` (shape ``(..., 2)``), ascending: shape ``(..., 2)``.

    Non-finite points give NaN eigenvalues.

    Raises:
        ValueError: If ``xy`` does not end in an axis of 2 or the landscape has no Hessian.
    """
    land = as_landscape(landscape)
    # Points far out (a diverged run's last position) may overflow: they give inf/NaN, then NaN.
    with np.errstate(over="ignore", invalid="ignore"):
        h = land.hessian(xy)
        eig = _eig2(h[..., 0, 0], h[..., 0, 1], h[..., 1, 1])
    eig[~np.isfinite(eig).all(axis=-1)] = np.nan
    return eig


def critical_lr(sharpness: float | Array) -> Array:
    """``2 / sharpness``, the largest stable LR of the local quadratic model; ``inf`` where ``sharpness <= 0``."""
    s = np.asarray(sharpness, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(s > 0, 2.0 / np.where(s > 0, s, 1.0), np.where(np.isnan(s), np.nan, np.inf))


def along_path(landscape: Landscape | str, path: Any) -> Array:
    """Hessian eigenvalues at every point of one path ``(T + 1, 2)``: shape ``(T + 1, 2)``, ascending.

    Raises:
        TypeError: If ``path`` is not numeric.
        ValueError: If ``path`` is not a non-empty ``(T + 1, 2)`` array of finite points.
    """
    try:
        arr = np.asarray(path, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"path must be an array of points (x, y) of shape (T + 1, 2), got {show(path)}") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"path must have shape (T + 1, 2) with T >= 0, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = int(np.argmax(~np.isfinite(arr).all(axis=1)))
        raise ValueError(f"path must be finite, got {arr[bad].tolist()} at row {bad}")
    return hessian_eigenvalues(landscape, arr)


@dataclass(frozen=True, repr=False)
class CurvatureResult:
    """Hessian eigenvalues along every path of a batch of runs, and at the landscape's minima.

    Attributes:
        landscape: Name of the landscape.
        lrs: Learning rate of each run, or ``None`` when the runs had none.
        eigenvalues: Ascending eigenvalues at each position, shape ``(B, max_steps + 1, 2)``;
            NaN after a run stopped (and at non-finite positions).
        steps: Steps each run took.
        diverged: Whether each run diverged.
        minima: The landscape's known minima, shape ``(M, 2)`` (``M`` may be 0).
        minima_eigenvalues: Ascending eigenvalues at each minimum, shape ``(M, 2)``.
        nearest_minimum: Index of the minimum nearest each run's last position, ``-1`` when there are none.
    """

    landscape: str
    lrs: Array | None
    eigenvalues: Array
    steps: Array
    diverged: Array
    minima: Array
    minima_eigenvalues: Array
    nearest_minimum: Array

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    @property
    def sharpness(self) -> Array:
        """``lambda_max`` at every position, shape ``(B, max_steps + 1)`` (NaN after a run stopped)."""
        return self.eigenvalues[..., 1]

    @property
    def start_sharpness(self) -> Array:
        """``lambda_max`` at each run's start."""
        return self.sharpness[:, 0]

    @property
    def max_sharpness(self) -> Array:
        """The largest ``lambda_max`` along each path (NaN if no position was finite)."""
        s = self.sharpness
        return np.array([np.max(r[np.isfinite(r)]) if np.isfinite(r).any() else np.nan for r in s])

    @property
    def minimum_sharpness(self) -> Array:
        """``lambda_max`` at the minimum nearest each run's end; NaN when the landscape has none."""
        if self.minima.shape[0] == 0:
            return np.full(len(self), np.nan)
        return self.minima_eigenvalues[self.nearest_minimum, 1]

    @property
    def critical_lr_start(self) -> Array:
        """``2 / lambda_max`` at each start: the quadratic model's largest stable LR there."""
        return critical_lr(self.start_sharpness)

    @property
    def critical_lr_minimum(self) -> Array:
        """``2 / lambda_max`` at the minimum nearest each run's end: the largest LR that can converge to it."""
        return critical_lr(self.minimum_sharpness)

    @property
    def critical_lr_path(self) -> Array:
        """``2 / max(lambda_max)`` along each path: the LR that would be stable at every point it visited."""
        return critical_lr(self.max_sharpness)

    @property
    def edge_ratio(self) -> Array:
        """``lr * lambda_max`` at every position, shape ``(B, max_steps + 1)``; above 2 is beyond the edge.

        Raises:
            ValueError: If the runs had no learning rates.
        """
        if self.lrs is None:
            raise ValueError("edge_ratio needs the runs' learning rates, got a result with lrs=None")
        return self.lrs[:, None] * self.sharpness

    @property
    def first_crossing(self) -> Array:
        """The first step at which ``lr * lambda_max > 2`` on each path, ``-1`` if it never did."""
        over = self.edge_ratio > 2
        return np.where(over.any(axis=1), np.argmax(over, axis=1), -1)

    def __repr__(self) -> str:
        n = len(self)
        lrs = "none" if self.lrs is None else f"{self.lrs.min():g}..{self.lrs.max():g}"
        start, mins = self.start_sharpness, self.minimum_sharpness
        crossed = "?" if self.lrs is None else str(int((self.first_crossing >= 0).sum()))

        def span(v: Array) -> str:
            lo, hi = np.nanmin(v), np.nanmax(v)
            return f"{lo:.4g}" if lo == hi else f"{lo:.4g}..{hi:.4g}"

        at_min = "none" if np.isnan(mins).all() else span(mins)
        return (
            f"CurvatureResult(landscape={self.landscape!r}, runs={n}, lrs={lrs}, sharpness_start={span(start)}, "
            f"sharpness_minimum={at_min}, crossed_2/lr={crossed}/{n}, diverged={int(self.diverged.sum())}/{n})"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready numbers per run (NaN and inf become ``None``)."""

        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        crossing = self.first_crossing if self.lrs is not None else np.full(len(self), -1)
        return {
            "landscape": self.landscape,
            "minima": self.minima.tolist(),
            "minima_sharpness": [num(v) for v in self.minima_eigenvalues[:, 1]],
            "runs": [
                {
                    "lr": None if self.lrs is None else float(self.lrs[k]),
                    "sharpness_start": num(self.start_sharpness[k]),
                    "critical_lr_start": num(self.critical_lr_start[k]),
                    "sharpness_minimum": num(self.minimum_sharpness[k]),
                    "critical_lr_minimum": num(self.critical_lr_minimum[k]),
                    "max_sharpness": num(self.max_sharpness[k]),
                    "first_crossing": int(crossing[k]),
                    "diverged": bool(self.diverged[k]),
                    "sharpness": [num(v) for v in self.sharpness[k, : int(self.steps[k]) + 1]],
                }
                for k in range(len(self))
            ],
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """``lr * lambda_max`` along each path against the threshold 2 (see :func:`lrlab.plots.curvature.plot_edge`)."""
        from lrlab.plots.curvature import plot_edge

        return plot_edge(self, ax=ax)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table
        from lrlab.plots.curvature import plot_curvature

        def cell(v: float) -> str:
            return f"{v:.4g}"

        rows = [
            (
                "" if self.lrs is None else f"{self.lrs[k]:g}",
                cell(self.start_sharpness[k]),
                cell(self.critical_lr_start[k]),
                cell(self.minimum_sharpness[k]),
                cell(self.critical_lr_minimum[k]),
                cell(self.max_sharpness[k]),
                "" if self.lrs is None or self.first_crossing[k] < 0 else int(self.first_crossing[k]),
                "yes" if self.diverged[k] else "",
            )
            for k in range(len(self))
        ]
        header = ("LR", "λmax start", "2/λmax start", "λmax min", "2/λmax min", "max λmax", "LR·λmax > 2", "diverged")
        return (
            f"<p>{escape(repr(self))}</p>{table(header, rows, 'runs')}"
            f"{figure_img(plot_curvature(self), 'sharpness along each path against 2/LR')}"
        )


def curvature(result: DescentResult, landscape: Landscape | str | None = None) -> CurvatureResult:
    """Hessian eigenvalues along every recorded path of ``result``.

    Args:
        result: Runs recorded with ``record=True``.
        landscape: The landscape the runs were on (default: the registered one named
            ``result.landscape``); its name must match.

    Returns:
        A :class:`CurvatureResult`.

    Raises:
        TypeError: If ``result`` is not a :class:`DescentResult` or ``landscape`` of the wrong kind.
        ValueError: If the paths were not recorded, the landscape is unknown or does not
            match, or it has no analytic Hessian.
    """
    if not isinstance(result, DescentResult):
        raise TypeError(f"result must be a DescentResult (from lrlab.lab2d.gradient_descent), got {show(result)}")
    if result.trajectories is None:
        raise ValueError("result must have paths (run with record=True), got a result recorded without paths")
    land = as_landscape(result.landscape if landscape is None else landscape)
    if land.name != result.landscape:
        raise ValueError(f"landscape must be the runs' landscape {result.landscape!r}, got {land.name!r}")
    paths = result.trajectories
    steps = result.steps.astype(np.int64)
    alive = np.arange(paths.shape[1])[None, :] <= steps[:, None]
    eig = hessian_eigenvalues(land, np.where(alive[..., None], paths, np.nan))
    minima = np.array(land.minima, dtype=float).reshape(-1, 2)
    min_eig = hessian_eigenvalues(land, minima) if minima.size else np.empty((0, 2))
    if minima.shape[0]:
        last = paths[np.arange(len(result)), steps]
        with np.errstate(over="ignore", invalid="ignore"):
            dist = np.nan_to_num(((last[:, None, :] - minima[None]) ** 2).sum(axis=-1), nan=np.inf)
        nearest = np.argmin(dist, axis=1)
    else:
        nearest = np.full(len(result), -1)
    return CurvatureResult(
        landscape=land.name,
        lrs=None if result.lrs is None else result.lrs.copy(),
        eigenvalues=eig,
        steps=steps.copy(),
        diverged=result.diverged.copy(),
        minima=minima,
        minima_eigenvalues=min_eig,
        nearest_minimum=nearest,
    )
