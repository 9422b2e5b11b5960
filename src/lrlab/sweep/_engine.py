"""The vmapped sweep: K copies of the model trained in one pass per step.

Every trainable parameter is one ``(K, *shape)`` leaf tensor. A step runs
``vmap(functional_call)`` once over the copies (``randomness="same"``: every copy draws
the same dropout masks), takes the gradient of the summed losses with one ordinary
``autograd.grad`` call (the copies are independent, so row k of each gradient is copy k's
own gradient, and a NaN in one row stays in that row), and applies the fused update of
:mod:`lrlab.sweep._optim` to each bucket's list of stacked parameters.

Plain autograd after a vmapped forward costs less per step than ``vmap(grad(...))``
(measured on small models, where per-step overhead dominates), and per-parameter leaves
avoid copying gradients into one flat buffer (measured on the tutorial's MLP, where the
copies cost as much as the matmuls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.func import vmap

from lrlab._checks import Progress
from lrlab.hessian.track import CopyTracker
from lrlab.sweep._batches import BatchStream
from lrlab.sweep._common import Outcome, step_seed, weighted_mean
from lrlab.sweep._optim import Rule
from lrlab.sweep._plan import SweepPlan
from lrlab.sweep._sharpness import probe_vmapped
from lrlab.train.contract import ContractError, StepFn, functional_step
from lrlab.train.guard import TrainModes


class BatchingFailed(Exception):
    """The first vmapped step raised; the caller may retry the copies one by one."""


class UnusedParameters(Exception):
    """Some trainable parameters got no gradient on the first step (torch.optim skips those)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__(f"parameters without a gradient: {sorted(names)}")
        self.names = names


def _stack(t: Tensor, k: int) -> Tensor:
    return t.detach().expand(k, *t.shape).clone()


def _dense(t: Tensor) -> bool:
    """Whether ``t`` covers its memory exactly once (a permutation of a contiguous layout)."""
    expected = 1
    for size, stride in sorted(zip(t.shape, t.stride()), key=lambda d: d[1]):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def _like_grad(p: Tensor, grad: Tensor) -> Tensor:
    """``p`` re-laid-out in ``grad``'s memory order (a new leaf), or ``p`` itself.

    A batched matmul returns weight gradients transposed; an update that reads a
    transposed gradient into a contiguous parameter runs several times slower than one
    over matching layouts (measured: the tutorial MLP's first layer), so the stacked
    parameter takes the gradient's layout once, on the first step.
    """
    if p.stride() == grad.stride() or not _dense(grad):
        return p
    q = torch.empty_strided(grad.shape, grad.stride(), dtype=p.dtype, device=p.device)
    q.copy_(p.detach())
    return q.requires_grad_(True)


def clip_per_copy(grads: list[Tensor], max_norm: float) -> list[Tensor]:
    """Each copy's gradients clipped as ``torch.nn.utils.clip_grad_norm_`` clips one run's.

    Row ``k`` of every ``(K, ...)`` gradient is copy ``k``'s: its norm is
    ``n_k = ||(||g_p[k]||_2)_p||_2`` and its rows are multiplied by
    ``min(1, max_norm / (n_k + 1e-6))`` (a non-finite ``n_k`` makes that copy's grads non-finite).
    """
    k = grads[0].shape[0]
    norms = [torch.linalg.vector_norm(g, 2, dim=tuple(range(1, g.dim()))) if g.dim() > 1 else g.abs() for g in grads]
    total = torch.linalg.vector_norm(torch.stack([n.to(norms[0].device) for n in norms]), 2, dim=0)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    # Out of place: autograd may hand back expanded (stride-0) gradients that cannot be written.
    return [g * coef.to(g.device).view(k, *([1] * (g.dim() - 1))) for g in grads]


def run_vmapped(
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
    tracker: CopyTracker | None = None,
    max_grad_norm: float | None = None,
) -> Outcome:
    """Train ``len(lrs)`` copies for ``steps`` steps in one vmapped pass.

    With a ``tracker``, every copy's sharpness is measured after the steps it asks for; with
    ``max_grad_norm``, every copy's gradients are clipped by their own norm (:func:`clip_per_copy`).

    Step ``t`` (from 0) trains copy ``k`` at ``lrs[k] * factors[t]`` (``factors`` is the
    schedule's shape; ``None``: constant), with momentum (SGD) or beta1 (Adam) ``momenta[t]``
    where the schedule sets it.

    Raises:
        BatchingFailed: If the first step raises (vmap cannot batch the model, or a user
            error the sequential path will report plainly).
        UnusedParameters: If trainable parameters get no gradient on the first step.
        ValueError: If the plan has no fused update (``plan.unsupported`` says why).
    """
    rules: list[Rule] = []
    for b in plan.buckets:
        if b.rule is None:  # make_plan gives every bucket a rule, or none and a reason
            raise ValueError(f"mode='vmap' needs a fused update, but {plan.unsupported}")
        rules.append(b.rule)
    k = int(lrs.numel())
    model = plan.model
    with torch.no_grad():
        params = {n: _stack(p, k) for n, p in plan.trainable.items()}
        buffers = {n: _stack(b, k) for n, b in plan.buffers.items()}
    for p in params.values():
        p.requires_grad_(True)
    bucket_lrs = [(lrs * b.lr_scale).to(plan.trainable[b.names[0]].device) for b in plan.buckets]
    step_lrs = bucket_lrs
    states: list[dict[str, Any]] = []
    groups: list[list[Tensor]] = []
    frozen = plan.frozen

    loss_fn = functional_step(model, step_fn)

    def loss_of(params: dict[str, Tensor], bufs: dict[str, Tensor], batch: Any) -> Tensor:
        return loss_fn({**params, **bufs, **frozen}, batch)

    batched: Callable[..., Tensor] = vmap(loss_of, in_dims=(0, 0, None), randomness="same")

    def evaluate(val: list[tuple[Any, int]]) -> Tensor:
        modes.eval()
        try:
            with torch.no_grad():
                return weighted_mean((batched(params, buffers, b), n) for b, n in val)
        finally:
            modes.train()

    record: Tensor | None = None
    val_rows: list[Tensor] = []
    for t in range(steps):
        batch = stream.get(t)
        step_seed(base_seed, t, plan.device)
        try:
            loss = batched(params, buffers, batch)
            grads = torch.autograd.grad(loss.sum(), list(params.values()), allow_unused=True)
        except ContractError:
            raise  # the user's batch or loss: the sequential path would fail the same way
        except Exception as exc:
            if t == 0:
                raise BatchingFailed(str(exc)) from exc
            raise
        missing = {n for n, g in zip(params, grads) if g is None}
        if missing:
            if t == 0:
                raise UnusedParameters(missing)
            raise RuntimeError(f"parameters {sorted(missing)} got no gradient at step {t} but did at step 0")
        if max_grad_norm is not None:
            with torch.no_grad():
                grads = tuple(clip_per_copy(list(grads), max_grad_norm))
        grad_of = dict(zip(params, grads))
        with torch.no_grad():
            if record is None:
                record = torch.empty(k, steps, dtype=loss.dtype, device=loss.device)
                params = {n: _like_grad(p, grad_of[n]) for n, p in params.items()}
                groups = [[params[n] for n in b.names] for b in plan.buckets]
                states = [rule.init(g, lr) for rule, g, lr in zip(rules, groups, bucket_lrs)]
            record[:, t] = loss
            if factors is not None:
                step_lrs = [lr * factors[t] for lr in bucket_lrs]
            for b, rule, group, state, lr in zip(plan.buckets, rules, groups, states, step_lrs):
                rule.step_(
                    group, [grad_of[n] for n in b.names], state, lr, t + 1, None if momenta is None else momenta[t]
                )
        if tracker is not None and tracker.due(t):
            probe_vmapped(tracker, t, batch, params, buffers, plan, rules, states, momenta)
        if val is not None and t + 1 in val_at:
            val_rows.append(evaluate(val))
        if progress is not None:
            progress((t + 1) * k, steps * k)
    if record is None:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return Outcome(
        train_losses=record,
        val_losses=torch.stack(val_rows, 1) if val_rows else None,
        params={n: p.detach() for n, p in params.items()},
        buffers=buffers,
    )
