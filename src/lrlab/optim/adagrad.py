"""Adagrad, as in ``torch.optim.Adagrad``.

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.adagrad(lr=0.5)
    >>> p = np.array([[1.0, 1.0]])
    >>> p, state = opt.update(np.array([[2.0, -0.1]]), opt.init(p), p)
    >>> np.round(p, 6).tolist()  # the first step moves every coordinate by lr
    [[0.5, 1.5]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lrlab.optim._base import (
    Array,
    LearningRate,
    Optimizer,
    Params,
    as_dtype,
    check_eps,
    check_lr,
    check_nonneg,
    lr_at,
    prepare,
)

__all__ = ["AdagradState", "adagrad"]


class AdagradState(NamedTuple):
    """State of :func:`adagrad`: step count and the running sum of squared gradients."""

    # The field shadows tuple.count, as Python allows and mypy does not (optax's and torch's name for the step).
    count: int  # type: ignore[assignment]
    sum: Array


def adagrad(
    lr: LearningRate = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> Optimizer:
    """Adagrad exactly as ``torch.optim.Adagrad``.

    At step ``t``, with ``g = grad + weight_decay * p``::

        s = s + g**2                       (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Args:
        lr: Learning rate (>= 0): a number, one per row, or a schedule ``step -> lr``.
        lr_decay: Learning-rate decay per step (>= 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
        initial_accumulator_value: Start value of the squared-gradient sum (>= 0).
        eps: Added to the denominator (> 0).

    Raises:
        ValueError: A negative lr, lr_decay, weight_decay or initial_accumulator_value, or eps <= 0.
    """
    lr = check_lr(lr)
    lr_decay = check_nonneg("lr_decay", lr_decay)
    weight_decay = check_nonneg("weight_decay", weight_decay)
    initial = check_nonneg("initial_accumulator_value", initial_accumulator_value)
    eps = check_eps(eps)

    def init(params: Params) -> AdagradState:
        return AdagradState(0, np.full_like(np.asarray(params), initial))

    def update(grads: Array, state: AdagradState, params: Params) -> tuple[Params, AdagradState]:
        g, p = prepare(grads, params)
        lr_t = lr_at(lr, state.count, p)
        step = float(state.count + 1)
        if weight_decay != 0:
            g = g + weight_decay * p
        clr = lr_t / (1 + (step - 1) * lr_decay)
        total = state.sum + g * g
        new = p + (-clr * g) / (np.sqrt(total) + eps)
        return as_dtype(new, p.dtype), AdagradState(state.count + 1, total)

    return Optimizer(init, update)
