"""The 1cycle policy (Smith & Topin, 2018): torch's ``OneCycleLR``, learning rate only.

Phases end at the same float steps as torch's (``pct_start * total_steps - 1``, ...)
and the annealing functions are torch's, so the values agree to rounding.
"""

from __future__ import annotations

import numpy as np

from lrlab.schedules._base import Schedule, choice, flag, in_range, integer, lr_value, real, register

__all__ = ["onecycle"]


def _anneal(start: float, end: float, pct: np.ndarray, strategy: str) -> np.ndarray:
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


@register
def onecycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """One cycle: up from ``max_lr / div_factor`` to ``max_lr``, then down to a tiny floor.

    ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``.
    Two phases: ``initial_lr -> max_lr`` until step ``pct_start * total_steps - 1``, then
    ``max_lr -> min_lr`` until ``total_steps - 1``. Three phases (fastai's original):
    ``initial_lr -> max_lr -> initial_lr`` symmetrically, then down to ``min_lr``.
    Each phase anneals by cosine (``cos``) or linearly (``linear``); after the last
    step the rate stays at ``min_lr`` (torch raises there instead).

    Args:
        max_lr: Peak learning rate (> 0).
        total_steps: Length of the cycle (>= 2).
        pct_start: Fraction of the steps spent rising, in ``(0, 1)``.
        anneal_strategy: ``cos`` or ``linear``.
        div_factor: ``max_lr / initial_lr`` (>= 1).
        final_div_factor: ``initial_lr / min_lr`` (>= 1).
        three_phase: Use the three-phase schedule.

    Examples:
        >>> s = onecycle(1.0, total_steps=10, pct_start=0.3, anneal_strategy="linear", div_factor=10)
        >>> s([0, 1, 2]).round(6).tolist()
        [0.1, 0.55, 1.0]
    """
    max_lr = lr_value("max_lr", max_lr, positive=True)
    total_steps = integer("total_steps", total_steps, minimum=2)
    pct_start = in_range("pct_start", pct_start, 0.0, 1.0, lo_open=True)
    anneal_strategy = choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = real("div_factor", div_factor)
    final_div_factor = real("final_div_factor", final_div_factor)
    for name, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value!r}")
    three_phase = flag("three_phase", three_phase)

    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    up_end = float(pct_start * total_steps) - 1
    if three_phase:
        ends = [up_end, float(2 * pct_start * total_steps) - 2, total_steps - 1]
        lrs = [initial_lr, max_lr, initial_lr, min_lr]
    else:
        ends = [up_end, total_steps - 1]
        lrs = [initial_lr, max_lr, min_lr]
    # Every phase must span at least part of a step, or torch divides by zero.
    starts = [0.0, *ends[:-1]]
    if not all(e > s for s, e in zip(starts, ends)):
        raise ValueError(
            f"pct_start must leave every phase at least one step: with total_steps={total_steps}"
            f"{' and three_phase' if three_phase else ''}, pct_start={pct_start!r} gives phase ends {ends}"
        )

    def body(t: np.ndarray) -> np.ndarray:
        step = np.minimum(t, total_steps - 1)
        out = np.empty(step.shape)
        lower = -np.inf
        for i, (start, end) in enumerate(zip(starts, ends)):
            upper = np.inf if i == len(ends) - 1 else end
            mask = (step > lower) & (step <= upper)
            pct = (step[mask] - start) / (end - start)
            out[mask] = _anneal(lrs[i], lrs[i + 1], pct, anneal_strategy)
            lower = upper
        return out

    params = {
        "max_lr": max_lr,
        "total_steps": total_steps,
        "pct_start": pct_start,
        "anneal_strategy": anneal_strategy,
        "div_factor": div_factor,
        "final_div_factor": final_div_factor,
        "three_phase": three_phase,
    }
    return Schedule(body, "onecycle", params, min_lr, max_lr)
