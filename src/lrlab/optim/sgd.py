"""Stochastic gradient descent with optional (Nesterov) momentum, as in ``torch.optim.SGD``.

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.momentum(lr=0.1, beta=0.9)
    >>> p = np.array([[1.0, -2.0]])
    >>> state = opt.init(p)
    >>> p, state = opt.update(2 * p, state, p)
    >>> p.tolist(), state.count
    ([[0.8, -1.6]], 1)
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
    check_flag,
    check_lr,
    check_nonneg,
    check_real,
    lr_at,
    prepare,
    state_array,
)

__all__ = ["SGDState", "sgd", "momentum", "nesterov"]


class SGDState(NamedTuple):
    """State of :func:`sgd`.

    Attributes:
        count: Updates done so far.
        momentum_buffer: The velocity ``b``; ``None`` without momentum.
    """

    # The field shadows tuple.count, as Python allows and mypy does not (optax's and torch's name for the step).
    count: int  # type: ignore[assignment]
    momentum_buffer: Array | None


def sgd(
    lr: LearningRate = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> Optimizer:
    """SGD exactly as ``torch.optim.SGD``.

    With ``g = grad + weight_decay * p``::

        b_1 = g_1;  b_t = momentum * b_{t-1} + (1 - dampening) * g_t   (t > 1)
        d_t = g_t + momentum * b_t  (nesterov)  or  b_t  (momentum > 0)  or  g_t
        p_t = p_{t-1} - lr * d_t

    The first step copies the gradient into the buffer (no dampening), like torch.

    Args:
        lr: Learning rate (>= 0): a number, one per row, or a schedule ``step -> lr``.
        momentum: Momentum factor (>= 0).
        dampening: Dampening of the gradient in the momentum buffer.
        weight_decay: L2 penalty added to the gradient (>= 0).
        nesterov: Use Nesterov momentum (needs momentum > 0 and dampening 0).

    Returns:
        An :class:`~lrlab.optim.Optimizer` whose state is an :class:`SGDState`.

    Raises:
        ValueError: lr, momentum or weight_decay < 0; nesterov without momentum or
            with dampening.
    """
    lr = check_lr(lr)
    momentum = check_nonneg("momentum", momentum)
    dampening = check_real("dampening", dampening)
    weight_decay = check_nonneg("weight_decay", weight_decay)
    nesterov = check_flag("nesterov", nesterov)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError(
            f"Nesterov momentum requires momentum > 0 and dampening = 0, got momentum={momentum}, dampening={dampening}"
        )

    def init(params: Params) -> SGDState:
        p = np.asarray(params)
        return SGDState(count=0, momentum_buffer=np.zeros_like(p) if momentum != 0 else None)

    def update(grads: Array, state: SGDState, params: Params) -> tuple[Params, SGDState]:
        g, p = prepare(grads, params)
        lr_t = lr_at(lr, state.count, p)
        if weight_decay != 0:
            g = g + weight_decay * p
        buf = state.momentum_buffer
        if momentum != 0:
            if state.count == 0:
                buf = np.array(g)
            else:
                buf = state_array(buf, "momentum_buffer") * momentum + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        return as_dtype(p - lr_t * g, p.dtype), SGDState(state.count + 1, buf)

    return Optimizer(init, update)


def momentum(lr: LearningRate = 1e-3, beta: float = 0.9) -> Optimizer:
    """Heavy-ball momentum, the tutorial's ``Momentum``: ``v = beta v + g; p -= lr v``.

    The same as ``torch.optim.SGD(lr=lr, momentum=beta, dampening=0)``.

    Args:
        lr: Learning rate (>= 0), per row or a schedule.
        beta: Momentum factor (>= 0).
    """
    return sgd(lr=lr, momentum=beta)


def nesterov(lr: LearningRate = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0) -> Optimizer:
    """Nesterov momentum: ``torch.optim.SGD(lr, momentum, nesterov=True)``.

    Raises:
        ValueError: If momentum <= 0 (Nesterov needs momentum) or lr < 0.
    """
    return sgd(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=True)
