"""One optimizer step (with gradient accumulation, autocast and a grad scaler), and a validation loss.

Both call the step function of :mod:`lrlab.train.contract` on batches from
:mod:`lrlab.train.batches`; the range test is built on them.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn

from lrlab.train.batches import LoaderCycle, to_device
from lrlab.train.contract import StepFn, as_loss, check_loss

__all__ = ["train_step", "eval_loss"]


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: LoaderCycle,
    step_fn: StepFn,
    device: torch.device,
    *,
    accumulation_steps: int = 1,
    autocast: contextlib.AbstractContextManager[Any] | None = None,
    scaler: Any = None,
    max_grad_norm: float | None = None,
) -> torch.Tensor:
    """Run one optimizer step over ``accumulation_steps`` micro-batches.

    Each micro-batch's loss is divided by ``accumulation_steps`` before ``backward``, so
    the step's gradient is the mean over micro-batches, as is the returned loss. With
    ``max_grad_norm``, the accumulated (and, under a grad scaler, unscaled) gradients of the
    optimizer's parameters are clipped by ``torch.nn.utils.clip_grad_norm_`` before the step.

    Returns:
        The step's detached loss, left on the device (no host sync).
    """
    # CPU batches need no move (a tensor on another device fails loudly in the forward).
    move = device.type != "cpu"
    optimizer.zero_grad(set_to_none=True)
    total: torch.Tensor | None = None
    for _ in range(accumulation_steps):
        batch = batches.next()
        if move:
            batch = to_device(batch, device)
        if autocast is None:
            loss = as_loss(step_fn(model, batch))
        else:
            with autocast:
                loss = as_loss(step_fn(model, batch))
        check_loss(loss)
        if accumulation_steps > 1:
            loss = loss / accumulation_steps
        (loss if scaler is None else scaler.scale(loss)).backward()
        detached = loss.detach()
        total = detached if total is None else total + detached
    if max_grad_norm is not None:
        if scaler is not None:
            scaler.unscale_(optimizer)  # clip the true gradients; scaler.step then skips its own unscale
        params = [p for g in optimizer.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    if scaler is None:
        optimizer.step()
    else:
        scaler.step(optimizer)
        scaler.update()
    if total is None:
        raise ValueError(f"accumulation_steps must be >= 1, got {accumulation_steps}")
    return total


def eval_loss(
    model: nn.Module,
    batches: list[Any],
    step_fn: StepFn,
    autocast: contextlib.AbstractContextManager[Any] | None = None,
) -> torch.Tensor:
    """The mean of ``step_fn`` over fixed, already-moved batches, in eval mode, without grad.

    The model is put back in train mode afterwards (the range test trains throughout).
    """
    model.eval()
    total: torch.Tensor | None = None
    try:
        with torch.no_grad(), autocast if autocast is not None else contextlib.nullcontext():
            for b in batches:
                loss = as_loss(step_fn(model, b))
                # Half-precision sums lose digits; keep float32/float64 losses as they are.
                loss = loss.float() if loss.dtype in (torch.float16, torch.bfloat16) else loss
                total = loss if total is None else total + loss
    finally:
        model.train()
    if total is None:
        raise ValueError("batches must hold at least one batch, got none")
    return total / len(batches)
