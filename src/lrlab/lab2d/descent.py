"""Batched optimization runs on a 2D landscape: paths, final losses, divergence.

One call advances a whole batch of runs together — one row per learning rate (and/or
start point). Each row stops on its own the first time it leaves the box
``|x| <= bound, |y| <= bound`` or turns non-finite (the tutorial's rule, with the
bound as a parameter); the other rows go on.

Examples:
    >>> from lrlab.lab2d import descent, landscapes
    >>> res = descent.gradient_descent(landscapes.get("tutorial"), [0.001, 0.05],
    ...                                steps=100, start=(-1, 1))
    >>> res.steps.tolist(), res.diverged.tolist()
    ([100, 5], [False, True])
    >>> round(float(res.final_loss[0]), 5)
    3.60109
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from lrlab.lab2d.landscapes import Landscape

Array = np.ndarray
Progress = Callable[[int, int], None]

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


@dataclass(frozen=True)
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

    def trajectory(self, k: int) -> Array:
        """The path of row ``k``: its ``steps[k] + 1`` positions, start included.

        Raises:
            ValueError: If trajectories were not recorded.
        """
        if self.trajectories is None:
            raise ValueError("trajectory needs record=True, got a result recorded without paths")
        return self.trajectories[k, : int(self.steps[k]) + 1]


def check_steps(steps: int) -> int:
    """Validate a step count (an integer >= 1)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an integer, got {steps!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return int(steps)


def check_bound(bound: float) -> float:
    """Validate a divergence bound (finite and > 0)."""
    b = float(bound)
    if not np.isfinite(b) or b <= 0:
        raise ValueError(f"bound must be finite and > 0, got {bound}")
    return b


def as_lrs(lrs: float | Sequence[float] | Array, name: str = "lr") -> Array:
    """Learning rates as a 1-D float array, each finite and > 0."""
    arr = np.atleast_1d(np.asarray(lrs, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty list of numbers, got shape {arr.shape}")
    bad = arr[~np.isfinite(arr) | (arr <= 0)]
    if bad.size:
        raise ValueError(f"{name} must be finite and > 0, got {bad[0]:g}")
    return arr


def as_starts(start: Sequence[float] | Array, rows: int) -> Array:
    """Start points as a ``(rows, 2)`` float array (one start is repeated for every row)."""
    arr = np.asarray(start, dtype=float)
    if arr.shape == (2,):
        arr = np.broadcast_to(arr, (rows, 2))
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] != rows:
        raise ValueError(f"start must be two numbers (x, y) or one pair per run, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"start must be finite, got {arr[~np.isfinite(arr).all(axis=1)][0].tolist()}")
    return np.array(arr, dtype=float)


def _check_out(params: Array, bound: float) -> Array:
    """Rows outside the box; NaN fails every comparison, so non-finite rows count too."""
    a = np.abs(params)
    return ~((a[:, 0] <= bound) & (a[:, 1] <= bound))


def descend(
    landscape: Landscape,
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
        landscape: The loss function.
        optimizer: An ``init``/``update`` pair over ``(B, 2)`` arrays.
        starts: One start ``(x, y)`` for every row, or ``(B, 2)`` starts. With a
            single start, the batch size is ``len(lrs)``.
        steps: Maximum number of steps (>= 1).
        bound: Divergence bound on ``|x|`` and ``|y|`` (> 0).
        lrs: Learning rate of each row, kept in the result for reference.
        record: Keep every position (memory ``B * (steps + 1) * 2`` floats).
        progress: Optional ``(done, total)`` callback, called every few steps.

    Returns:
        A :class:`DescentResult`.
    """
    steps = check_steps(steps)
    bound = check_bound(bound)
    lr_arr = None if lrs is None else np.atleast_1d(np.asarray(lrs, dtype=float))
    start_arr = np.asarray(starts, dtype=float)
    rows = start_arr.shape[0] if start_arr.ndim == 2 else (1 if lr_arr is None else lr_arr.size)
    # Column-major, so that x and y are each contiguous: the landscape's elementwise
    # arithmetic then runs on contiguous vectors.
    params = np.asfortranarray(as_starts(starts, rows))
    starts_copy = params.copy()
    if lr_arr is not None and lr_arr.size != rows:
        raise ValueError(f"lrs must have one value per start ({rows}), got {lr_arr.size}")

    taken = np.zeros(rows, dtype=np.int64)
    diverged = np.zeros(rows, dtype=bool)
    active = np.ones(rows, dtype=bool)
    all_active = True
    rec = _Recorder(params, steps) if record else None
    state = optimizer.init(params)
    report_every = max(1, steps // 100)
    # Runs that blow up overflow on the way; that is the point of the experiment.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            new, state = optimizer.update(landscape.gradient(params), state, params)
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
        final_loss = landscape.loss(params)
    return DescentResult(
        landscape=landscape.name,
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


class _Recorder:
    """Positions after each step, stored step-major so each step writes contiguously."""

    def __init__(self, params: Array, steps: int) -> None:
        self.buf = np.empty((steps + 1, 2, params.shape[0]))
        self.buf[0] = params.T

    def write(self, t: int, x: Array, y: Array) -> None:
        self.buf[t, 0] = x
        self.buf[t, 1] = y

    def fill(self, t: int) -> None:
        """Every row stopped at step ``t``: repeat the last positions to the end."""
        self.buf[t + 1 :] = self.buf[t]

    def paths(self) -> Array:
        """``(B, steps + 1, 2)``, a view of the buffer."""
        return self.buf.transpose(2, 0, 1)


def gradient_descent(
    landscape: Landscape,
    lrs: float | Sequence[float] | Array,
    *,
    steps: int = 100,
    start: Sequence[float] | Array | None = None,
    bound: float = 10.0,
    record: bool = True,
    progress: Progress | None = None,
) -> DescentResult:
    """Plain gradient descent at many learning rates in one vectorised pass.

    The update is ``p <- p - lr * grad f(p)``, one row per learning rate.

    Args:
        landscape: The loss function.
        lrs: One learning rate or many (each finite and > 0).
        steps: Maximum number of steps (>= 1).
        start: Start point ``(x, y)`` (default: the landscape's), or one per LR.
        bound: Divergence bound on ``|x|`` and ``|y|``.
        record: Keep the paths.
        progress: Optional ``(done, total)`` callback.

    Returns:
        A :class:`DescentResult` with one row per learning rate.

    Raises:
        ValueError: For an LR <= 0 or not finite, steps < 1, a bad start or bound.
    """
    lr_arr = as_lrs(lrs)
    steps = check_steps(steps)
    bound = check_bound(bound)
    pos = as_starts(landscape.start if start is None else start, lr_arr.size)
    rows = lr_arr.size
    # Only the rows still running are computed: stopped rows are dropped from the
    # working vectors, which matters when most of a wide LR grid diverges early.
    x, y, lr = pos[:, 0].copy(), pos[:, 1].copy(), lr_arr.copy()
    idx = np.arange(rows)
    final = pos.copy()
    taken = np.zeros(rows, dtype=np.int64)
    diverged = np.zeros(rows, dtype=bool)
    rec = _Recorder(pos, steps) if record else None
    cur_x, cur_y = x.copy(), y.copy()
    report_every = max(1, steps // 100)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            dx, dy = landscape.grad(x, y)
            x = x - lr * dx
            y = y - lr * dy
            if rec is not None:
                # Stopped rows keep their final position in the full-size vectors.
                if idx.size < rows:
                    cur_x[idx], cur_y[idx] = x, y
                    rec.write(t, cur_x, cur_y)
                else:
                    rec.write(t, x, y)
            # NaN fails both comparisons, so a non-finite row stops too.
            ok = (np.abs(x) <= bound) & (np.abs(y) <= bound)
            if not ok.all():
                gone = idx[~ok]
                final[gone, 0], final[gone, 1] = x[~ok], y[~ok]
                cur_x[gone], cur_y[gone] = x[~ok], y[~ok]
                taken[gone] = t
                diverged[gone] = True
                x, y, lr, idx = x[ok], y[ok], lr[ok], idx[ok]
            if progress is not None and (t % report_every == 0 or t == steps):
                progress(t, steps)
            if idx.size == 0:
                if rec is not None:
                    rec.fill(t)
                break
        final[idx, 0], final[idx, 1] = x, y
        taken[idx] = steps
        final_loss = landscape.loss(final)
    return DescentResult(
        landscape=landscape.name,
        lrs=lr_arr,
        starts=pos,
        trajectories=None if rec is None else rec.paths(),
        steps=taken,
        diverged=diverged,
        final_position=final,
        final_loss=final_loss,
        max_steps=steps,
        bound=bound,
    )
