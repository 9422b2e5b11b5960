"""RMSprop, as in ``torch.optim.RMSprop`` (centered and momentum variants included).

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.rmsprop(lr=0.01, alpha=0.9)
    >>> p = np.array([[3.0, -4.0]])
    >>> p, state = opt.update(np.array([[1.0, -1.0]]), opt.init(p), p)
    >>> np.round(p, 4).tolist()
    [[2.9684, -3.9684]]
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
    check_flag,
    check_lr,
    check_nonneg,
    lerp,
    lr_at,
    prepare,
    state_array,
)

__all__ = ["RMSpropState", "rmsprop"]


class RMSpropState(NamedTuple):
    """State of :func:`rmsprop`.

    Attributes:
        count: Updates done so far.
        square_avg: Running average of squared gradients ``v``.
        grad_avg: Running average of gradients ``m`` (``centered`` only, else ``None``).
        momentum_buffer: Velocity ``b`` (``momentum > 0`` only, else ``None``).
    """

    # The field shadows tuple.count, as Python allows and mypy does not (optax's and torch's name for the step).
    count: int  # type: ignore[assignment]
    square_avg: Array
    grad_avg: Array | None
    momentum_buffer: Array | None


def rmsprop(
    lr: LearningRate = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> Optimizer:
    """RMSprop exactly as ``torch.optim.RMSprop``.

    With ``g = grad + weight_decay * p``::

        v = alpha * v + (1 - alpha) * g**2
        m = alpha * m + (1 - alpha) * g                       (centered)
        s = sqrt(v - m**2) + eps  (centered)  or  sqrt(v) + eps
        b = momentum * b + g / s;  p = p - lr * b             (momentum > 0)
        p = p - lr * g / s                                    (otherwise)

    eps is added after the square root. The tutorial's ``RMSprop(lr, beta)`` is
    ``rmsprop(lr, alpha=beta)``.

    Args:
        lr: Learning rate (>= 0): a number, one per row, or a schedule ``step -> lr``.
        alpha: Smoothing constant of the squared-gradient average (>= 0).
        eps: Added to the denominator (> 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
        momentum: Momentum factor (>= 0).
        centered: Normalise by the estimated variance instead of the raw second moment.

    Raises:
        ValueError: lr, alpha, momentum or weight_decay < 0, or eps <= 0.
    """
    lr = check_lr(lr)
    alpha = check_nonneg("alpha", alpha)
    eps = check_eps(eps)
    weight_decay = check_nonneg("weight_decay", weight_decay)
    momentum = check_nonneg("momentum", momentum)
    centered = check_flag("centered", centered)

    def init(params: Params) -> RMSpropState:
        p = np.asarray(params)
        return RMSpropState(
            count=0,
            square_avg=np.zeros_like(p),
            grad_avg=np.zeros_like(p) if centered else None,
            momentum_buffer=np.zeros_like(p) if momentum > 0 else None,
        )

    def update(grads: Array, state: RMSpropState, params: Params) -> tuple[Params, RMSpropState]:
        g, p = prepare(grads, params)
        lr_t = lr_at(lr, state.count, p)
        if weight_decay != 0:
            g = g + weight_decay * p
        square_avg = state.square_avg * alpha + (1 - alpha) * g * g
        grad_avg = state.grad_avg
        if centered:
            grad_avg = lerp(state_array(grad_avg, "grad_avg"), g, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        buf = state.momentum_buffer
        if momentum > 0:
            buf = state_array(buf, "momentum_buffer") * momentum + g / avg
            new = p - lr_t * buf
        else:
            new = p + (-lr_t * g) / avg
        return as_dtype(new, p.dtype), RMSpropState(state.count + 1, square_avg, grad_avg, buf)

    return Optimizer(init, update)
