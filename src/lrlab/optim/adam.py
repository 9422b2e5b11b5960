"""Adam and AdamW (with AMSGrad), as in ``torch.optim.Adam`` / ``torch.optim.AdamW``.

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.adam(lr=0.1)
    >>> p = np.array([[1.0, -1.0]])
    >>> p, state = opt.update(np.array([[0.5, -3.0]]), opt.init(p), p)
    >>> np.round(p, 6).tolist(), state.count
    ([[0.9, -0.9]], 1)
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
    state_array,
    weight_decay_step,
)

__all__ = ["AdamState", "adam", "adamw"]


class AdamState(NamedTuple):
    """State of :func:`adam` and :func:`adamw`.

    Attributes:
        count: Updates done so far (torch's ``step``).
        exp_avg: First-moment average ``m``.
        exp_avg_sq: Second-moment average ``v``.
        max_exp_avg_sq: Running maximum of ``v`` (``amsgrad`` only, else ``None``).
    """

    # The field shadows tuple.count, as Python allows and mypy does not (optax's and torch's name for the step).
    count: int  # type: ignore[assignment]
    exp_avg: Array
    exp_avg_sq: Array
    max_exp_avg_sq: Array | None


def adam(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    """Adam exactly as ``torch.optim.Adam``.

    At step ``t = 1, 2, ...``, with ``g = grad + weight_decay * p`` (or, decoupled,
    ``p = p * (1 - lr * weight_decay)`` first)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)                                 (amsgrad; then v := v_max)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    eps is added after the bias-corrected square root.

    Args:
        lr: Learning rate (>= 0): a number, one per row, or a schedule ``step -> lr``.
        betas: ``(beta1, beta2)``, each in ``[0, 1)``.
        eps: Added to the denominator (> 0).
        weight_decay: Weight decay (>= 0): L2 in the gradient, or decoupled.
        amsgrad: Use the running maximum of ``v`` (AMSGrad).
        decoupled_weight_decay: Decay the weights directly (AdamW) instead of the gradient.

    Raises:
        ValueError: lr or weight_decay < 0, a beta outside ``[0, 1)``, eps <= 0.
    """
    lr = check_lr(lr)
    beta1, beta2 = check_betas(betas)
    eps = check_eps(eps)
    weight_decay = check_nonneg("weight_decay", weight_decay)
    amsgrad = check_flag("amsgrad", amsgrad)
    decoupled = check_flag("decoupled_weight_decay", decoupled_weight_decay)

    def init(params: Params) -> AdamState:
        p = np.asarray(params)
        zeros = np.zeros_like(p)
        return AdamState(0, zeros, zeros, np.zeros_like(p) if amsgrad else None)

    def update(grads: Array, state: AdamState, params: Params) -> tuple[Params, AdamState]:
        g, p = prepare(grads, params)
        dtype = p.dtype
        lr_t = lr_at(lr, state.count, p)
        step = float(state.count + 1)
        g, p = weight_decay_step(g, p, lr_t, weight_decay, decoupled)
        exp_avg = lerp(state.exp_avg, g, 1 - beta1)
        exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        step_size = lr_t / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        max_sq = state.max_exp_avg_sq
        if amsgrad:
            max_sq = np.maximum(state_array(max_sq, "max_exp_avg_sq"), exp_avg_sq)
            denom = np.sqrt(max_sq) / bias_correction2_sqrt + eps
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        new = p + (-step_size * exp_avg) / denom
        return as_dtype(new, dtype), AdamState(state.count + 1, exp_avg, exp_avg_sq, max_sq)

    return Optimizer(init, update)


def adamw(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> Optimizer:
    """AdamW exactly as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Each step first shrinks the weights, ``p = p * (1 - lr * weight_decay)``, then
    takes the Adam step with the undecayed gradient (see :func:`adam`).

    Raises:
        ValueError: lr or weight_decay < 0, a beta outside ``[0, 1)``, eps <= 0.
    """
    return adam(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)
