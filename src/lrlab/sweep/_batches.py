"""Batches for the sweep: the training stream (cycled, on the model's device) and the validation set.

All K copies see the same batches. The vmapped path asks for each batch once; the
sequential path trains copy 0 on the live stream and the others on what it kept, so a
loader is iterated exactly as one ordinary run would iterate it. Cycling, moving and the
batch format are the ground floor's (:mod:`lrlab.train`), as in the range test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from lrlab.train.batches import LoaderCycle, take, to_device
from lrlab.train.contract import batch_size


class BatchStream:
    """Batch ``t`` of a loader cycled as often as needed, on ``device``.

    Args:
        loader: A DataLoader or any re-iterable of batches; a one-shot iterator works if
            it holds enough batches.
        device: Where the batches go.
        keep_all: Keep every batch served (for the sequential path); otherwise only the
            first and the latest are kept.
    """

    def __init__(self, loader: Iterable[Any], device: torch.device, keep_all: bool = False) -> None:
        self._cycle = LoaderCycle(loader, "train_loader")
        self._device = device
        self._served = 0
        self._kept: dict[int, Any] = {}
        self.keep_all = keep_all

    def get(self, t: int) -> Any:
        """The batch of step ``t`` (steps are served in order; earlier ones only if kept)."""
        if t in self._kept:
            return self._kept[t]
        if t != self._served:
            raise RuntimeError(f"batch {t} was not kept (next to fetch is {self._served})")
        batch = to_device(self._cycle.next(), self._device)
        self._served += 1
        if not self.keep_all:
            self._kept = {k: v for k, v in self._kept.items() if k == 0}
        self._kept[t] = batch
        return batch


def validation_batches(loader: Iterable[Any], num_batches: int | None, device: torch.device) -> list[tuple[Any, int]]:
    """The first ``num_batches`` batches of ``loader`` (all if ``None``) with their sample counts.

    Raises:
        ValueError: If the loader yields no batch.
    """
    return [(b, batch_size(b)) for b in take(loader, num_batches, device, "val_loader")]
