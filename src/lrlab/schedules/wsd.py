"""Warmup-stable-decay ("trapezoidal"): the schedule of MiniCPM and of recent LLM
scaling studies, whose stable phase lets a run be extended without restarting.
"""

from __future__ import annotations

import numpy as np

from lrlab.schedules._base import Schedule, choice, integer, lr_value, min_below_base, register

__all__ = ["wsd"]

DECAYS = ("linear", "cosine", "1-sqrt")


def _shape(p: np.ndarray, decay: str) -> np.ndarray:
    """Fraction of the way from ``min_lr`` to ``base_lr`` still left at progress ``p``."""
    if decay == "linear":
        return 1.0 - p
    if decay == "cosine":
        return 0.5 * (1.0 + np.cos(np.pi * p))
    return 1.0 - np.sqrt(p)


@register
def wsd(
    base_lr: float,
    total_steps: int,
    warmup_steps: int = 0,
    decay_steps: int | None = None,
    min_lr: float = 0.0,
    decay: str = "linear",
) -> Schedule:
    """Linear warmup from 0, a long flat stretch at ``base_lr``, then a short decay.

    With ``W = warmup_steps``, ``D = decay_steps`` and ``T = total_steps``:
    ``base_lr * t / W`` for ``t < W``; ``base_lr`` until ``T - D``; then
    ``min_lr + (base_lr - min_lr) * f(p)`` with ``p = (t - (T - D)) / D`` and ``f`` one of
    ``1 - p`` (``linear``), ``(1 + cos(pi p)) / 2`` (``cosine``) or ``1 - sqrt(p)``
    (``1-sqrt``, Hägele et al. 2024); ``min_lr`` from ``T`` on. Hugging Face's
    ``get_wsd_schedule`` with a warmup from 0.

    Args:
        base_lr: Learning rate of the stable phase (>= 0).
        total_steps: Steps until ``min_lr`` is reached (>= 1).
        warmup_steps: Warmup steps (>= 0).
        decay_steps: Steps of the final decay (>= 1; default ``total_steps // 5``, at
            least 1); ``warmup_steps + decay_steps <= total_steps``.
        min_lr: Final rate, ``0 <= min_lr <= base_lr``.
        decay: ``linear``, ``cosine`` or ``1-sqrt``.

    Examples:
        >>> wsd(1.0, total_steps=10, warmup_steps=2, decay_steps=4)(range(11)).tolist()
        [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0]
    """
    base_lr = lr_value("base_lr", base_lr)
    total_steps = integer("total_steps", total_steps, minimum=1)
    warmup_steps = integer("warmup_steps", warmup_steps, minimum=0)
    if decay_steps is None:
        decay_steps = max(1, total_steps // 5)
    decay_steps = integer("decay_steps", decay_steps, minimum=1)
    if warmup_steps + decay_steps > total_steps:
        raise ValueError(
            f"warmup_steps + decay_steps must be <= total_steps ({total_steps}), got {warmup_steps} + {decay_steps}"
        )
    min_lr = lr_value("min_lr", min_lr)
    min_below_base("min_lr", min_lr, "base_lr", base_lr)
    decay = choice("decay", decay, DECAYS)
    decay_start = total_steps - decay_steps

    def body(t: np.ndarray) -> np.ndarray:
        p = np.clip(t - decay_start, 0, decay_steps) / decay_steps
        tail = min_lr + (base_lr - min_lr) * _shape(p, decay)
        ramp = base_lr * t / max(warmup_steps, 1)
        return np.where(t < warmup_steps, ramp, np.where(t < decay_start, base_lr, tail))

    params = {
        "base_lr": base_lr,
        "total_steps": total_steps,
        "warmup_steps": warmup_steps,
        "decay_steps": decay_steps,
        "min_lr": min_lr,
        "decay": decay,
    }
    return Schedule(body, "wsd", params, 0.0 if warmup_steps else min_lr, base_lr)
