"""Building schedules from schedules: a warmup in front, a sequence, a product.

``join`` follows optax's ``join_schedules`` and torch's ``SequentialLR``: each part
sees the steps counted from its own boundary, so ``join([a, b], [100])`` at step 130
is ``b(30)``.

Composition is bounded so that a schedule stays quick to evaluate and to write: at most
``MAX_PARTS`` (64) parts in a join or product, ``MAX_DEPTH`` (32) levels of nesting and
``MAX_SIZE`` (1024) schedules in all (the last two checked by :class:`Schedule` itself).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from lrlab._checks import show
from lrlab.schedules._base import Schedule, integer, lr_value, register, schedule_arg

__all__ = ["MAX_PARTS", "with_warmup", "join", "product"]

# Parts of one join or product: each is evaluated at every step, and a spec of thousands of
# parts is a mistake rather than a schedule.
MAX_PARTS = 64


def _parts(schedules: Any) -> list[Schedule]:
    """Two to ``MAX_PARTS`` schedules."""
    if isinstance(schedules, (Schedule, str, bytes)) or not isinstance(schedules, Sequence) or len(schedules) < 2:
        raise TypeError(f"schedules must be a list of two or more schedules, got {show(schedules)}")
    if len(schedules) > MAX_PARTS:
        raise ValueError(f"schedules must hold at most {MAX_PARTS} schedules, got {len(schedules)}")
    return [schedule_arg("schedules", s) for s in schedules]


@register
def with_warmup(schedule: Schedule, warmup_steps: int, start_lr: float = 0.0) -> Schedule:
    """A linear warmup in front of ``schedule``, which then starts from its own step 0.

    ``lr(t) = start_lr + (schedule(0) - start_lr) * t / warmup_steps`` for
    ``t < warmup_steps``, then ``schedule(t - warmup_steps)``, so the ramp ends exactly
    where the schedule begins.

    Args:
        schedule: The schedule that follows the warmup.
        warmup_steps: Length of the ramp (>= 0; 0 returns an equivalent schedule).
        start_lr: Rate at step 0 (>= 0).

    Examples:
        >>> from lrlab.schedules import cosine
        >>> s = with_warmup(cosine(1.0, total=10, min_lr=0.0), warmup_steps=4)
        >>> s([0, 2, 4, 14]).tolist()
        [0.0, 0.5, 1.0, 0.0]
    """
    schedule = schedule_arg("schedule", schedule)
    warmup_steps = integer("warmup_steps", warmup_steps, minimum=0)
    start_lr = lr_value("start_lr", start_lr)
    target = schedule(0)
    inner = schedule._body

    def body(t: np.ndarray) -> np.ndarray:
        ramp = start_lr + (target - start_lr) * t / max(warmup_steps, 1)
        return np.where(t < warmup_steps, ramp, inner(np.maximum(t - warmup_steps, 0)))

    params = {"schedule": schedule, "warmup_steps": warmup_steps, "start_lr": start_lr}
    return Schedule(body, "with_warmup", params, min(schedule.lo, start_lr), max(schedule.hi, start_lr))


@register
def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules`` one after another, switching at ``boundaries``.

    ``lr(t) = schedules[i](t - start_i)`` for ``start_i <= t < start_{i+1}``, with
    ``start = [0, *boundaries]`` (optax's ``join_schedules``, torch's ``SequentialLR``).

    Args:
        schedules: Two to ``MAX_PARTS`` (64) schedules.
        boundaries: ``len(schedules) - 1`` strictly increasing steps (>= 1).

    Examples:
        >>> from lrlab.schedules import constant, linear
        >>> s = join([linear(0.0, end_lr=1.0, total_steps=2), constant(1.0)], boundaries=[2])
        >>> s(range(4)).tolist()
        [0.0, 0.5, 1.0, 1.0]
    """
    parts = _parts(schedules)
    if isinstance(boundaries, (str, bytes)) or not isinstance(boundaries, Sequence):
        raise TypeError(f"boundaries must be a list of integers, got {show(boundaries)}")
    if len(boundaries) != len(parts) - 1:
        raise ValueError(
            f"boundaries must have one entry fewer than schedules ({len(parts) - 1}), got {show(list(boundaries))}"
        )
    bounds = [integer("boundaries", b, minimum=1) for b in boundaries]
    if any(b <= a for a, b in pairwise(bounds)):
        raise ValueError(f"boundaries must be strictly increasing, got {show(list(boundaries))}")
    edges = np.array(bounds, dtype=np.int64)
    starts = np.array([0, *bounds], dtype=np.int64)
    bodies = [p._body for p in parts]

    def body(t: np.ndarray) -> np.ndarray:
        which = np.searchsorted(edges, t, side="right")
        out = np.empty(t.shape)
        for i, f in enumerate(bodies):
            mask = which == i
            if mask.any():
                out[mask] = f(t[mask] - starts[i])
        return out

    return Schedule(
        body,
        "join",
        {"schedules": parts, "boundaries": bounds},
        min(p.lo for p in parts),
        max(p.hi for p in parts),
    )


@register
def product(schedules: Sequence[Schedule]) -> Schedule:
    """The step-wise product of schedules: ``lr(t) = s_1(t) * s_2(t) * ...``.

    For multiplicative factors (timm's and optax's way of stacking a decay on a
    warmup factor): e.g. ``product([cosine(0.1, total=100), linear(0.0, end_lr=1.0,
    total_steps=10)])`` ramps the cosine in over ten steps.

    Args:
        schedules: Two to ``MAX_PARTS`` (64) schedules.

    Raises:
        TypeError: If ``schedules`` is not a list of two or more schedules.
        ValueError: If it holds more than ``MAX_PARTS``, or their product can overflow.

    Examples:
        >>> from lrlab.schedules import constant, step
        >>> product([constant(0.1), step(1.0, drop=0.5, every=2)])(range(4)).tolist()
        [0.1, 0.1, 0.05, 0.05]
    """
    parts = _parts(schedules)
    bodies = [p._body for p in parts]

    def body(t: np.ndarray) -> np.ndarray:
        out = bodies[0](t)
        for f in bodies[1:]:
            out = out * f(t)
        return out

    hi = math.prod(p.hi for p in parts)
    if not math.isfinite(hi):
        raise ValueError(f"schedules must multiply to a finite learning rate, got an upper bound of {hi}")
    return Schedule(body, "product", {"schedules": parts}, math.prod(p.lo for p in parts), hi)
