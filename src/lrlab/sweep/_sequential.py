"""The sequential sweep: the K copies trained one after another with the real torch optimizer.

Used when the vmapped path cannot run: a model ``vmap`` cannot batch (data-dependent
control flow, ``.item()`` in ``forward``, BatchNorm with ``momentum=None``), or an
optimizer without a fused rule. Each copy is a fresh set of leaf tensors run through
``functional_call`` on the user's model and stepped by a new instance of the user's
optimizer class with the same param-group settings and its own LR, so any optimizer
works and the results are those of K ordinary training runs on the same batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from lrlab._checks import Progress
from lrlab.hessian.track import CopyTracker
from lrlab.sweep._batches import BatchStream
from lrlab.sweep._common import Outcome, step_seed, weighted_mean
from lrlab.sweep._plan import SweepPlan
from lrlab.sweep._sharpness import probe_sequential
from lrlab.train.contract import StepFn, functional_step
from lrlab.train.guard import TrainModes


def make_optimizer(plan: SweepPlan, params: dict[str, Tensor], lr: float) -> torch.optim.Optimizer:
    """A new optimizer of the user's class over ``params``: same groups and settings, LR ``lr``."""
    groups = []
    for g, settings in enumerate(plan.groups):
        buckets = [b for b in plan.buckets if b.group == g]
        if buckets:
            names = [n for b in buckets for n in b.names]
            groups.append({**settings, "lr": lr * buckets[0].lr_scale, "params": [params[n] for n in names]})
    try:
        return plan.optimizer_class(groups, **plan.defaults)
    except TypeError:
        # A custom optimizer whose defaults are not all constructor arguments.
        return plan.optimizer_class(groups)


def run_sequential(
    plan: SweepPlan,
    step_fn: StepFn,
    lrs: Tensor,
    stream: BatchStream,
    steps: int,
    val: list[tuple[Any, int]] | None,
    val_at: set[int],
    modes: TrainModes,
    base_seed: int,
    progress: Progress | None,
    factors: list[float] | None = None,
    momenta: list[float] | None = None,
    on_first_step: Callable[[], None] | None = None,
    tracker: CopyTracker | None = None,
    max_grad_norm: float | None = None,
) -> Outcome:
    """Train one copy per LR in ``lrs``, one after another, on the same batches.

    Step ``t`` trains copy ``k`` at ``lrs[k] * factors[t]`` (as a ``LambdaLR`` would set it) and,
    where the schedule sets it, momentum ``momenta[t]`` (``betas[0]`` for an Adam-like optimizer, as
    ``OneCycleLR`` does). With ``max_grad_norm``, each step's gradients are clipped by
    ``torch.nn.utils.clip_grad_norm_`` over the copy's trainable parameters before the update.
    """
    k = int(lrs.numel())
    loss_fn = functional_step(plan.model, step_fn)
    frozen = plan.frozen
    record: Tensor | None = None
    val_rows: list[list[Tensor]] = []
    finals: list[dict[str, Tensor]] = []
    final_buffers: list[dict[str, Tensor]] = []

    def evaluate(tensors: dict[str, Tensor], val: list[tuple[Any, int]]) -> Tensor:
        modes.eval()
        try:
            with torch.no_grad():
                return weighted_mean((loss_fn(tensors, b), n) for b, n in val)
        finally:
            modes.train()

    for c in range(k):
        params = {n: p.detach().clone().requires_grad_(True) for n, p in plan.trainable.items()}
        buffers = {n: b.clone() for n, b in plan.buffers.items()}
        tensors: dict[str, Any] = {**params, **buffers, **frozen}
        trained = list(params.values())
        optimizer = make_optimizer(plan, params, float(lrs[c]))
        base_lrs = [g["lr"] for g in optimizer.param_groups]
        rows: list[Tensor] = []
        for t in range(steps):
            batch = stream.get(t)
            if factors is not None:
                for g, base in zip(optimizer.param_groups, base_lrs):
                    g["lr"] = base * factors[t]
            if momenta is not None:
                for g in optimizer.param_groups:
                    if "betas" in g:
                        g["betas"] = (momenta[t], *g["betas"][1:])
                    elif "momentum" in g:
                        g["momentum"] = momenta[t]

            # Bound now: the closure belongs to this copy and this step.
            def closure(
                t: int = t,
                batch: Any = batch,
                optimizer: torch.optim.Optimizer = optimizer,
                tensors: dict[str, Any] = tensors,
                trained: list[Tensor] = trained,
            ) -> Tensor:
                optimizer.zero_grad()
                step_seed(base_seed, t, plan.device)
                loss = loss_fn(tensors, batch)
                loss.backward()
                if max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(trained, max_grad_norm)
                return loss

            # torch types a closure as returning a float; it returns the loss tensor, and step() hands it back.
            loss: Tensor = optimizer.step(closure)  # type: ignore[arg-type, assignment]
            if record is None:
                record = torch.empty(k, steps, dtype=loss.dtype, device=loss.device)
            record[c, t] = loss.detach()
            if c == 0 and t == 0 and on_first_step is not None:
                on_first_step()
            if tracker is not None and tracker.due(t):
                probe_sequential(tracker, c, t, batch, params, buffers, plan, optimizer)
            if val is not None and t + 1 in val_at:
                rows.append(evaluate(tensors, val))
            if progress is not None:
                progress(c * steps + t + 1, k * steps)
        val_rows.append(rows)
        finals.append({n: p.detach() for n, p in params.items()})
        final_buffers.append(buffers)
    if record is None:
        raise ValueError(f"steps and lrs must be >= 1 and non-empty, got {steps} steps and {k} LRs")
    return Outcome(
        train_losses=record,
        val_losses=torch.stack([torch.stack(r) for r in val_rows]) if val is not None else None,
        params={n: torch.stack([f[n] for f in finals]) for n in plan.trainable},
        buffers={n: torch.stack([f[n] for f in final_buffers]) for n in plan.buffers},
    )
