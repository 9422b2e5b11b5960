"""The shape of a user's LR schedule: one factor per optimizer step, peak 1.

A run trains step ``t`` (from 0) at ``peak_lr * factor[t]``, as torch's ``LambdaLR``
does with ``lr_lambda``. The shape may be given as

* ``None``: constant (every factor 1);
* an lrlab :class:`~lrlab.schedules.Schedule` or a spec string
  (``"warmup_cosine(1.0, warmup=100, total=2000, min_lr=0)"``), written with peak 1;
* a callable ``step -> factor`` (a ``LambdaLR`` ``lr_lambda``), peak 1;
* a factory ``optimizer -> torch LRScheduler`` whose peak is the optimizer's LR, e.g.
  ``lambda opt: OneCycleLR(opt, max_lr=opt.param_groups[0]["lr"], total_steps=N)``: it is
  run on a private one-parameter optimizer at LR 1 to read its factors, and the momentum it
  sets (the user's optimizer is never touched; a scheduler that reads metrics cannot be
  sampled so; the torch adapter, :mod:`lrlab.schedules.torch`, does the sampling);
* a sequence of per-step factors.

Peak 1 means the largest factor over the steps is 1 (to 1e-6): the LR a suggestion
names is then the peak LR of the user's run. NumPy only, but for a factory (which is
torch's by nature).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from lrlab._checks import check_int, show
from lrlab.schedules._base import Schedule
from lrlab.schedules.spec import parse

__all__ = [
    "Shape",
    "ScheduleShape",
    "schedule_shape",
    "shape_factors",
    "describe_shape",
    "compress",
    "PEAK_TOL",
    "MAX_STEPS",
]

# A shape's peak may differ from 1 by this much (rounding in a user's formula).
PEAK_TOL = 1e-6
# The longest run a shape is read over: one float64 factor a step (800 MB at the limit).
MAX_STEPS = 100_000_000

Shape = Union[None, str, Callable[[Any], Any], Sequence[float], np.ndarray, "ScheduleShape"]


@dataclass(frozen=True, eq=False)
class ScheduleShape:
    """A schedule's shape, read once: the LR factor of every step, and the momentum it sets.

    Attributes:
        lr: ``(steps,)`` LR factors, each finite and >= 0, the largest 1.
        momentum: ``(steps,)`` the momentum (SGD) or first beta (Adam) a scheduler sets at
            each step, as torch's ``OneCycleLR`` and ``CyclicLR`` do with ``cycle_momentum``;
            ``None`` when the schedule leaves it alone.
        name: A short human name (the spec, ``"constant"``, the factory's name).
    """

    lr: np.ndarray
    momentum: np.ndarray | None
    name: str

    @property
    def steps(self) -> int:
        """How many steps the shape covers."""
        return int(self.lr.size)

    @property
    def constant(self) -> bool:
        """Whether every factor is 1 and no momentum is set."""
        return self.momentum is None and bool(np.all(self.lr == 1.0))

    def compress(self, horizon: int) -> ScheduleShape:
        """This shape squeezed into ``horizon`` steps (see :func:`compress`)."""
        idx = _compressed_index(self.lr, horizon)
        momentum = None if self.momentum is None else self.momentum[idx]
        return ScheduleShape(
            _frozen(self.lr[idx]),
            None if momentum is None else _frozen(momentum),
            f"{self.name} compressed to {min(horizon, self.steps)} steps",
        )


def _frozen(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, dtype=np.float64)
    out.setflags(write=False)
    return out


def schedule_shape(schedule: Shape, total_steps: int, *, name: str = "schedule") -> ScheduleShape:
    """Read ``schedule`` (any form of this module's docstring) over ``total_steps`` steps.

    Raises:
        TypeError, ValueError: As :func:`shape_factors`.
    """
    if isinstance(schedule, ScheduleShape):
        if schedule.steps != check_int("total_steps", total_steps, 1):
            raise ValueError(f"{name} must cover {total_steps} steps, got a shape of {schedule.steps}")
        return schedule
    momentum: list[float] = []
    factors = shape_factors(schedule, total_steps, name=name, _momentum=momentum)
    moves = len(momentum) == total_steps and len(set(momentum)) > 1
    return ScheduleShape(factors, _frozen(np.asarray(momentum)) if moves else None, describe_shape(schedule))


def describe_shape(schedule: Shape) -> str:
    """A short human name for a shape: its spec, ``"constant"``, or the callable's name."""
    if schedule is None:
        return "constant"
    if isinstance(schedule, ScheduleShape):
        return schedule.name
    if isinstance(schedule, str):
        return schedule
    if isinstance(schedule, Schedule):
        return repr(schedule)
    if isinstance(schedule, (np.ndarray, Sequence)):
        return f"{len(schedule)} per-step factors"
    return getattr(schedule, "__name__", type(schedule).__name__)


def shape_factors(
    schedule: Shape, total_steps: int, *, name: str = "schedule", _momentum: list[float] | None = None
) -> np.ndarray:
    """The per-step LR factors of ``schedule`` over ``total_steps`` steps (float64, peak 1).

    Args:
        schedule: The shape, in any of the forms of this module's docstring.
        total_steps: Steps of the run (>= 1).
        name: The argument's name, for messages.

    Returns:
        ``(total_steps,)`` factors, each finite and >= 0, the largest 1 (to 1e-6).

    Raises:
        TypeError: If ``schedule`` is none of the accepted forms.
        ValueError: If a factor is negative or not finite, the peak is not 1, or a sequence
            has the wrong length.

    Examples:
        >>> shape_factors("linear(1.0, end_lr=0.0, total_steps=4)", 4).tolist()
        [1.0, 0.75, 0.5, 0.25]
        >>> shape_factors(lambda t: min(1.0, (t + 1) / 2), 3).tolist()
        [0.5, 1.0, 1.0]
    """
    total_steps = check_int("total_steps", total_steps, 1, MAX_STEPS)
    if isinstance(schedule, ScheduleShape):
        return schedule_shape(schedule, total_steps, name=name).lr
    if schedule is None:
        return _frozen(np.ones(total_steps))
    if isinstance(schedule, str):
        schedule = parse(schedule)
    if isinstance(schedule, Schedule):
        factors = np.asarray(schedule(np.arange(total_steps)), dtype=np.float64)
    elif isinstance(schedule, (np.ndarray, Sequence)) and not isinstance(schedule, (str, bytes)):
        factors = _sequence(schedule, total_steps, name)
    elif callable(schedule):
        factors = _from_callable(schedule, total_steps, name, _momentum)
    else:
        raise TypeError(
            f"{name} must be None, an lrlab Schedule or spec, a callable step -> factor, or a factory "
            f"optimizer -> LRScheduler, got {show(schedule)}"
        )
    return _check(factors, name)


def _sequence(values: Any, total_steps: int, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers when given as factors, got {show(values)}") from None
    if arr.shape != (total_steps,):
        raise ValueError(f"{name} must hold one factor per step ({total_steps}), got shape {arr.shape}")
    return arr


def _check(factors: np.ndarray, name: str) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(factors) | (factors < 0))
    if bad.size:
        t = int(bad[0])
        raise ValueError(
            f"{name} must give a finite factor >= 0 at every step, got {float(factors[t]):.6g} at step {t}"
        )
    peak = float(factors.max())
    if abs(peak - 1.0) > PEAK_TOL:
        raise ValueError(
            f"{name} must have peak 1 (its largest factor; the LR lrlab suggests is the run's peak), got "
            f"{peak:.6g}; divide it by its peak, e.g. write warmup_cosine(1.0, ...)"
        )
    return _frozen(factors)


def _from_callable(fn: Callable[[Any], Any], total_steps: int, name: str, momentum: list[float] | None) -> np.ndarray:
    first: Any = None
    try:
        first = fn(0)
    except Exception:  # noqa: BLE001 - not a step -> factor function: maybe a factory of schedulers
        first = None
    if (isinstance(first, numbers.Real) and not isinstance(first, bool)) or getattr(first, "ndim", None) == 0:
        values = [float(first)]
        for t in range(1, total_steps):
            v = fn(t)
            try:
                values.append(float(v))
            except (TypeError, ValueError):
                raise TypeError(f"{name} must return a number for every step, got {show(v)} at step {t}") from None
        return np.asarray(values, dtype=np.float64)
    return _from_factory(fn, total_steps, name, momentum)


def _from_factory(
    factory: Callable[[Any], Any], total_steps: int, name: str, momentum: list[float] | None
) -> np.ndarray:
    """The factory's LRs (and momentum) step by step, read by the torch adapter."""
    from lrlab.schedules.torch import sample_scheduler

    lrs, moms = sample_scheduler(factory, total_steps, name=name)
    if momentum is not None:
        momentum.extend(moms)
    return np.asarray(lrs, dtype=np.float64)


def compress(factors: np.ndarray, horizon: int) -> np.ndarray:
    """The shape of a ``len(factors)``-step run squeezed into ``horizon`` steps (peak kept at 1).

    Step ``t`` of the short run takes the factor the long run has at the middle of the same
    fraction of its length, ``factors[floor((t + 1/2) * N / horizon)]``; the sample nearest to
    the peak is moved onto it, so that the short run reaches the peak LR too. A horizon of
    ``N`` or more returns the factors themselves (a longer run is not stretched).

    Examples:
        >>> compress(np.array([0.0, 0.5, 1.0, 0.9, 0.7, 0.5, 0.3, 0.1]), 4).tolist()
        [0.5, 1.0, 0.5, 0.1]
    """
    return np.asarray(factors, dtype=np.float64)[_compressed_index(factors, horizon)]


def _compressed_index(factors: np.ndarray, horizon: int) -> np.ndarray:
    n = len(factors)
    horizon = check_int("horizon", horizon, 1)
    if horizon >= n:
        return np.arange(n)
    idx = ((2 * np.arange(horizon) + 1) * n) // (2 * horizon)
    peak = int(np.argmax(factors))
    # On a tie the later sample moves: the first step keeps the warmup's start.
    nearest = horizon - 1 - int(np.argmin(np.abs(idx[::-1] - peak)))
    idx[nearest] = peak
    return idx
