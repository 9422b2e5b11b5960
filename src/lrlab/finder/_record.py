"""Recording the range test's losses without stalling an accelerator.

A step's loss stays on its device. Every ``every`` steps the pending losses are
stacked into one tensor, passed through ``reduce_loss`` (an all-reduce under DDP: one
collective per chunk, the same chunks on every rank) and copied to the host. On CUDA
the copy goes to pinned memory behind an event and is read one chunk later, so the
loop never waits for the GPU while it runs; the stop rule therefore fires up to
``2 * every - 1`` steps late, and those extra steps are dropped from the record, which
is the same as with a check after every step. On a CPU (``every == 1``) each loss is
read at once with ``.item()``, which costs no sync there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from lrlab.finder._monitor import LossMonitor

__all__ = ["Recorder"]


def _to_host(chunk: torch.Tensor) -> tuple[torch.Tensor, Any]:
    if chunk.is_cuda:
        host = torch.empty(chunk.shape, dtype=chunk.dtype, pin_memory=True)
        host.copy_(chunk, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        return host, event
    return chunk, None


class Recorder:
    """Collects step losses and feeds them, in order, to a :class:`LossMonitor`.

    Args:
        monitor: The smoothing-and-stop rule.
        every: Steps per chunk (1: read each loss at once).
        reduce_loss: Applied to each chunk on its device before the copy (or ``None``).
        with_val: Whether a validation loss comes with each step (it is then monitored).
    """

    def __init__(
        self,
        monitor: LossMonitor,
        every: int,
        reduce_loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
        with_val: bool = False,
    ):
        self.monitor = monitor
        self.every = every
        self.reduce_loss = reduce_loss
        self.losses: list[float] = []
        self.val_losses: list[float] | None = [] if with_val else None
        self._fast = every == 1 and reduce_loss is None and not with_val
        self._pending: list[torch.Tensor] = []
        self._pending_val: list[torch.Tensor] = []
        self._inflight: tuple[torch.Tensor, Any] | None = None

    def add(self, loss: torch.Tensor, val: torch.Tensor | None = None) -> bool:
        """Record one step's loss (and validation loss); True when the test must stop."""
        if self._fast:
            value = loss.item()
            self.losses.append(value)
            return self.monitor.push(value)
        self._pending.append(loss)
        if val is not None:
            self._pending_val.append(val)
        return len(self._pending) >= self.every and self._ship()

    def finish(self) -> None:
        """Record what is still pending or in flight (nothing once the test has stopped)."""
        if self.monitor.stop_reason is not None:
            return
        if self._pending and self._ship():
            return
        if self._inflight is not None:
            handle, self._inflight = self._inflight, None
            self._consume(handle)

    def _ship(self) -> bool:
        chunk = torch.stack(self._pending)
        if self._pending_val:
            chunk = torch.stack([chunk, torch.stack(self._pending_val)])
        if self.reduce_loss is not None:
            chunk = self.reduce_loss(chunk)
        self._pending, self._pending_val = [], []
        previous, self._inflight = self._inflight, _to_host(chunk)
        if self._inflight[1] is None:  # a CPU chunk: nothing to overlap, read it now
            previous, self._inflight = self._inflight, None
        return previous is not None and self._consume(previous)

    def _consume(self, handle: tuple[torch.Tensor, Any]) -> bool:
        host, event = handle
        if event is not None:
            event.synchronize()
        values = host.tolist()
        train, val = (values, None) if host.dim() == 1 else (values[0], values[1])
        for k, loss in enumerate(train):
            self.losses.append(loss)
            watched = loss
            if val is not None and self.val_losses is not None:
                self.val_losses.append(val[k])
                # A non-finite training loss stops the test even when validation is monitored.
                watched = val[k] if math.isfinite(loss) else loss
            if self.monitor.push(watched):
                return True
        return False
