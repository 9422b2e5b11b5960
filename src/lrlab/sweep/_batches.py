"""Batches for the sweep: the training stream (cycled, on the model's device) and the validation set.

All K copies see the same batches. The vmapped path asks for each batch once; the
sequential path trains copy 0 on the live stream and the others on what it kept, so a
loader is iterated exactly as one ordinary run would iterate it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import Tensor

Batch = tuple[Any, Any]


def to_device(obj: Any, device: torch.device) -> Any:
    """Move the tensors in ``obj`` (nested tuples, lists and dicts) to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def _as_pair(batch: Any, what: str) -> Batch:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        kind = f"a {type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) else (
            f"a {type(batch).__name__}")
        raise TypeError(f"{what} must yield (inputs, targets) pairs, got {kind}")
    return batch[0], batch[1]


def _size(targets: Any) -> int:
    return int(targets.shape[0]) if isinstance(targets, Tensor) and targets.dim() > 0 else 1


class BatchStream:
    """Batch ``t`` of a loader cycled as often as needed, on ``device``.

    Args:
        loader: A DataLoader or any re-iterable of ``(inputs, targets)`` batches; a
            one-shot iterator works if it holds enough batches.
        device: Where the batches go.
        keep_all: Keep every batch served (for the sequential path); otherwise only the
            first and the latest are kept.
    """

    def __init__(self, loader: Iterable[Any], device: torch.device, keep_all: bool = False) -> None:
        self._loader = loader
        self._device = device
        self._iter: Iterator[Any] | None = None
        self._served = 0
        self._epoch_batches = 0
        self._kept: dict[int, Batch] = {}
        self.keep_all = keep_all

    def _next(self) -> Batch:
        if self._iter is None:
            self._iter = iter(self._loader)
        try:
            batch = next(self._iter)
        except StopIteration:
            if self._served == 0 or self._epoch_batches == 0:
                raise ValueError("train_loader must yield at least one batch, got an empty loader") from None
            if iter(self._loader) is self._loader:
                raise ValueError(
                    f"train_loader is a one-shot iterator that ran out after {self._served} batches; "
                    "pass a re-iterable (a DataLoader or a list) to cycle it"
                ) from None
            self._iter, self._epoch_batches = iter(self._loader), 0
            return self._next()
        self._epoch_batches += 1
        return _as_pair(batch, "train_loader")

    def get(self, t: int) -> Batch:
        """The batch of step ``t`` (steps are served in order; earlier ones only if kept)."""
        if t in self._kept:
            return self._kept[t]
        if t != self._served:
            raise RuntimeError(f"batch {t} was not kept (next to fetch is {self._served})")
        batch = to_device(self._next(), self._device)
        self._served += 1
        if not self.keep_all:
            self._kept = {k: v for k, v in self._kept.items() if k == 0}
        self._kept[t] = batch
        return batch


def validation_batches(loader: Iterable[Any], num_batches: int | None, device: torch.device) -> list[tuple[Batch, int]]:
    """The first ``num_batches`` batches of ``loader`` (all if ``None``) with their sample counts.

    Raises:
        ValueError: If the loader yields no batch.
    """
    out: list[tuple[Batch, int]] = []
    for batch in loader:
        x, y = _as_pair(batch, "val_loader")
        out.append(((to_device(x, device), to_device(y, device)), _size(y)))
        if num_batches is not None and len(out) >= num_batches:
            break
    if not out:
        raise ValueError("val_loader must yield at least one batch, got an empty loader")
    return out
