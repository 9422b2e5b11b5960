"""Batches: moving any batch to a device, cycling a loader, taking a fixed set of batches.

One implementation for every loop of lrlab (the range test, both sweep paths, the
confirmation), so that a batch format that works in one works in all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch

__all__ = ["to_device", "LoaderCycle", "take", "is_one_shot"]


def to_device(batch: Any, device: torch.device, non_blocking: bool | None = None) -> Any:
    """Move every tensor in a (nested) tensor, tuple, namedtuple, list or mapping to ``device``.

    Containers keep their type (a namedtuple stays that namedtuple, an ``OrderedDict`` or
    a Hugging Face ``BatchEncoding`` stays a mapping of its kind where it can be rebuilt
    from pairs, else becomes a ``dict``); anything else is returned as it is. A tensor
    already on ``device`` is not copied.

    Args:
        batch: What a loader yielded.
        device: Where its tensors go.
        non_blocking: Asynchronous host-to-device copies; default: on CUDA only (where
            it overlaps the copy with compute; pinned loader memory makes it truly async).

    Examples:
        >>> import torch
        >>> b = to_device({"x": torch.ones(2), "n": 3, "pair": (torch.zeros(1), "a")}, torch.device("cpu"))
        >>> sorted(b), b["n"], b["pair"][1]
        (['n', 'pair', 'x'], 3, 'a')
    """
    if non_blocking is None:
        non_blocking = device.type == "cuda"
    return _move(batch, device, non_blocking)


def _move(obj: Any, device: torch.device, non_blocking: bool) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj if obj.device == device else obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, Mapping):
        items = [(k, _move(v, device, non_blocking)) for k, v in obj.items()]
        mapping_type: Any = type(obj)  # a concrete mapping class (the Mapping ABC takes no arguments)
        try:
            return mapping_type(items)
        except Exception:  # noqa: BLE001 - a mapping type that cannot be built from pairs
            return dict(items)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_move(v, device, non_blocking) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device, non_blocking) for v in obj)
    return obj


def is_one_shot(loader: Iterable[Any]) -> bool:
    """Whether iterating ``loader`` again continues it (a generator, an iterator) instead of restarting it."""
    return isinstance(loader, Iterator)


class LoaderCycle:
    """Endless batches from a loader, restarting it when it ends (one more epoch).

    A re-iterable (a DataLoader, a list) is restarted as often as needed; a one-shot
    iterator (a generator) serves what it holds and then fails plainly.

    Args:
        loader: A DataLoader, a list of batches, or any iterable of batches.
        name: The argument's name, for messages (``"train_loader"``).

    Raises (from :meth:`next`):
        ValueError: If the loader yields no batch at all, or a one-shot iterator runs dry.

    Examples:
        >>> cycle = LoaderCycle([1, 2])
        >>> [cycle.next() for _ in range(5)]
        [1, 2, 1, 2, 1]
    """

    def __init__(self, loader: Iterable[Any], name: str = "train_loader") -> None:
        self.loader = loader
        self.name = name
        self.served = 0
        self._epoch_served = 0
        self._it: Iterator[Any] | None = None

    def next(self) -> Any:
        """The next batch (restarting the loader at its end)."""
        if self._it is None:
            self._it = iter(self.loader)
        try:
            batch = next(self._it)
        except StopIteration:
            if self.served == 0 or self._epoch_served == 0:
                raise ValueError(f"{self.name} must yield at least one batch, got an empty loader") from None
            if is_one_shot(self.loader):
                raise ValueError(
                    f"{self.name} must be re-iterable to be cycled, got a one-shot iterator that ran out after "
                    f"{self.served} batches; pass a DataLoader or a list of batches"
                ) from None
            self._it, self._epoch_served = iter(self.loader), 0
            return self.next()
        self.served += 1
        self._epoch_served += 1
        return batch


def take(loader: Iterable[Any], count: int | None, device: torch.device, name: str = "val_loader") -> list[Any]:
    """The first ``count`` batches of ``loader`` (all when ``None``), moved to ``device``.

    Raises:
        ValueError: If the loader yields no batch.
    """
    batches = [to_device(b, device) for b in itertools.islice(loader, count)]
    if not batches:
        raise ValueError(f"{name} must yield at least one batch, got an empty loader")
    return batches
