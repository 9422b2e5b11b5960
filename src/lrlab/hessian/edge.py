"""Where gradient methods become unstable: the edge-of-stability constant of an optimizer, and Adam's
preconditioner.

On a quadratic with curvature ``lam`` along some direction, a step of size ``lr`` is stable there
while ``lam < c / lr`` (Cohen et al. 2021, "Gradient descent on neural networks typically occurs at
the edge of stability"; 2022, "Adaptive gradient methods at the edge of stability"):

=====================  =====================================  ======================================
optimizer              ``c``                                  the curvature compared
=====================  =====================================  ======================================
gradient descent       ``2``                                  ``lambda_max(H)``
SGD, momentum ``b``    ``(2 + 2b) / (1 - dampening)``          ``lambda_max(H)``
SGD, Nesterov ``b``    ``(2 + 2b) / ((1 + 2b)(1 - dampening))``  ``lambda_max(H)``
Adam / AdamW ``b1``    ``(2 + 2 b1) / (1 - b1)`` (38 at 0.9)   ``lambda_max(P^-1/2 H P^-1/2)``
=====================  =====================================  ======================================

Adam's step is ``theta -= lr * P^{-1} m`` with ``m`` the (uncorrected) first moment and

    ``P = (1 - b1^t) * diag(sqrt(v / (1 - b2^t)) + eps)``

(``v = exp_avg_sq``, or ``max_exp_avg_sq`` with ``amsgrad``; ``t`` the optimizer's ``step``), which
is torch's ``lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``. Its preconditioned sharpness
is the top eigenvalue of ``P^{-1} H``, the same as that of the symmetric ``P^{-1/2} H P^{-1/2}``.
AdamW's decoupled weight decay is left out (it adds ``lr * wd`` to the contraction, a small shift).
The constants are taken from the first param group.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["edge_constant", "is_adam", "adam_scale", "inverse_sqrt_p"]


def is_adam(optimizer: torch.optim.Optimizer | None) -> bool:
    """Whether ``optimizer`` is a ``torch.optim.Adam`` or ``AdamW`` (whose preconditioner lrlab reads)."""
    return isinstance(optimizer, (torch.optim.Adam, torch.optim.AdamW))


def edge_constant(optimizer: torch.optim.Optimizer | None, preconditioned: bool) -> float | None:
    """``c`` such that the step is at the edge when the (preconditioned) sharpness is ``c / lr``.

    ``None`` for an optimizer without a known threshold (RMSprop, Adagrad ...), and for Adam's
    *un*-preconditioned sharpness (which no simple rule relates to the LR).

    Examples:
        >>> import torch
        >>> p = [torch.nn.Parameter(torch.zeros(1))]
        >>> edge_constant(None, False), edge_constant(torch.optim.SGD(p, lr=0.1, momentum=0.9), False)
        (2.0, 3.8)
        >>> round(edge_constant(torch.optim.Adam(p, lr=0.1), True), 6)
        38.0
    """
    if optimizer is None:
        return 2.0
    group = optimizer.param_groups[0]
    if is_adam(optimizer):
        b1 = float(group["betas"][0])
        return (2.0 + 2.0 * b1) / (1.0 - b1) if preconditioned else None
    if type(optimizer) is torch.optim.SGD:
        b = float(group.get("momentum", 0.0))
        damp = 1.0 - float(group.get("dampening", 0.0)) if b > 0 else 1.0
        c = 2.0 + 2.0 * b
        if group.get("nesterov", False):
            c /= 1.0 + 2.0 * b
        return c / damp
    return None


def adam_scale(optimizer: torch.optim.Optimizer, params: Sequence[tuple[str, torch.Tensor]]) -> torch.Tensor:
    """``P^{-1/2}`` (flattened in ``params`` order) from an Adam/AdamW optimizer's state.

    Raises:
        ValueError: If a parameter has no Adam state yet (no step taken).
    """
    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    parts = []
    for name, p in params:
        state = optimizer.state.get(p, {})
        group = group_of[id(p)]
        key = "max_exp_avg_sq" if group.get("amsgrad", False) else "exp_avg_sq"
        if key not in state or "step" not in state:
            raise ValueError(
                f"optimizer must hold Adam state ({key}, step) for every parameter to precondition the Hessian, "
                f"got none for {name!r}; take at least one optimizer step first, or pass precondition=False"
            )
        b1, b2 = (float(b) for b in group["betas"])
        parts.append(inverse_sqrt_p(state[key], float(state["step"]), b1, b2, float(group["eps"])).to(p.dtype))
    return torch.cat(parts)


def inverse_sqrt_p(v: torch.Tensor, t: float, beta1: float, beta2: float, eps: float) -> torch.Tensor:
    """``P^{-1/2}`` flattened, ``P = (1 - beta1^t) (sqrt(v / (1 - beta2^t)) + eps)``, from the second moment ``v``."""
    p_diag = (1.0 - beta1**t) * ((v.detach().to(torch.float64) / (1.0 - beta2**t)).sqrt() + eps)
    return p_diag.rsqrt().reshape(-1)
