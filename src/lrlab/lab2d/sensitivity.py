"""LR sensitivity: final loss against learning rate over a dense grid, in one pass.

The curve answers the learner's question — which learning rates are too slow, which
are good, which diverge — by running every LR of a log grid at once and sorting
each into a zone:

* ``diverging``: the run left the bound, turned non-finite, or ended above its
  starting loss (oscillating outward);
* ``good``: the run closed at least ``1 - good_tol`` of the gap between the
  starting loss and the landscape's minimum (by default 99%); a landscape with no
  minimum (unbounded below, like ``saddle``) has no good zone;
* ``unstable``: above the best LR but not good — too large to settle, not large
  enough to leave the bound (the edge of stability, where the loss oscillates);
* ``slow``: below the best LR and not good — it went the right way but not far enough.

Examples:
    >>> import numpy as np
    >>> from lrlab.lab2d import sensitivity
    >>> s = sensitivity.sensitivity("tutorial", np.geomspace(1e-4, 0.1, 1000))
    >>> s.zones[0], s.zones[-1]
    ('slow', 'diverging')
    >>> 0.03 < s.best_lr < 0.05
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab._checks import Array, Progress, check_choice, check_real
from lrlab.lab2d._args import as_landscape, as_lrs, log_grid
from lrlab.lab2d.descent import Optimizer, descend, gradient_descent
from lrlab.lab2d.landscapes import Landscape

if TYPE_CHECKING:
    from matplotlib.axes import Axes

OptimizerFactory = Callable[[Array], Optimizer]

ZONES = ("slow", "good", "unstable", "diverging")

__all__ = ["ZONES", "SensitivityResult", "sensitivity", "default_grid"]


@dataclass(frozen=True, repr=False)
class SensitivityResult:
    """Final loss against learning rate, with each LR's zone.

    Attributes:
        landscape: Name of the landscape.
        optimizer: Name of the optimizer that was run.
        lrs: The grid, increasing, shape ``(K,)``.
        final_loss: Final loss of each run.
        diverged: Whether each run left the bound or turned non-finite.
        zones: ``"slow"``, ``"good"``, ``"unstable"`` or ``"diverging"`` for each LR.
        start_loss: Loss at the start point.
        target_loss: The minimum value used for the ``good`` threshold.
        steps: Steps each run was given.
    """

    landscape: str
    optimizer: str
    lrs: Array
    final_loss: Array
    diverged: Array
    zones: tuple[str, ...]
    start_loss: float
    target_loss: float
    steps: int

    def __repr__(self) -> str:
        good = self.band("good")
        band = "none" if good is None else f"{good[0]:.3g}..{good[1]:.3g}"
        first = self.first_diverging_lr
        return (
            f"SensitivityResult(landscape={self.landscape!r}, optimizer={self.optimizer!r}, "
            f"lrs={self.lrs.size} from {self.lrs[0]:.3g} to {self.lrs[-1]:.3g}, steps={self.steps}, "
            f"best_lr={self.best_lr:.4g}, good_band={band}, "
            f"first_diverging_lr={'none' if first is None else format(first, '.4g')})"
        )

    @property
    def best_index(self) -> int | None:
        """Index of the lowest final loss among the runs that did not diverge (None if all did)."""
        loss = np.where(self.diverged | ~np.isfinite(self.final_loss), np.inf, self.final_loss)
        return None if np.isinf(loss).all() else int(np.argmin(loss))

    @property
    def best_lr(self) -> float:
        """The learning rate with the lowest final loss (not diverged); NaN if every run diverged."""
        k = self.best_index
        return float("nan") if k is None else float(self.lrs[k])

    @property
    def best_loss(self) -> float:
        """The lowest final loss among the runs that did not diverge; NaN if every run diverged."""
        k = self.best_index
        return float("nan") if k is None else float(self.final_loss[k])

    def band(self, zone: str = "good") -> tuple[float, float] | None:
        """The smallest and largest LR in ``zone``, or ``None`` if no LR is in it."""
        check_choice("zone", zone, ZONES)
        idx = [i for i, z in enumerate(self.zones) if z == zone]
        if not idx:
            return None
        return float(self.lrs[idx[0]]), float(self.lrs[idx[-1]])

    @property
    def first_diverging_lr(self) -> float | None:
        """The smallest LR whose run diverged (left the bound or went non-finite)."""
        hits = np.flatnonzero(self.diverged)
        return float(self.lrs[hits[0]]) if hits.size else None

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Final loss against LR, coloured by zone: :func:`lrlab.plots.landscapes.plot_sensitivity`.

        Args:
            ax: Axes to draw on; a new figure when ``None``.
            **kwargs: Passed on.

        Returns:
            The ``Axes`` drawn on.
        """
        from lrlab.plots.landscapes import plot_sensitivity

        return plot_sensitivity(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        rows = []
        for zone in ZONES:
            span = self.band(zone)
            count = sum(z == zone for z in self.zones)
            rows.append((zone, count, "" if span is None else f"{span[0]:.3g} .. {span[1]:.3g}"))
        first = self.first_diverging_lr
        return (
            f"<p>{escape(repr(self))}</p><p>best LR {self.best_lr:.4g} (final loss {self.best_loss:.4g}); "
            f"first diverging LR {'none' if first is None else format(first, '.4g')}</p>"
            f"{table(('zone', 'LRs', 'from .. to'), rows, 'zones')}"
            f"{figure_img(self.plot(), 'LR sensitivity', width=640)}"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary plus the full curve."""
        return {
            "optimizer": self.optimizer,
            "steps": self.steps,
            "best_lr": self.best_lr,
            "best_loss": self.best_loss,
            "good_band": self.band("good"),
            "first_diverging_lr": self.first_diverging_lr,
            "lrs": self.lrs.tolist(),
            "final_loss": self.final_loss.tolist(),
            "diverged": self.diverged.tolist(),
            "zones": list(self.zones),
        }


def default_grid(num: int = 1200, low: float = 1e-5, high: float = 1.0) -> Array:
    """A log-spaced LR grid (the default sensitivity sweep: 1,200 LRs, 1e-5 to 1).

    Raises:
        TypeError: If ``num`` is not an int or a bound not a number.
        ValueError: If ``num`` is outside ``[2, MAX_RUNS]`` or not ``0 < low < high`` (finite).
    """
    return log_grid(num, low, high)


def sensitivity(
    landscape: Landscape | str,
    lrs: Sequence[float] | Array,
    *,
    steps: int = 100,
    start: Sequence[float] | None = None,
    bound: float = 10.0,
    optimizer: OptimizerFactory | None = None,
    optimizer_name: str = "gd",
    good_tol: float = 0.01,
    progress: Progress | None = None,
) -> SensitivityResult:
    """Run every LR of ``lrs`` at once and classify the outcomes.

    Args:
        landscape: The loss function, or the name of a registered one.
        lrs: The learning rates (finite, > 0); they are sorted.
        steps: Steps per run.
        start: Start point (default: the landscape's).
        bound: Divergence bound on ``|x|`` and ``|y|``.
        optimizer: ``lrs -> Optimizer`` factory, run by :func:`~lrlab.lab2d.descent.descend`; by
            default plain gradient descent on the fast path of
            :func:`~lrlab.lab2d.descent.gradient_descent` (the same numbers, bit for bit).
        optimizer_name: Name recorded in the result.
        good_tol: A run is ``good`` when ``f_final - f_min <= good_tol * (f_start - f_min)``.
        progress: Optional ``(done, total)`` callback.

    Returns:
        A :class:`SensitivityResult`.

    Raises:
        TypeError: For a landscape, step count or start of the wrong kind.
        ValueError: For bad LRs, steps, start, bound or ``good_tol`` outside (0, 1).
    """
    landscape = as_landscape(landscape)
    grid = np.sort(as_lrs(lrs, "lrs"))
    good_tol = check_real("good_tol", good_tol)
    if not 0 < good_tol < 1:
        raise ValueError(f"good_tol must be in (0, 1), got {good_tol:g}")
    start_pt = landscape.start if start is None else start
    if optimizer is None:
        res = gradient_descent(
            landscape, grid, steps=steps, start=start_pt, bound=bound, record=False, progress=progress
        )
    else:
        res = descend(
            landscape, optimizer(grid), start_pt, steps=steps, bound=bound, lrs=grid, record=False, progress=progress
        )
    start_loss = float(landscape.loss(np.asarray(start_pt, dtype=float)))
    target = landscape.min_value
    # Unbounded below (a saddle): there is no minimum to get close to, so no run is good.
    gap = max(start_loss - target, 0.0) if np.isfinite(target) else -np.inf
    bad = res.diverged | ~np.isfinite(res.final_loss)
    best = int(np.argmin(np.where(bad, np.inf, res.final_loss)))
    zones = []
    for i, (loss, div) in enumerate(zip(res.final_loss, bad)):
        if div or loss > start_loss:
            zones.append("diverging")
        elif loss - target <= good_tol * gap:
            zones.append("good")
        else:
            zones.append("unstable" if i > best else "slow")
    return SensitivityResult(
        landscape=landscape.name,
        optimizer=optimizer_name,
        lrs=grid,
        final_loss=res.final_loss,
        diverged=res.diverged,
        zones=tuple(zones),
        start_loss=start_loss,
        target_loss=float(target),
        steps=int(steps),
    )
