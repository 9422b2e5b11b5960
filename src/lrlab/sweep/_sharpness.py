"""Sharpness probes of the sweep's copies: each copy's tensors (and Adam's preconditioner) handed to
:class:`lrlab.hessian.track.CopyTracker`, from the vmapped and the sequential path alike."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from lrlab.hessian.edge import adam_scale, inverse_sqrt_p, is_adam
from lrlab.hessian.track import CopyTracker
from lrlab.sweep._plan import SweepPlan

__all__ = ["probe_vmapped", "probe_sequential"]


def probe_vmapped(
    tracker: CopyTracker,
    t: int,
    batch: Any,
    params: dict[str, Tensor],
    buffers: dict[str, Tensor],
    plan: SweepPlan,
    rules: list[Any],
    states: list[dict[str, Any]],
    momenta: list[float] | None,
) -> None:
    """Measure every copy after step ``t`` from the stacked ``(K, ...)`` tensors and the fused Adam state."""
    if tracker.probe is None:
        tracker.probe = batch
    second: dict[str, tuple[Tensor, float, float, float]] = {}
    if tracker.preconditioned:
        for b, rule, state in zip(plan.buckets, rules, states):
            moments = state["max_exp_avg_sq"] if getattr(rule, "amsgrad", False) else state["exp_avg_sq"]
            beta1 = float(rule.beta1 if momenta is None else momenta[t])
            for name, v in zip(b.names, moments):
                second[name] = (v, beta1, float(rule.beta2), float(rule.eps))
    for c in range(tracker.values.shape[0]):
        own = {n: p[c] for n, p in params.items()}
        others = {**{n: v[c] for n, v in buffers.items()}, **plan.frozen}
        scale = None
        if tracker.preconditioned:
            parts = [inverse_sqrt_p(second[n][0][c], float(t + 1), *second[n][1:]) for n in own]
            scale = torch.cat(parts).to(next(iter(own.values())).dtype)
        tracker.measure(c, t, own, others, scale)


def probe_sequential(
    tracker: CopyTracker,
    c: int,
    t: int,
    batch: Any,
    params: dict[str, Tensor],
    buffers: dict[str, Tensor],
    plan: SweepPlan,
    optimizer: torch.optim.Optimizer,
) -> None:
    """Measure copy ``c`` after step ``t`` from its tensors and its own optimizer's state."""
    if tracker.probe is None:
        tracker.probe = batch
    scale = adam_scale(optimizer, list(params.items())) if tracker.preconditioned and is_adam(optimizer) else None
    tracker.measure(c, t, params, {**buffers, **plan.frozen}, scale)
