"""Several optimizers on one landscape: their paths, and how wide each one's good LR band is.

:func:`compare` runs each optimizer spec once from the same start (the tutorial's
figure). :func:`tune` sweeps a log grid of learning rates for every optimizer — all
LRs of one optimizer in a single vectorised pass — and reports the LR with the
lowest final loss and the widest band of consecutive LRs that reach the minimum
(see :mod:`lrlab.lab2d.sensitivity` for the zones).

Examples:
    >>> from lrlab.lab2d.compare import compare, tune
    >>> c = compare("tutorial", ["sgd:lr=0.001", "adam:lr=0.1"], steps=100, start=(-1, 1))
    >>> [round(r.final_loss, 6) for r in c.runs]
    [3.601091, 0.000235]
    >>> t = tune("tutorial", ["adam"], steps=100, start=(-1, 1))
    >>> len(t.lrs), 0.01 < t.results[0].best_lr < 1
    (241, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab._checks import Array, Progress
from lrlab.lab2d._args import as_landscape, as_starts, check_bound, check_steps, log_grid
from lrlab.lab2d.descent import descend
from lrlab.lab2d.landscapes import Landscape
from lrlab.lab2d.sensitivity import SensitivityResult, sensitivity
from lrlab.optim.spec import OptimizerSpec, as_spec

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Specs = Sequence["str | OptimizerSpec"]

__all__ = ["OptimizerRun", "Comparison", "TunedOptimizer", "Tuning", "compare", "tune", "default_lrs", "TUTORIAL_SPECS"]

# The tutorial's Part 2 line-up, with its settings (its RMSprop's beta is torch's alpha).
TUTORIAL_SPECS = ("sgd:lr=0.001", "momentum:lr=0.001", "rmsprop:lr=0.01,alpha=0.9", "adam:lr=0.1")


def _names(items: Sequence[str], limit: int = 6) -> str:
    """``"a, b, c"``, or the first ``limit`` and how many more."""
    head = ", ".join(items[:limit])
    return head if len(items) <= limit else f"{head}, ... (+{len(items) - limit} more)"


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, repr=False)
class OptimizerRun:
    """One optimizer's run from the comparison's start.

    Attributes:
        spec: The optimizer and its hyperparameters.
        path: Positions, start included, shape ``(steps + 1, 2)``.
        final_loss: Loss at the final position.
        final_position: ``(x, y)`` where the run ended (first point outside the
            bound when it diverged).
        steps: Steps taken.
        diverged: Whether the run left the bound or turned non-finite.
    """

    spec: OptimizerSpec
    path: Array
    final_loss: float
    final_position: tuple[float, float]
    steps: int
    diverged: bool

    def __repr__(self) -> str:
        end = f"diverged after {self.steps} steps" if self.diverged else f"{self.steps} steps"
        return f"OptimizerRun({_cut(self.spec.label)}: final_loss={self.final_loss:.6g}, {end})"

    def to_dict(self) -> dict[str, Any]:
        """``{"optimizer", "params", "final_loss", "final_position", "steps", "diverged"}``."""
        return {
            "optimizer": self.spec.name,
            "params": dict(self.spec.params),
            "final_loss": self.final_loss,
            "final_position": list(self.final_position),
            "steps": self.steps,
            "diverged": self.diverged,
        }


@dataclass(frozen=True, repr=False)
class Comparison:
    """Several optimizers run from one start on one landscape."""

    landscape: Landscape
    start: tuple[float, float]
    max_steps: int
    bound: float
    runs: tuple[OptimizerRun, ...]

    def __repr__(self) -> str:
        return (
            f"Comparison(landscape={self.landscape.name!r}, start=({self.start[0]:g}, {self.start[1]:g}), "
            f"max_steps={self.max_steps}, bound={self.bound:g}, "
            f"runs={len(self.runs)}: {_names([r.spec.name for r in self.runs])})"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Every optimizer's path on the contour plot: :func:`lrlab.plots.optimizers.plot_paths`.

        Args:
            ax: Axes to draw on; a new figure when ``None``.
            **kwargs: Passed on (``title``).

        Returns:
            The ``Axes`` drawn on.
        """
        from lrlab.plots.optimizers import plot_paths

        return plot_paths(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        rows = [(_cut(r.spec.label), r.steps, f"{r.final_loss:.6g}", "yes" if r.diverged else "") for r in self.runs]
        return (
            f"<p>{escape(repr(self))}</p>{table(('optimizer', 'steps', 'final loss', 'diverged'), rows)}"
            f"{figure_img(self.plot(), 'optimizer paths', width=640)}"
        )


@dataclass(frozen=True, repr=False)
class TunedOptimizer:
    """One optimizer's LR sweep and what it says.

    Attributes:
        spec: The optimizer; its own ``lr`` is ignored by the sweep.
        curve: Final loss against LR, with zones.
    """

    spec: OptimizerSpec
    curve: SensitivityResult

    def __repr__(self) -> str:
        band = self.good_band
        good = "none" if band is None else f"{band[0]:.3g}..{band[1]:.3g}"
        return (
            f"TunedOptimizer({_cut(self.spec.options_label)}: best_lr={self.best_lr:.4g}, "
            f"best_loss={self.best_loss:.4g}, good_band={good}, {self.curve.lrs.size} LRs)"
        )

    @property
    def all_diverged(self) -> bool:
        """True when no LR of the grid ran without diverging."""
        return bool(np.all(self.curve.diverged | ~np.isfinite(self.curve.final_loss)))

    @property
    def best_lr(self) -> float:
        """LR with the lowest final loss among runs that did not diverge (NaN if none)."""
        return float("nan") if self.all_diverged else self.curve.best_lr

    @property
    def best_loss(self) -> float:
        """The lowest final loss (NaN if every run diverged)."""
        return float("nan") if self.all_diverged else self.curve.best_loss

    @property
    def good_segments(self) -> tuple[tuple[int, int], ...]:
        """Runs of consecutive good LRs, as ``(first, last)`` grid indices."""
        good = np.array([z == "good" for z in self.curve.zones] + [False])
        segments: list[tuple[int, int]] = []
        first = None
        for i, g in enumerate(good):
            if g and first is None:
                first = i
            elif not g and first is not None:
                segments.append((first, i - 1))
                first = None
        return tuple(segments)

    @property
    def good_band(self) -> tuple[float, float] | None:
        """The widest run of consecutive LRs whose runs reached the minimum, ``(lo, hi)``.

        Isolated lucky LRs amid diverging ones (common for adaptive methods at large
        LRs) do not widen it. ``None`` when no LR was good.
        """
        segments = self.good_segments
        if not segments:
            return None
        first, last = max(segments, key=lambda s: (s[1] - s[0], -s[0]))
        return float(self.curve.lrs[first]), float(self.curve.lrs[last])

    @property
    def band_decades(self) -> float:
        """Width of the good band in decades, ``log10(hi / lo)`` (0 when there is none)."""
        band = self.good_band
        return 0.0 if band is None else float(np.log10(band[1] / band[0]))


@dataclass(frozen=True, repr=False)
class Tuning:
    """Every optimizer swept over the same LR grid on one landscape."""

    landscape: Landscape
    start: tuple[float, float]
    max_steps: int
    bound: float
    lrs: Array
    results: tuple[TunedOptimizer, ...]

    def __repr__(self) -> str:
        best = [f"{r.spec.name} {r.best_lr:.3g}" for r in self.results]
        return (
            f"Tuning(landscape={self.landscape.name!r}, lrs={self.lrs.size} from {self.lrs[0]:.3g} to "
            f"{self.lrs[-1]:.3g}, max_steps={self.max_steps}, best_lr: {_names(best, 5)})"
        )

    def plot(self, ax: Sequence[Axes] | None = None, **kwargs: Any) -> Figure:
        """The sensitivity curves above the good bands: :func:`lrlab.plots.optimizers.tuning_figure`.

        Args:
            ax: Two axes to draw the panels on (curves, bands); a new figure when ``None``.
            **kwargs: Passed on.

        Returns:
            The ``Figure`` the panels are on.
        """
        from lrlab.plots.optimizers import tuning_figure

        return tuning_figure(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        rows = []
        for r in self.results:
            band = r.good_band
            good = "none" if band is None else f"{band[0]:.3g} .. {band[1]:.3g} ({r.band_decades:.2f} decades)"
            rows.append((_cut(r.spec.options_label), f"{r.best_lr:.4g}", f"{r.best_loss:.4g}", good))
        return (
            f"<p>{escape(repr(self))}</p>{table(('optimizer', 'best LR', 'best loss', 'good band'), rows)}"
            f"{figure_img(self.plot(), 'LR tuning', width=900)}"
        )

    def best_specs(self) -> tuple[OptimizerSpec, ...]:
        """Each optimizer's spec at its best LR (unchanged where every LR diverged)."""
        return tuple(r.spec if r.all_diverged else r.spec.with_lr(r.best_lr) for r in self.results)


def default_lrs(num: int = 241, low: float = 1e-5, high: float = 10.0) -> Array:
    """The tuning grid: ``num`` log-spaced LRs from ``low`` to ``high`` (40 per decade by default).

    Raises:
        TypeError: If ``num`` is not an int or a bound not a number.
        ValueError: If ``num`` is outside ``[2, MAX_RUNS]`` or not ``0 < low < high`` (finite).
    """
    return log_grid(num, low, high)


def _setup(
    landscape: str | Landscape, optimizers: Specs, start: Sequence[float] | None, steps: int, bound: float
) -> tuple[Landscape, list[OptimizerSpec], tuple[float, float]]:
    land = as_landscape(landscape)
    if isinstance(optimizers, (str, OptimizerSpec)):
        raise TypeError("optimizers must be a list of specs, got a single one; wrap it in a list")
    specs = [as_spec(s) for s in optimizers]
    if not specs:
        raise ValueError("optimizers must name at least one optimizer, got none")
    check_steps(steps)
    check_bound(bound)
    xy = as_starts(land.start if start is None else start, 1)[0]
    return land, specs, (float(xy[0]), float(xy[1]))


def compare(
    landscape: str | Landscape,
    optimizers: Specs,
    *,
    steps: int = 100,
    start: Sequence[float] | None = None,
    bound: float = 10.0,
) -> Comparison:
    """Run each optimizer once from ``start`` and keep its path.

    Args:
        landscape: A landscape or its name.
        optimizers: Specs (``"adam:lr=0.1"``) or :class:`OptimizerSpec` objects.
        steps: Maximum steps per run.
        start: Start point (default: the landscape's).
        bound: A run stops (diverged) when ``|x|`` or ``|y|`` exceeds this.

    Raises:
        ValueError: For a bad spec, landscape, step count, start or bound.
    """
    land, specs, xy = _setup(landscape, optimizers, start, steps, bound)
    runs = []
    for spec in specs:
        res = descend(land, spec.build(), xy, steps=steps, bound=bound)
        fx, fy = res.final_position[0]
        runs.append(
            OptimizerRun(
                spec,
                res.trajectory(0),
                float(res.final_loss[0]),
                (float(fx), float(fy)),
                int(res.steps[0]),
                bool(res.diverged[0]),
            )
        )
    return Comparison(land, xy, int(steps), float(bound), tuple(runs))


def tune(
    landscape: str | Landscape,
    optimizers: Specs,
    *,
    lrs: Sequence[float] | Array | None = None,
    steps: int = 100,
    start: Sequence[float] | None = None,
    bound: float = 10.0,
    good_tol: float = 0.01,
    progress: Progress | None = None,
) -> Tuning:
    """Sweep every optimizer over one LR grid, each in a single vectorised pass.

    Each spec's other hyperparameters are kept; its ``lr`` is replaced by the grid
    (one LR per row of the batch).

    Args:
        landscape: A landscape or its name.
        optimizers: Specs or :class:`OptimizerSpec` objects.
        lrs: The grid (default :func:`default_lrs`: 241 LRs, 1e-5 to 10).
        steps: Steps per run.
        start: Start point (default: the landscape's).
        bound: Divergence bound on ``|x|`` and ``|y|``.
        good_tol: A run is good when it closes ``1 - good_tol`` of the gap to the minimum.
        progress: Optional ``(done, total)`` callback over all optimizers' steps.

    Raises:
        ValueError: For a bad spec, grid, landscape, step count, start or bound.
    """
    land, specs, xy = _setup(landscape, optimizers, start, steps, bound)
    grid = default_lrs() if lrs is None else lrs
    results = []
    for i, spec in enumerate(specs):

        def report(done: int, total: int, i: int = i) -> None:
            if progress is not None:
                progress(i * total + done, len(specs) * total)

        curve = sensitivity(
            land,
            grid,
            steps=steps,
            start=xy,
            bound=bound,
            optimizer=spec.build,
            optimizer_name=spec.name,
            good_tol=good_tol,
            progress=report,
        )
        results.append(TunedOptimizer(spec, curve))
    return Tuning(land, xy, int(steps), float(bound), results[0].curve.lrs, tuple(results))
