"""NAdam (Adam with Nesterov momentum and momentum decay), as in ``torch.optim.NAdam``.

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.nadam(lr=0.1)
    >>> p = np.zeros((3, 2))
    >>> p, state = opt.update(np.ones((3, 2)), opt.init(p), p)
    >>> p.shape, state.count
    ((3, 2), 1)
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

__all__ = ["NAdamState", "nadam"]


class NAdamState(NamedTuple):
    """State of :func:`nadam`.

    Attributes:
        count: Updates done so far.
        mu_product: Product of the momentum coefficients ``mu_1 ... mu_t`` so far.
        exp_avg: First-moment average ``m``.
        exp_avg_sq: Second-moment average ``v``.
    """

    # The field shadows tuple.count, as Python allows and mypy does not (optax's and torch's name for the step).
    count: int  # type: ignore[assignment]
    mu_product: float
    exp_avg: Array
    exp_avg_sq: Array


def nadam(
    lr: LearningRate = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    """NAdam exactly as ``torch.optim.NAdam``.

    At step ``t``, with ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``
    and ``P_t = mu_1 * ... * mu_t``::

        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        s = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / s - lr * mu_{t+1} / (1 - P_t mu_{t+1}) * m / s

    Args:
        lr: Learning rate (>= 0): a number, one per row, or a schedule ``step -> lr``.
        betas: ``(beta1, beta2)``, each in ``[0, 1)``.
        eps: Added to the denominator (> 0).
        weight_decay: Weight decay (>= 0), L2 in the gradient or decoupled.
        momentum_decay: How fast ``mu_t`` approaches ``beta1`` (>= 0).
        decoupled_weight_decay: Shrink weights directly (NAdamW) instead of the gradient.

    Raises:
        ValueError: lr, weight_decay or momentum_decay < 0, a beta outside ``[0, 1)``, eps <= 0.
    """
    lr = check_lr(lr)
    beta1, beta2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_nonneg("weight_decay", weight_decay)
    momentum_decay = check_nonneg("momentum_decay", momentum_decay)
    decoupled = check_flag("decoupled_weight_decay", decoupled_weight_decay)

    def init(params: Params) -> NAdamState:
        zeros = np.zeros_like(np.asarray(params))
        return NAdamState(0, 1.0, zeros, zeros)

    def update(grads: Array, state: NAdamState, params: Params) -> tuple[Params, NAdamState]:
        g, p = prepare(grads, params)
        dtype = p.dtype
        lr_t = lr_at(lr, state.count, p)
        step = float(state.count + 1)
        bias_correction2 = 1 - beta2**step
        g, p = weight_decay_step(g, p, lr_t, weight_decay, decoupled)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = state.mu_product * mu
        mu_product_next = mu_product * mu_next
        exp_avg = lerp(state.exp_avg, g, 1 - beta1)
        exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
        # Two separate steps, in torch's order, so rounding matches step by step.
        p = p + ((-lr_t * (1.0 - mu) / (1.0 - mu_product)) * g) / denom
        p = p + (((-lr_t * mu_next) / (1.0 - mu_product_next)) * exp_avg) / denom
        return as_dtype(p, dtype), NAdamState(state.count + 1, mu_product, exp_avg, exp_avg_sq)

    return Optimizer(init, update)
