"""Fused torch optimizers over stacked parameters: one update for all K copies at once.

Every trainable parameter is held as one ``(K, *shape)`` tensor (row ``k`` is copy ``k``),
and an update is a fixed handful of ``torch._foreach_*`` calls over the list of those
tensors (the ops ``torch.optim`` itself is built on), however many copies and parameters
there are. The learning rate is a ``(K,)`` float64 vector; every per-copy scalar
(``-lr``, ``1 - lr * weight_decay``, ``-lr / bias_correction1``) is computed in float64 and
cast to the parameter dtype, as ``torch.optim`` does when it hands a Python float to a
kernel, then broadcast over each parameter through a ``(K, 1, ..., 1)`` view.

The rules follow ``torch.optim`` (single-tensor path) line by line:

SGD (``torch.optim.SGD``)::

    g = ±grad + weight_decay * p
    b = g                                  (first step)
    b = momentum * b + (1 - dampening) * g (later steps)
    g = g + momentum * b if nesterov else b
    p = p - lr * g

Adam / AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``)::

    p = p * (1 - lr * weight_decay)          (decoupled: AdamW)
    g = ±grad + weight_decay * p             (coupled: Adam)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    v_hat = max(v_hat, v) if amsgrad else v
    p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

# Group keys that change nothing in the arithmetic (implementation switches).
_IGNORED_KEYS = frozenset({"params", "lr", "foreach", "fused", "capturable", "differentiable", "initial_lr", "name"})

Tensors = list[Tensor]


class CopyScalars:
    """One per-copy scalar (a ``(K,)`` buffer) seen by each stacked parameter as ``(K, 1, ..., 1)``."""

    def __init__(self, params: Tensors) -> None:
        first = params[0]
        self.buffer = torch.zeros(first.shape[0], dtype=first.dtype, device=first.device)
        self.columns = [self.buffer.view(-1, *([1] * (p.dim() - 1))) for p in params]

    def set(self, values: Tensor) -> Tensors:
        """Store ``values`` (``(K,)`` float64, cast to the parameters' dtype); return the columns."""
        self.buffer.copy_(values)
        return self.columns


def _float(value: Any, key: str) -> float:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"optimizer hyperparameter {key!r} must be a scalar, got shape {tuple(value.shape)}")
        return float(value.item())
    return float(value)


@dataclass(frozen=True)
class SGDRule:
    """``torch.optim.SGD`` over stacked parameters."""

    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    maximize: bool = False

    def init(self, params: Tensors, lr: Tensor) -> dict[str, Any]:
        """State for stacked ``params`` trained at the ``(K,)`` float64 LRs ``lr``."""
        neg_lr = CopyScalars(params)
        neg_lr.set(-lr)
        return {"momentum_buffer": None, "neg_lr": neg_lr, "lr": lr}

    def step_(
        self,
        params: Tensors,
        grads: Tensors,
        state: dict[str, Any],
        lr: Tensor,
        step: int,
        momentum: float | None = None,
    ) -> None:
        """Update ``params`` in place with their ``grads``; ``step`` counts from 1.

        ``lr`` is this step's ``(K,)`` LRs; a new tensor (a scheduled LR) resets the per-copy scalars.
        ``momentum`` replaces the group's for this step (a scheduler cycling it, as OneCycleLR does).
        """
        if lr is not state["lr"]:
            state["neg_lr"].set(-lr)
            state["lr"] = lr
        m = self.momentum if momentum is None else momentum
        g = torch._foreach_neg(grads) if self.maximize else grads
        if self.weight_decay != 0:
            g = torch._foreach_add(g, params, alpha=self.weight_decay)
        if m != 0:
            bufs = state["momentum_buffer"]
            if bufs is None:
                bufs = [t.detach().clone() for t in g]
                state["momentum_buffer"] = bufs
            else:
                torch._foreach_mul_(bufs, m)
                torch._foreach_add_(bufs, g, alpha=1 - self.dampening)
            g = torch._foreach_add(g, bufs, alpha=m) if self.nesterov else bufs
        torch._foreach_addcmul_(params, g, state["neg_lr"].columns)


@dataclass(frozen=True)
class AdamRule:
    """``torch.optim.Adam`` (and AdamW with ``decoupled_weight_decay=True``) over stacked parameters."""

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False
    maximize: bool = False
    decoupled_weight_decay: bool = False

    def init(self, params: Tensors, lr: Tensor) -> dict[str, Any]:
        """State for stacked ``params`` trained at the ``(K,)`` float64 LRs ``lr``."""
        decay = CopyScalars(params)
        decay.set(1 - lr * self.weight_decay)
        state: dict[str, Any] = {
            "exp_avg": [torch.zeros_like(p) for p in params],
            "exp_avg_sq": [torch.zeros_like(p) for p in params],
            "decay": decay,
            "neg_step_size": CopyScalars(params),
            "lr": lr,
        }
        if self.amsgrad:
            state["max_exp_avg_sq"] = [torch.zeros_like(p) for p in params]
        return state

    def step_(
        self,
        params: Tensors,
        grads: Tensors,
        state: dict[str, Any],
        lr: Tensor,
        step: int,
        momentum: float | None = None,
    ) -> None:
        """Update ``params`` in place with their ``grads``; ``step`` counts from 1.

        ``lr`` is this step's ``(K,)`` LRs; a new tensor (a scheduled LR) resets the per-copy scalars.
        ``momentum`` replaces ``beta1`` for this step (a scheduler cycling it, as OneCycleLR does).
        """
        if lr is not state["lr"]:
            state["decay"].set(1 - lr * self.weight_decay)
            state["lr"] = lr
        beta1 = self.beta1 if momentum is None else momentum
        g = torch._foreach_neg(grads) if self.maximize else grads
        if self.weight_decay != 0:
            if self.decoupled_weight_decay:
                torch._foreach_mul_(params, state["decay"].columns)
            else:
                g = torch._foreach_add(g, params, alpha=self.weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        torch._foreach_lerp_(exp_avg, g, 1 - beta1)
        torch._foreach_mul_(exp_avg_sq, self.beta2)
        torch._foreach_addcmul_(exp_avg_sq, g, g, value=1 - self.beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - self.beta2**step) ** 0.5
        second = exp_avg_sq
        if self.amsgrad:
            torch._foreach_maximum_(state["max_exp_avg_sq"], exp_avg_sq)
            second = state["max_exp_avg_sq"]
        denom = torch._foreach_sqrt(second)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        # torch's addcdiv_(m, d, value=-s) evaluates (-s * m) / d; keep that order.
        numer = torch._foreach_mul(exp_avg, state["neg_step_size"].set(-lr / bias_correction1))
        torch._foreach_addcdiv_(params, numer, denom)


Rule = SGDRule | AdamRule


class UnsupportedOptimizer(Exception):
    """The optimizer has no fused rule; the sweep trains copies with the real optimizer."""


def _check_keys(group: Mapping[str, Any], known: set[str], name: str) -> None:
    extra = sorted(k for k in group if k not in known and k not in _IGNORED_KEYS)
    if extra:
        raise UnsupportedOptimizer(f"optimizer {name} has param-group settings the fused rule does not know: {extra}")


def _sgd_rule(group: Mapping[str, Any]) -> SGDRule:
    _check_keys(group, {"momentum", "dampening", "nesterov", "weight_decay", "maximize"}, "SGD")
    return SGDRule(
        momentum=_float(group.get("momentum", 0.0), "momentum"),
        dampening=_float(group.get("dampening", 0.0), "dampening"),
        nesterov=bool(group.get("nesterov", False)),
        weight_decay=_float(group.get("weight_decay", 0.0), "weight_decay"),
        maximize=bool(group.get("maximize", False)),
    )


def _adam_rule(group: Mapping[str, Any], decoupled: bool) -> AdamRule:
    _check_keys(group, {"betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay"}, "Adam")
    beta1, beta2 = group.get("betas", (0.9, 0.999))
    return AdamRule(
        beta1=_float(beta1, "betas"),
        beta2=_float(beta2, "betas"),
        eps=_float(group.get("eps", 1e-8), "eps"),
        weight_decay=_float(group.get("weight_decay", 0.0), "weight_decay"),
        amsgrad=bool(group.get("amsgrad", False)),
        maximize=bool(group.get("maximize", False)),
        decoupled_weight_decay=decoupled or bool(group.get("decoupled_weight_decay", False)),
    )


def rule_for(optimizer_class: type, group: Mapping[str, Any]) -> Rule:
    """The fused rule for one param group of ``optimizer_class``.

    Only the exact classes ``torch.optim.SGD``, ``Adam`` and ``AdamW`` have fused rules: a
    subclass may override ``step`` and is trained with its own ``step`` instead.

    Raises:
        UnsupportedOptimizer: If there is no fused rule for it (the caller falls back).
    """
    if optimizer_class is torch.optim.SGD:
        return _sgd_rule(group)
    if optimizer_class is torch.optim.Adam:
        return _adam_rule(group, decoupled=False)
    if optimizer_class is torch.optim.AdamW:
        return _adam_rule(group, decoupled=True)
    raise UnsupportedOptimizer(f"optimizer {optimizer_class.__name__} has no fused rule (SGD, Adam and AdamW have)")
