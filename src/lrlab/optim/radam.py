"""RAdam (rectified Adam), as in ``torch.optim.RAdam``.

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.radam(lr=0.1)
    >>> p = np.array([[1.0, 2.0]])
    >>> p, state = opt.update(np.array([[1.0, -1.0]]), opt.init(p), p)
    >>> np.round(p, 6).tolist()  # first steps: rho_t <= 5, plain momentum SGD
    [[0.9, 2.1]]
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
    check_betas,
    check_eps,
    check_flag,
    check_lr,
    check_nonneg,
    lerp,
    lr_at,
    prepare,
    weight_decay_step,
)

__all__ = ["RAdamState", "radam"]


class RAdamState(NamedTuple):
    """State of :func:`radam`: step count and the two moment averages."""

    # The field shadows tuple.count, as Python allows and mypy does not (optax's and torch's name for the step).
    count: int  # type: ignore[assignment]
    exp_avg: Array
    exp_avg_sq: Array


def radam(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    """RAdam exactly as ``torch.optim.RAdam``.

    At step ``t``, with ``rho_inf = 2 / (1 - beta2) - 1`` and
    ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``::

        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if rho_t > 5:
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r
        else:
            p = p - lr * m_hat

    Unlike Adam, eps is added to ``sqrt(v)`` before the bias-correction scaling.

    Args:
        lr: Learning rate (>= 0): a number, one per row, or a schedule ``step -> lr``.
        betas: ``(beta1, beta2)``, each in ``[0, 1)``.
        eps: Added to the denominator (> 0).
        weight_decay: Weight decay (>= 0), L2 in the gradient or decoupled.
        decoupled_weight_decay: Shrink weights directly (RAdamW) instead of the gradient.

    Raises:
        ValueError: lr or weight_decay < 0, a beta outside ``[0, 1)``, eps <= 0.
    """
    lr = check_lr(lr)
    beta1, beta2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_nonneg("weight_decay", weight_decay)
    decoupled = check_flag("decoupled_weight_decay", decoupled_weight_decay)
    rho_inf = 2 / (1 - beta2) - 1

    def init(params: Params) -> RAdamState:
        zeros = np.zeros_like(np.asarray(params))
        return RAdamState(0, zeros, zeros)

    def update(grads: Array, state: RAdamState, params: Params) -> tuple[Params, RAdamState]:
        g, p = prepare(grads, params)
        dtype = p.dtype
        lr_t = lr_at(lr, state.count, p)
        step = float(state.count + 1)
        g, p = weight_decay_step(g, p, lr_t, weight_decay, decoupled)
        exp_avg = lerp(state.exp_avg, g, 1 - beta1)
        exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        m_hat = exp_avg / bias_correction1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2**0.5) / (np.sqrt(exp_avg_sq) + eps)
            p = p - m_hat * lr_t * adaptive * rect
        else:
            p = p - m_hat * lr_t
        return as_dtype(p, dtype), RAdamState(state.count + 1, exp_avg, exp_avg_sq)

    return Optimizer(init, update)
