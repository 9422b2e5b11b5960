"""One optimizer step of the range test, and the batches that feed it.

A *step function* ``step_fn(model, batch) -> loss`` turns one batch into a scalar loss
tensor. The default, built from a criterion, reads ``(inputs, targets, *rest)``
batches; pass your own for dict batches or models that return their own loss::

    def step_fn(model, batch):
        return model(**batch).loss
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

StepFn = Callable[[nn.Module, Any], torch.Tensor]

__all__ = ["StepFn", "criterion_step", "to_device", "BatchCycler", "train_step", "eval_loss"]


def criterion_step(criterion: Callable[[Any, Any], torch.Tensor]) -> StepFn:
    """The default step function: ``criterion(model(batch[0]), batch[1])``."""

    def step(model: nn.Module, batch: Any) -> torch.Tensor:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise TypeError(
                f"the default step needs (inputs, targets) batches, got {type(batch).__name__}; "
                "pass step_fn=lambda model, batch: <loss> for other batches"
            )
        return criterion(model(batch[0]), batch[1])

    return step


def to_device(batch: Any, device: torch.device, non_blocking: bool = False) -> Any:
    """Move every tensor in a (nested) tuple, list, dict or namedtuple to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch if batch.device == device else batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, dict):
        return type(batch)((k, to_device(v, device, non_blocking)) for k, v in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device, non_blocking) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device, non_blocking) for v in batch)
    return batch


class BatchCycler:
    """Endless batches from a re-iterable (a DataLoader, a list ...), restarting it when it ends.

    Raises (from :meth:`next`):
        ValueError: If a fresh pass over ``loader`` yields no batch at all.
    """

    def __init__(self, loader: Iterable[Any], name: str = "train_loader"):
        self.loader = loader
        self.name = name
        self.served = 0
        self._it: Iterator[Any] = iter(loader)

    def next(self) -> Any:
        try:
            batch = next(self._it)
        except StopIteration:
            self._it = iter(self.loader)
            try:
                batch = next(self._it)
            except StopIteration:
                what = "yielded no batches" if self.served == 0 else f"ran out after {self.served} batches"
                raise ValueError(
                    f"{self.name} {what}; pass a non-empty, re-iterable loader (a DataLoader or a list)"
                ) from None
        self.served += 1
        return batch


def _check_scalar(loss: Any) -> None:
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"the loss must be a torch.Tensor, got {type(loss).__name__}")
    if loss.dim() != 0:
        raise ValueError(
            f"the loss must be a scalar tensor, got shape {tuple(loss.shape)}; reduce it (e.g. .mean())"
        )


def _check_loss(loss: Any) -> None:
    _check_scalar(loss)
    if not loss.requires_grad:
        raise ValueError("the loss does not require grad: is the output detached or every parameter frozen?")


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: BatchCycler,
    step_fn: StepFn,
    device: torch.device,
    *,
    accumulation_steps: int = 1,
    autocast: contextlib.AbstractContextManager[Any] | None = None,
    scaler: Any = None,
) -> torch.Tensor:
    """Run one optimizer step over ``accumulation_steps`` micro-batches.

    Each micro-batch's loss is divided by ``accumulation_steps`` before ``backward``, so
    the step's gradient is the mean over micro-batches, as is the returned loss.

    Returns:
        The step's detached loss, left on the device (no host sync).
    """
    # CPU batches need no move (a tensor on another device fails loudly in the forward).
    move = device.type != "cpu"
    non_blocking = device.type == "cuda"
    optimizer.zero_grad(set_to_none=True)
    total: torch.Tensor | None = None
    for _ in range(accumulation_steps):
        batch = batches.next()
        if move:
            batch = to_device(batch, device, non_blocking)
        if autocast is None:
            loss = step_fn(model, batch)
        else:
            with autocast:
                loss = step_fn(model, batch)
        _check_loss(loss)
        if accumulation_steps > 1:
            loss = loss / accumulation_steps
        (loss if scaler is None else scaler.scale(loss)).backward()
        detached = loss.detach()
        total = detached if total is None else total + detached
    if scaler is None:
        optimizer.step()
    else:
        scaler.step(optimizer)
        scaler.update()
    assert total is not None  # accumulation_steps >= 1 is validated by find_lr
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
                loss = step_fn(model, b)
                _check_scalar(loss)
                # Half-precision sums lose digits; keep float32/float64 losses as they are.
                loss = loss.float() if loss.dtype in (torch.float16, torch.bfloat16) else loss
                total = loss if total is None else total + loss
    finally:
        model.train()
    assert total is not None  # val_batches >= 1 and an empty val_loader are checked by find_lr
    return total / len(batches)
