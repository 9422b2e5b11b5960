"""What a sweep needs to know about the user's model and optimizer, read once and checked.

The plan holds references to the user's tensors only to copy them; nothing here writes
to the model or the optimizer. Parameters the optimizer trains (and that require grad)
are *trainable*; every other parameter is *frozen* (snapshotted, shared by all copies).
Buffers are snapshotted and each copy gets its own (BatchNorm statistics differ per LR).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from lrlab.sweep._optim import Rule, UnsupportedOptimizer, rule_for
from lrlab.train.checks import check_model_and_optimizer, check_types


@dataclass(frozen=True)
class Bucket:
    """Trainable parameters of one param group with one dtype and device: one fused update."""

    group: int
    names: tuple[str, ...]
    lr_scale: float
    rule: Rule | None


@dataclass
class SweepPlan:
    """The model's tensors sorted for the sweep, and the optimizer's class and settings."""

    model: nn.Module
    optimizer_class: type
    defaults: dict[str, Any]
    groups: list[dict[str, Any]]  # each param group's settings, without "params"
    trainable: dict[str, Tensor]  # name -> the user's parameter (read, never written)
    buckets: list[Bucket]
    frozen: dict[str, Tensor]  # name -> snapshot
    buffers: dict[str, Tensor]  # name -> snapshot
    state_keys: dict[str, str | None]  # state_dict key -> parameter/buffer name (None: other state)
    extra_state: dict[str, Any] = field(default_factory=dict)  # state_dict entries of other kinds
    unsupported: str | None = None  # why the fused (vmapped) update cannot be used

    @property
    def device(self) -> torch.device:
        return next(iter(self.trainable.values())).device

    def freeze(self, names: set[str]) -> SweepPlan:
        """A plan in which the parameters ``names`` (they got no gradient) are frozen."""
        trainable = {n: p for n, p in self.trainable.items() if n not in names}
        frozen = dict(self.frozen, **{n: self.trainable[n].detach().clone() for n in names})
        buckets = [
            Bucket(b.group, tuple(n for n in b.names if n in trainable), b.lr_scale, b.rule) for b in self.buckets
        ]
        return SweepPlan(
            self.model,
            self.optimizer_class,
            self.defaults,
            self.groups,
            trainable,
            [b for b in buckets if b.names],
            frozen,
            self.buffers,
            self.state_keys,
            self.extra_state,
            self.unsupported,
        )


def _as_float(value: Any) -> float:
    return float(value.item()) if isinstance(value, Tensor) else float(value)


def make_plan(model: nn.Module, optimizer: torch.optim.Optimizer) -> SweepPlan:
    """Read ``model`` and ``optimizer`` into a :class:`SweepPlan`.

    Raises:
        TypeError: If they are not an ``nn.Module`` and a ``torch.optim.Optimizer``.
        ValueError: If the optimizer holds a tensor that is not a parameter of the model,
            trains none of its parameters, or has several param groups and a first-group LR <= 0.
    """
    check_types(model, optimizer)
    named = OrderedDict(model.named_parameters())
    name_of = {id(p): n for n, p in named.items()}
    group_of: dict[str, int] = {}
    for g, group in enumerate(optimizer.param_groups):
        for p in group["params"]:
            if id(p) not in name_of:
                raise ValueError(
                    f"optimizer param group {g} holds a tensor of shape {tuple(p.shape)} that is not "
                    "a parameter of model; build the optimizer from model.parameters()"
                )
            group_of[name_of[id(p)]] = g
    check_model_and_optimizer(model, optimizer)
    trainable: dict[str, Tensor] = {n: p for n, p in named.items() if n in group_of and p.requires_grad}
    if not trainable:
        raise ValueError("optimizer trains none of model's parameters (none is in it and requires grad)")
    groups = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
    group_lrs = [_as_float(g["lr"]) for g in groups]
    if len(groups) > 1 and not group_lrs[0] > 0:
        raise ValueError(
            f"with several param groups the first group's lr must be > 0 (the sweep keeps the "
            f"other groups' ratios to it), got {group_lrs[0]}"
        )
    scales = [lr / group_lrs[0] if len(groups) > 1 else 1.0 for lr in group_lrs]

    unsupported = None
    rules: list[Rule | None] = []
    for group in optimizer.param_groups:
        try:
            rules.append(rule_for(type(optimizer), group))
        except UnsupportedOptimizer as exc:
            unsupported, rules = str(exc), [None] * len(groups)
            break
    if unsupported is None and any(p.is_complex() for p in trainable.values()):
        unsupported = "the model has complex parameters, which the fused update does not handle"

    # One bucket per (group, dtype, device): foreach ops want one dtype and device per list.
    keyed: dict[tuple[int, torch.dtype, torch.device], list[str]] = {}
    for n, p in trainable.items():
        keyed.setdefault((group_of[n], p.dtype, p.device), []).append(n)
    buckets = [Bucket(g, tuple(names), scales[g], rules[g]) for (g, _, _), names in keyed.items()]

    frozen = {n: p.detach().clone() for n, p in named.items() if n not in trainable}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    canonical = {id(t): n for n, t in [*named.items(), *model.named_buffers()]}
    state_keys: dict[str, str | None] = {}
    extra_state: dict[str, Any] = {}
    for key, value in model.state_dict(keep_vars=True).items():
        name = canonical.get(id(value)) if isinstance(value, Tensor) else None
        state_keys[key] = name
        if name is None:
            extra_state[key] = value.detach().clone() if isinstance(value, Tensor) else value
    return SweepPlan(
        model,
        type(optimizer),
        dict(optimizer.defaults),
        groups,
        trainable,
        buckets,
        frozen,
        buffers,
        state_keys,
        extra_state,
        unsupported,
    )
