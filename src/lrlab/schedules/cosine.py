"""Cosine annealing: the tutorial's ``cosine`` and ``warmup_cosine``, and SGDR restarts.

The tutorial's formulas are kept operation for operation (``min_lr + (base_lr -
min_lr) * (1 + cos(pi * t / total)) / 2``), which is also how torch writes the
closed form of ``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts``, so the
values agree to the last bit with the tutorial and to rounding with torch.
"""

from __future__ import annotations

import numpy as np

from lrlab.schedules._base import MAX_STEP, Schedule, in_range, integer, lr_value, min_below_base, register

__all__ = ["cosine", "warmup_cosine", "cosine_restarts"]


def _anneal(t: np.ndarray, base_lr: float, min_lr: float, total: int) -> np.ndarray:
    # Past ``total`` the rate stays at min_lr (optax, timm and HF do the same); torch's
    # CosineAnnealingLR would climb back up, which nobody wants from a "decay".
    return min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * np.minimum(t, total) / total)) / 2


@register
def cosine(base_lr: float, total: int = 100, min_lr: float = 0.0) -> Schedule:
    """Cosine annealing from ``base_lr`` to ``min_lr`` over ``total`` steps, then flat.

    ``lr(t) = min_lr + (base_lr - min_lr) * (1 + cos(pi * min(t, total) / total)) / 2``

    torch's ``CosineAnnealingLR(T_max=total, eta_min=min_lr)`` within its first period.

    Args:
        base_lr: Learning rate at step 0 (>= 0).
        total: Steps to reach ``min_lr`` (>= 1).
        min_lr: Floor, ``0 <= min_lr <= base_lr``; 0 by default, as torch's ``eta_min``
            (the tutorial's curves pass ``min_lr=0.001``).

    Examples:
        >>> s = cosine(3e-4, total=1000)
        >>> s(0), s(500), s(1000), s(5000)
        (0.0003, 0.00015, 0.0, 0.0)
        >>> cosine(0.1, total=100, min_lr=0.001)(100)
        0.001
    """
    base_lr = lr_value("base_lr", base_lr)
    total = integer("total", total, minimum=1)
    min_lr = lr_value("min_lr", min_lr)
    min_below_base("min_lr", min_lr, "base_lr", base_lr)
    return Schedule(
        lambda t: _anneal(t, base_lr, min_lr, total),
        "cosine",
        {"base_lr": base_lr, "total": total, "min_lr": min_lr},
        min_lr,
        base_lr,
    )


@register
def warmup_cosine(base_lr: float, warmup: int = 10, total: int = 100, min_lr: float = 0.0) -> Schedule:
    """Linear warmup from 0, then cosine annealing over the remaining steps (the tutorial's).

    ``lr(t) = base_lr * t / warmup`` for ``t < warmup``, then
    ``cosine(base_lr, total - warmup, min_lr)`` at ``t - warmup``; ``min_lr`` from ``total`` on.

    Args:
        base_lr: Peak learning rate, reached at step ``warmup`` (>= 0).
        warmup: Warmup steps, ``0 <= warmup <= total``.
        total: Steps until ``min_lr`` is reached (>= 1).
        min_lr: Floor of the cosine, ``0 <= min_lr <= base_lr``; 0 by default, as torch's
            ``eta_min`` (the tutorial's curve passes ``min_lr=0.001``).

    Examples:
        >>> s = warmup_cosine(0.1, warmup=10, total=100)
        >>> s(0), s(5), s(10), s(100)
        (0.0, 0.05, 0.1, 0.0)
    """
    base_lr = lr_value("base_lr", base_lr)
    warmup = integer("warmup", warmup, minimum=0)
    total = integer("total", total, minimum=1)
    min_lr = lr_value("min_lr", min_lr)
    if warmup > total:
        raise ValueError(f"warmup must be <= total ({total}), got {warmup}")
    min_below_base("min_lr", min_lr, "base_lr", base_lr)
    decay = total - warmup

    def body(t: np.ndarray) -> np.ndarray:
        after = np.maximum(t - warmup, 0)
        tail = _anneal(after, base_lr, min_lr, decay) if decay else np.full(t.shape, min_lr)
        return np.where(t < warmup, base_lr * t / max(warmup, 1), tail)

    return Schedule(
        body,
        "warmup_cosine",
        {"base_lr": base_lr, "warmup": warmup, "total": total, "min_lr": min_lr},
        0.0 if warmup else min_lr,
        base_lr,
    )


def _cycle_starts(cycle_steps: int, cycle_mult: int) -> np.ndarray:
    # With cycle_mult >= 2 there are at most ~62 cycles below MAX_STEP; exact integers.
    starts = [0]
    while starts[-1] * cycle_mult + cycle_steps <= MAX_STEP:
        starts.append(starts[-1] * cycle_mult + cycle_steps)
    return np.array(starts, dtype=np.int64)


@register
def cosine_restarts(
    base_lr: float, cycle_steps: int, cycle_mult: int = 1, cycle_decay: float = 1.0, min_lr: float = 0.0
) -> Schedule:
    """Cosine annealing with warm restarts (SGDR; torch's ``CosineAnnealingWarmRestarts``).

    Cycle ``n`` lasts ``cycle_steps * cycle_mult**n`` steps and starts at
    ``base_lr * cycle_decay**n``; within it, at ``t_cur`` steps from its start,
    ``lr = min_lr + (peak_n - min_lr) * (1 + cos(pi * t_cur / T_n)) / 2``.
    torch's ``T_0``, ``T_mult``, ``eta_min`` are ``cycle_steps``, ``cycle_mult``,
    ``min_lr``; ``cycle_decay`` is timm's per-cycle decay (1.0 = torch).

    Args:
        base_lr: Peak of the first cycle (>= 0).
        cycle_steps: Length of the first cycle (>= 1).
        cycle_mult: Integer growth factor of the cycle length (>= 1).
        cycle_decay: Factor on the peak after each restart, in ``[0, 1]``.
        min_lr: Floor, ``0 <= min_lr <= base_lr``.

    Examples:
        >>> s = cosine_restarts(1.0, cycle_steps=2, cycle_mult=2)
        >>> s(range(7)).round(3).tolist()
        [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0]
    """
    base_lr = lr_value("base_lr", base_lr)
    cycle_steps = integer("cycle_steps", cycle_steps, minimum=1)
    cycle_mult = integer("cycle_mult", cycle_mult, minimum=1)
    cycle_decay = in_range("cycle_decay", cycle_decay, 0.0, 1.0)
    min_lr = lr_value("min_lr", min_lr)
    min_below_base("min_lr", min_lr, "base_lr", base_lr)
    starts = _cycle_starts(cycle_steps, cycle_mult) if cycle_mult > 1 else None

    def body(t: np.ndarray) -> np.ndarray:
        t_i: float | np.ndarray
        if starts is None:
            n, t_cur, t_i = t // cycle_steps, t % cycle_steps, float(cycle_steps)
        else:
            n = np.searchsorted(starts, t, side="right") - 1
            t_cur = t - starts[n]
            t_i = cycle_steps * np.power(float(cycle_mult), n)
        peak = base_lr * cycle_decay**n
        return min_lr + (peak - min_lr) * (1 + np.cos(np.pi * t_cur / t_i)) / 2

    params = {
        "base_lr": base_lr,
        "cycle_steps": cycle_steps,
        "cycle_mult": cycle_mult,
        "cycle_decay": cycle_decay,
        "min_lr": min_lr,
    }
    # A decayed peak can fall below min_lr; the rate then lies between the two.
    return Schedule(body, "cosine_restarts", params, min_lr if cycle_decay == 1.0 else 0.0, base_lr)
