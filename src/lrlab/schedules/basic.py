"""Decays with a closed form: constant, step, multi-step, exponential, linear,
polynomial and inverse square root.

Each factory validates its arguments eagerly and returns a :class:`Schedule`. The
formulas are written as the reference writes them (the tutorial for ``constant``,
``step`` and ``exponential``; ``torch.optim.lr_scheduler`` for the others) so that the
values agree to the last bit or, where torch updates recursively, to rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from lrlab.schedules._base import Schedule, in_range, integer, lr_value, real, register

__all__ = ["constant", "step", "multistep", "exponential", "linear", "polynomial", "inverse_sqrt"]


@register
def constant(base_lr: float) -> Schedule:
    """The same learning rate at every step: ``lr(t) = base_lr``.

    Examples:
        >>> constant(0.1)(7)
        0.1
    """
    base_lr = lr_value("base_lr", base_lr)
    return Schedule(lambda t: np.full(t.shape, base_lr), "constant", {"base_lr": base_lr}, base_lr, base_lr)


@register
def step(base_lr: float, drop: float = 0.5, every: int = 30) -> Schedule:
    """Step decay (the tutorial's; torch's ``StepLR(step_size=every, gamma=drop)``).

    ``lr(t) = base_lr * drop ** (t // every)``

    Args:
        base_lr: Learning rate of the first ``every`` steps (>= 0).
        drop: Factor applied every ``every`` steps, in ``[0, 1]``.
        every: Steps between drops (>= 1).

    Examples:
        >>> step(0.1, drop=0.5, every=30)([0, 29, 30, 60]).tolist()
        [0.1, 0.1, 0.05, 0.025]
    """
    base_lr = lr_value("base_lr", base_lr)
    drop = in_range("drop", drop, 0.0, 1.0)
    every = integer("every", every, minimum=1)
    return Schedule(
        lambda t: base_lr * (drop ** (t // every)),
        "step",
        {"base_lr": base_lr, "drop": drop, "every": every},
        0.0,
        base_lr,
    )


@register
def multistep(base_lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """Multiply by ``gamma`` at each milestone (torch's ``MultiStepLR``).

    ``lr(t) = base_lr * gamma ** (number of milestones <= t)``

    Args:
        base_lr: Learning rate before the first milestone (>= 0).
        milestones: Strictly increasing steps (>= 1) at which the rate drops.
        gamma: Factor applied at each milestone, in ``[0, 1]``.

    Examples:
        >>> multistep(1.0, milestones=[2, 4], gamma=0.5)(range(6)).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    base_lr = lr_value("base_lr", base_lr)
    gamma = in_range("gamma", gamma, 0.0, 1.0)
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence) or not milestones:
        raise TypeError(f"milestones must be a non-empty list of integers, got {milestones!r}")
    ms = [integer("milestones", m, minimum=1) for m in milestones]
    if any(b <= a for a, b in pairwise(ms)):
        raise ValueError(f"milestones must be strictly increasing, got {list(milestones)!r}")
    edges = np.array(ms, dtype=np.int64)
    return Schedule(
        lambda t: base_lr * gamma ** np.searchsorted(edges, t, side="right"),
        "multistep",
        {"base_lr": base_lr, "milestones": ms, "gamma": gamma},
        0.0,
        base_lr,
    )


@register
def exponential(base_lr: float, k: float | None = None, gamma: float | None = None) -> Schedule:
    """Exponential decay: ``base_lr * exp(-k t)`` (the tutorial's; ``k = 0.05`` unless
    ``gamma`` is given) or ``base_lr * gamma ** t`` (torch's ``ExponentialLR``).

    Give ``k`` or ``gamma``, never both.

    Args:
        base_lr: Learning rate at step 0 (>= 0).
        k: Decay rate per step (>= 0).
        gamma: Factor per step, in ``[0, 1]``.

    Examples:
        >>> exponential(0.1, gamma=0.5)([0, 1, 2]).tolist()
        [0.1, 0.05, 0.025]
    """
    base_lr = lr_value("base_lr", base_lr)
    if k is not None and gamma is not None:
        raise ValueError(f"exponential takes k or gamma, not both; got k={k!r}, gamma={gamma!r}")
    if gamma is not None:
        g = in_range("gamma", gamma, 0.0, 1.0)
        return Schedule(lambda t: base_lr * g**t, "exponential", {"base_lr": base_lr, "gamma": g}, 0.0, base_lr)
    rate = lr_value("k", 0.05 if k is None else k)
    return Schedule(lambda t: base_lr * np.exp(-rate * t), "exponential", {"base_lr": base_lr, "k": rate}, 0.0, base_lr)


@register
def linear(base_lr: float, end_lr: float = 0.0, total_steps: int = 100) -> Schedule:
    """Straight line from ``base_lr`` at step 0 to ``end_lr`` at ``total_steps``, then flat.

    ``lr(t) = base_lr * (1 - p) + end_lr * p`` with ``p = min(t, total_steps) / total_steps``

    torch's ``LinearLR(start_factor=a, end_factor=b, total_iters=T)`` on an initial
    rate ``r`` is ``linear(base_lr=r*a, end_lr=r*b, total_steps=T)``; ``end_lr`` may be
    above ``base_lr`` (a ramp up).

    Examples:
        >>> linear(1.0, end_lr=0.0, total_steps=4)([0, 1, 4, 9]).tolist()
        [1.0, 0.75, 0.0, 0.0]
    """
    base_lr = lr_value("base_lr", base_lr)
    end_lr = lr_value("end_lr", end_lr)
    total_steps = integer("total_steps", total_steps, minimum=1)

    def body(t: np.ndarray) -> np.ndarray:
        # A weighted mean reaches end_lr exactly at total_steps (base + (end - base) * 1
        # may miss it by rounding), so a schedule joined after it starts where it ends.
        p = np.minimum(t, total_steps) / total_steps
        return base_lr * (1.0 - p) + end_lr * p

    return Schedule(
        body,
        "linear",
        {"base_lr": base_lr, "end_lr": end_lr, "total_steps": total_steps},
        min(base_lr, end_lr),
        max(base_lr, end_lr),
    )


@register
def polynomial(base_lr: float, total_steps: int = 100, power: float = 1.0, end_lr: float = 0.0) -> Schedule:
    """Polynomial decay to ``end_lr`` at ``total_steps`` (torch's ``PolynomialLR`` when
    ``end_lr = 0``; optax's ``polynomial_schedule``).

    ``lr(t) = (base_lr - end_lr) * (1 - min(t, T) / T) ** power + end_lr``

    Examples:
        >>> polynomial(1.0, total_steps=2, power=2.0)([0, 1, 2, 3]).tolist()
        [1.0, 0.25, 0.0, 0.0]
    """
    base_lr = lr_value("base_lr", base_lr)
    end_lr = lr_value("end_lr", end_lr)
    total_steps = integer("total_steps", total_steps, minimum=1)
    power = real("power", power)
    if not power > 0:
        raise ValueError(f"power must be > 0, got {power!r}")
    if end_lr > base_lr:
        raise ValueError(f"end_lr must be <= base_lr ({base_lr!r}), got {end_lr!r}")
    return Schedule(
        lambda t: (base_lr - end_lr) * (1.0 - np.minimum(total_steps, t) / total_steps) ** power + end_lr,
        "polynomial",
        {"base_lr": base_lr, "total_steps": total_steps, "power": power, "end_lr": end_lr},
        end_lr,
        base_lr,
    )


@register
def inverse_sqrt(base_lr: float, warmup_steps: int = 0, timescale: int | None = None) -> Schedule:
    """Inverse square root decay after a linear warmup from 0 (Hugging Face's
    ``get_inverse_sqrt_schedule``; the Transformer's "Noam" shape).

    ``lr(t) = base_lr * t / warmup_steps`` for ``t < warmup_steps``, then
    ``lr(t) = base_lr / sqrt((t + timescale - warmup_steps) / timescale)``.
    ``timescale`` defaults to ``warmup_steps`` (10,000 without warmup), so the rate is
    ``base_lr`` at the end of the warmup and halves every time ``t`` quadruples.

    Examples:
        >>> inverse_sqrt(1.0, warmup_steps=4)([0, 2, 4, 16]).tolist()
        [0.0, 0.5, 1.0, 0.5]
    """
    base_lr = lr_value("base_lr", base_lr)
    warmup_steps = integer("warmup_steps", warmup_steps, minimum=0)
    scale = integer("timescale", timescale, minimum=1) if timescale is not None else warmup_steps or 10_000
    shift = scale - warmup_steps

    def body(t: np.ndarray) -> np.ndarray:
        ramp = base_lr * t / max(1, warmup_steps)
        # For t >= warmup_steps, t + shift >= timescale, so the decay is <= base_lr; the
        # clamp only keeps the discarded branch of np.where finite. The sum is taken in
        # float64: t and timescale may each be near 2**62, and their int64 sum would wrap.
        decay = base_lr / np.sqrt(np.maximum(t + float(shift), 1.0) / scale)
        return np.where(t < warmup_steps, ramp, decay)

    params = {"base_lr": base_lr, "warmup_steps": warmup_steps, "timescale": None if timescale is None else scale}
    return Schedule(body, "inverse_sqrt", params, 0.0, base_lr)
