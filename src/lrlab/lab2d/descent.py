"""Batched optimization runs on a 2D landscape: paths, final losses, divergence.

One call advances a whole batch of runs together — one row per learning rate (and/or
start point). Each row stops on its own the first time it leaves the box
``|x| <= bound, |y| <= bound`` or turns non-finite (the tutorial's rule, with the
bound as a parameter); the other rows go on.

Two loops give the same numbers: :func:`descend` runs any ``init``/``update``
optimizer (:mod:`lrlab.optim`) over the whole batch, and :func:`gradient_descent` runs
plain gradient descent on the fast path of :mod:`lrlab.lab2d._gd`, which computes only
the rows still running. A landscape is a :class:`~lrlab.lab2d.landscapes.Landscape` or
a registered name.

Examples:
    >>> from lrlab.lab2d import descent
    >>> res = descent.gradient_descent("tutorial", [0.001, 0.05], steps=100, start=(-1, 1))
    >>> res.steps.tolist(), res.diverged.tolist()
    ([100, 5], [False, True])
    >>> round(float(res.final_loss[0]), 5)
    3.60109
    >>> res
    DescentResult(landscape='tutorial', runs=2, lrs=0.001..0.05, max_steps=100, bound=10, diverged=1/2, \
best_final_loss=3.60109, paths=yes)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from lrlab._checks import Array, Progress, check_bool, check_callable, show
from lrlab.lab2d._args import as_landscape, as_lrs, as_starts, check_bound, check_inside, check_size, check_steps
from lrlab.lab2d._gd import plain_gd_loop
from lrlab.lab2d._paths import PathRecorder
from lrlab.lab2d.landscapes import Landscape

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "Optimizer",
    "DescentResult",
    "descend",
    "gradient_descent",
    "plain_gd",
    "as_lrs",
    "as_starts",
    "check_steps",
    "check_bound",
]


class Optimizer(Protocol):
    """What :func:`descend` needs: an ``init``/``update`` pair over batched arrays."""

    def init(self, params: Array) -> Any: ...

    def update(self, grads: Array, state: Any, params: Array) -> tuple[Array, Any]: ...


class _GD(NamedTuple):
    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array], tuple[Array, Any]]


def plain_gd(lr: float | Array) -> _GD:
    """Plain gradient descent, ``p <- p - lr * g``; ``lr`` is a scalar or one per row."""
    lr_col = np.asarray(lr, dtype=float)
    if lr_col.ndim == 1:
        lr_col = lr_col[:, None]

    def update(grads: Array, state: Any, params: Array) -> tuple[Array, Any]:
        return params - lr_col * grads, state

    return _GD(lambda params: None, update)


@dataclass(frozen=True, repr=False)
class DescentResult:
    """The outcome of a batch of runs on one landscape.

    Attributes:
        landscape: Name of the landscape.
        lrs: Learning rate of each row, or ``None`` when not given.
        starts: Start point of each row, shape ``(B, 2)``.
        trajectories: Positions after each step, shape ``(B, max_steps + 1, 2)``; a
            stopped row repeats its last position. ``None`` when not recorded.
        steps: Steps each row took before it stopped, shape ``(B,)``.
        diverged: Whether each row left the bound or turned non-finite.
        final_position: Last position of each row (for a diverged row, the first
            position outside the bound), shape ``(B, 2)``.
        final_loss: Loss at the final position, shape ``(B,)``.
        max_steps: Steps requested.
        bound: The divergence bound.
    """

    landscape: str
    lrs: Array | None
    starts: Array
    trajectories: Array | None
    steps: Array
    diverged: Array
    final_position: Array
    final_loss: Array
    max_steps: int
    bound: float

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def __repr__(self) -> str:
        n = len(self)
        lrs = (
            "none"
            if self.lrs is None or self.lrs.size == 0
            else (
                f"{self.lrs.min():g}" if self.lrs.min() == self.lrs.max() else f"{self.lrs.min():g}..{self.lrs.max():g}"
            )
        )
        kept = self.final_loss[~self.diverged & np.isfinite(self.final_loss)]
        best = f"{kept.min():g}" if kept.size else "none"
        return (
            f"DescentResult(landscape={self.landscape!r}, runs={n}, lrs={lrs}, max_steps={self.max_steps}, "
            f"bound={self.bound:g}, diverged={int(self.diverged.sum())}/{n}, best_final_loss={best}, "
            f"paths={'no' if self.trajectories is None else 'yes'})"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Every run on the contour plot: :func:`lrlab.plots.landscapes.plot_descent`.

        Args:
            ax: Axes to draw on; a new figure when ``None``.
            **kwargs: Passed on (``landscape`` for an unregistered one, ``max_paths``).

        Returns:
            The ``Axes`` drawn on.
        """
        from lrlab.plots.landscapes import plot_descent

        return plot_descent(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        shown = np.unique(np.linspace(0, len(self) - 1, min(len(self), 12)).round().astype(int))
        rows = [
            (
                "" if self.lrs is None else f"{self.lrs[k]:g}",
                int(self.steps[k]),
                f"{self.final_loss[k]:.6g}",
                "yes" if self.diverged[k] else "",
            )
            for k in shown
        ]
        caption = "runs" if shown.size == len(self) else f"{shown.size} of {len(self)} runs"
        return (
            f"<p>{escape(repr(self))}</p>{table(('LR', 'steps', 'final loss', 'diverged'), rows, caption)}"
            f"{figure_img(self.plot(), 'descent', width=640)}"
        )

    def trajectory(self, k: int) -> Array:
        """The path of row ``k``: its ``steps[k] + 1`` positions, start included.

        ``k`` counts from the end when negative, as in a list.

        Raises:
            TypeError: If ``k`` is not an int.
            IndexError: If ``k`` is not a row of the batch.
            ValueError: If trajectories were not recorded.
        """
        n = len(self)
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int (a row of the batch), got {show(k)}")
        if not -n <= k < n:
            raise IndexError(f"k must be in [0, {n - 1}] (or -{n}..-1 from the end) for {n} runs, got {k}")
        if self.trajectories is None:
            raise ValueError("trajectory needs record=True, got a result recorded without paths")
        return self.trajectories[k, : int(self.steps[k]) + 1]


def _check_out(params: Array, bound: float) -> Array:
    """Rows outside the box; NaN fails every comparison, so non-finite rows count too."""
    a = np.abs(params)
    return ~((a[:, 0] <= bound) & (a[:, 1] <= bound))


def _rows(starts: Any, lrs: Array | None) -> int:
    """Batch size: the number of starts given, else one row per LR."""
    try:
        ndim = np.ndim(starts)
    except ValueError:  # ragged
        ndim = 0
    if ndim == 2:
        return len(starts)
    return 1 if lrs is None else lrs.size


def descend(
    landscape: Landscape | str,
    optimizer: Optimizer,
    starts: Sequence[float] | Array,
    *,
    steps: int,
    bound: float = 10.0,
    lrs: Sequence[float] | Array | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> DescentResult:
    """Run ``optimizer`` on ``landscape`` for a batch of rows at once.

    Each step: ``g = grad f(p)``; ``p, state = optimizer.update(g, state, p)`` for all
    rows; a row whose new position has ``|x| > bound`` or ``|y| > bound`` or is not
    finite stops there and is marked diverged. Stopped rows keep their position.

    Args:
        landscape: The loss function, or the name of a registered one.
        optimizer: An ``init``/``update`` pair over ``(B, 2)`` arrays.
        starts: One start ``(x, y)`` for every row, or ``(B, 2)`` starts. With a
            single start, the batch size is ``len(lrs)``.
        steps: Maximum number of steps (``1 .. MAX_STEPS``).
        bound: Divergence bound on ``|x|`` and ``|y|`` (> 0).
        lrs: Learning rate of each row, kept in the result for reference.
        record: Keep every position (memory ``B * (steps + 1) * 2`` floats, at most 2 GiB).
        progress: Optional ``(done, total)`` callback, called every few steps.

    Returns:
        A :class:`DescentResult`.

    Raises:
        TypeError: For a landscape, optimizer, step count or start of the wrong kind.
        ValueError: For a bad value, or a batch too big to hold or finish (see
            :func:`lrlab.lab2d._args.check_size`).
    """
    land = as_landscape(landscape)
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
        raise TypeError(f"optimizer must be an init/update pair (e.g. lrlab.optim.adam(lr=0.1)), got {show(optimizer)}")
    steps = check_steps(steps)
    bound = check_bound(bound)
    record = check_bool("record", record)
    check_callable("progress", progress, allow_none=True)
    lr_arr = None if lrs is None else np.atleast_1d(np.asarray(lrs, dtype=float))
    rows = _rows(starts, lr_arr)
    check_size(rows, steps, record)
    # Column-major, so that x and y are each contiguous: the landscape's elementwise
    # arithmetic then runs on contiguous vectors.
    params = np.asfortranarray(as_starts(starts, rows))
    check_inside(params, bound)
    starts_copy = params.copy()
    if lr_arr is not None and lr_arr.size != rows:
        raise ValueError(f"lrs must have one value per start ({rows}), got {lr_arr.size}")

    taken = np.zeros(rows, dtype=np.int64)
    diverged = np.zeros(rows, dtype=bool)
    active = np.ones(rows, dtype=bool)
    all_active = True
    rec = PathRecorder(params, steps) if record else None
    state = optimizer.init(params)
    report_every = max(1, steps // 100)
    # Runs that blow up overflow on the way; that is the point of the experiment.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            new, state = optimizer.update(land.gradient(params), state, params)
            params = new if all_active else np.where(active[:, None], new, params)
            taken += active
            out = _check_out(params, bound)
            if out.any():
                out &= active
                diverged |= out
                active &= ~out
                all_active = False
            if rec is not None:
                rec.write(t, params[:, 0], params[:, 1])
            if progress is not None and (t % report_every == 0 or t == steps):
                progress(t, steps)
            if not all_active and not active.any():
                if rec is not None:
                    rec.fill(t)
                break
        final_loss = land.loss(params)
    return DescentResult(
        landscape=land.name,
        lrs=lr_arr,
        starts=starts_copy,
        trajectories=None if rec is None else rec.paths(),
        steps=taken,
        diverged=diverged,
        final_position=np.ascontiguousarray(params),
        final_loss=final_loss,
        max_steps=steps,
        bound=bound,
    )


def gradient_descent(
    landscape: Landscape | str,
    lrs: float | Sequence[float] | Array,
    *,
    steps: int = 100,
    start: Sequence[float] | Array | None = None,
    bound: float = 10.0,
    record: bool = True,
    progress: Progress | None = None,
) -> DescentResult:
    """Plain gradient descent at many learning rates in one vectorised pass.

    The update is ``p <- p - lr * grad f(p)``, one row per learning rate. It runs on
    the fast path (only rows still running are computed) and equals
    ``descend(landscape, plain_gd(lrs), start, lrs=lrs, ...)`` bit for bit.

    Args:
        landscape: The loss function, or the name of a registered one (``"tutorial"``).
        lrs: One learning rate or many (each finite and > 0).
        steps: Maximum number of steps (``1 .. MAX_STEPS``).
        start: Start point ``(x, y)`` (default: the landscape's), or one per LR.
        bound: Divergence bound on ``|x|`` and ``|y|``.
        record: Keep the paths (at most 2 GiB of them).
        progress: Optional ``(done, total)`` callback.

    Returns:
        A :class:`DescentResult` with one row per learning rate.

    Raises:
        TypeError: For a landscape, step count or start of the wrong kind.
        ValueError: For an LR <= 0 or not finite, steps outside ``[1, MAX_STEPS]``, a bad
            start or bound, or a batch too big to hold or finish.
    """
    land = as_landscape(landscape)
    lr_arr = as_lrs(lrs)
    steps = check_steps(steps)
    bound = check_bound(bound)
    record = check_bool("record", record)
    check_callable("progress", progress, allow_none=True)
    check_size(lr_arr.size, steps, record)
    pos = as_starts(land.start if start is None else start, lr_arr.size)
    check_inside(pos, bound)
    run = plain_gd_loop(land, lr_arr, pos, steps=steps, bound=bound, record=record, progress=progress)
    return DescentResult(
        landscape=land.name,
        lrs=lr_arr,
        starts=pos,
        trajectories=run.trajectories,
        steps=run.steps,
        diverged=run.diverged,
        final_position=run.final_position,
        final_loss=run.final_loss,
        max_steps=steps,
        bound=bound,
    )
