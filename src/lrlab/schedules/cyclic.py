"""Cyclical learning rates (Smith, 2017): triangular, triangular2 and exp_range.

The same arithmetic as torch's ``CyclicLR`` (``cycle``, ``x`` and the scale factor
computed in float from the step), so the two agree to rounding at every step.
"""

from __future__ import annotations

import numpy as np

from lrlab.schedules._base import Schedule, choice, in_range, integer, lr_value, register

__all__ = ["cyclic"]

MODES = ("triangular", "triangular2", "exp_range")


@register
def cyclic(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    """Cycle between ``base_lr`` and ``max_lr`` (torch's ``CyclicLR``, learning rate only).

    With ``c = step_size_up + step_size_down``, ``cycle = floor(1 + t / c)`` and
    ``x = 1 + t / c - cycle`` (the position in the cycle, in ``[0, 1)``)::

        height = x / r if x <= r else (x - 1) / (r - 1)      # r = step_size_up / c
        lr(t) = base_lr + (max_lr - base_lr) * height * scale

    where ``scale`` is 1 (``triangular``), ``1 / 2**(cycle - 1)`` (``triangular2``:
    the amplitude halves each cycle) or ``gamma**t`` (``exp_range``).

    Args:
        base_lr: Lower bound of the cycle, the rate at step 0 (>= 0).
        max_lr: Upper bound, reached after ``step_size_up`` steps (>= base_lr).
        step_size_up: Steps of the rising half (>= 1).
        step_size_down: Steps of the falling half (>= 1; default ``step_size_up``).
        mode: ``triangular``, ``triangular2`` or ``exp_range``.
        gamma: Decay per step for ``exp_range``, in ``(0, 1]``.

    Examples:
        >>> cyclic(0.1, 0.5, step_size_up=2)(range(6)).round(3).tolist()
        [0.1, 0.3, 0.5, 0.3, 0.1, 0.3]
    """
    base_lr = lr_value("base_lr", base_lr)
    max_lr = lr_value("max_lr", max_lr)
    if max_lr < base_lr:
        raise ValueError(f"max_lr must be >= base_lr ({base_lr!r}), got {max_lr!r}")
    up = integer("step_size_up", step_size_up, minimum=1)
    down = up if step_size_down is None else integer("step_size_down", step_size_down, minimum=1)
    mode = choice("mode", mode, MODES)
    gamma = in_range("gamma", gamma, 0.0, 1.0, lo_open=True)
    total_size = float(up) + float(down)
    step_ratio = float(up) / total_size

    def body(t: np.ndarray) -> np.ndarray:
        cycle = np.floor(1 + t / total_size)
        x = 1.0 + t / total_size - cycle
        scale_factor = np.where(x <= step_ratio, x / step_ratio, (x - 1) / (step_ratio - 1))
        base_height = (max_lr - base_lr) * scale_factor
        scale: float | np.ndarray
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = gamma**t
        return base_lr + base_height * scale

    params = {
        "base_lr": base_lr,
        "max_lr": max_lr,
        "step_size_up": up,
        "step_size_down": down,
        "mode": mode,
        "gamma": gamma,
    }
    return Schedule(body, "cyclic", params, base_lr, max_lr)
