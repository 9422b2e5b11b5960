"""Checks of a user's model, optimizer, device and loaders, shared by every torch-side entry point.

Each runs before anything is changed or trained, and says what to do instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sized
from typing import Any

import torch
from torch import nn

from lrlab._checks import show

__all__ = ["check_types", "check_model_and_optimizer", "check_device", "check_loader", "group_ratios", "unwrap"]


def unwrap(model: Any) -> Any:
    """The module inside ``DistributedDataParallel`` / ``DataParallel`` wrappers (the model itself otherwise)."""
    while isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        model = model.module
    return model


def check_device(device: Any) -> torch.device:
    """``device`` as a :class:`torch.device`.

    Raises:
        TypeError: If it is not a string, an int or a device.
        ValueError: If torch does not know the device.
    """
    if isinstance(device, torch.device):
        return device
    if isinstance(device, bool) or not isinstance(device, (str, int)):
        raise TypeError(f"device must be a torch.device or a string such as 'cpu' or 'cuda:0', got {show(device)}")
    try:
        return torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda:0', got {show(device)}") from exc


def check_types(model: Any, optimizer: Any) -> None:
    """A module and an optimizer.

    Raises:
        TypeError: If ``model`` is not an ``nn.Module`` or ``optimizer`` not a ``torch.optim.Optimizer``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")


def check_model_and_optimizer(model: Any, optimizer: Any, device: Any = None) -> torch.device:
    """Types, trainable parameters, the optimizer holding them, and the device.

    Args:
        model: The user's module.
        optimizer: Its optimizer.
        device: Where batches should go, or ``None`` for the model's device.

    Returns:
        The device batches go to: that of the model's first trainable parameter.

    Raises:
        TypeError: If ``model`` is not a module or ``optimizer`` not an optimizer.
        ValueError: If nothing is trainable, the optimizer trains none of the model's
            parameters, or ``device`` is not where the model is.
    """
    check_types(model, optimizer)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("model must have trainable parameters (requires_grad=True), got none")
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    if not any(id(p) in held for p in trainable):
        raise ValueError(
            "optimizer must hold the model's trainable parameters, got none of them; "
            "build it from this model (e.g. SGD(model.parameters(), lr=...))"
        )
    model_device = trainable[0].device
    if device is None:
        return model_device
    dev = check_device(device)
    if dev.type != model_device.type or (dev.index is not None and dev != model_device):
        raise ValueError(
            f"device must be where the model's parameters are ({model_device}), got {show(device)}; "
            "move the model first and build the optimizer after (lrlab never moves a model)"
        )
    return model_device


def check_loader(name: str, loader: Any) -> None:
    """A (re-)iterable of batches that is not known to be empty.

    Raises:
        TypeError: If ``loader`` is not iterable (or is a string).
        ValueError: If it has a length of 0.
    """
    if loader is None or isinstance(loader, (str, bytes)) or not isinstance(loader, Iterable):
        raise TypeError(f"{name} must be an iterable of batches (a DataLoader or a list), got {type(loader).__name__}")
    if not isinstance(loader, Sized):  # an iterable without a length (a streaming loader, a generator)
        return
    try:
        size = len(loader)
    except TypeError:  # a length that refuses (a DataLoader over an IterableDataset)
        return
    if size == 0:
        raise ValueError(f"{name} must yield at least one batch, got an empty loader")


def group_ratios(optimizer: torch.optim.Optimizer) -> list[float]:
    """Each param group's LR as a multiple of the first group's (1.0 for the first).

    Raises:
        ValueError: If a group's LR is not a finite number >= 0, or the first is 0 while
            another is not.
    """
    lrs = []
    for i, g in enumerate(optimizer.param_groups):
        lr = g.get("lr")
        value = float(lr) if isinstance(lr, (numbers.Real, torch.Tensor)) and not isinstance(lr, bool) else math.nan
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"optimizer.param_groups[{i}]['lr'] must be a finite number >= 0, got {lr!r}")
        lrs.append(value)
    if lrs[0] == 0:
        if any(lr != 0 for lr in lrs):
            raise ValueError(
                f"optimizer.param_groups[0]['lr'] must be > 0 when other groups' LRs are not 0 (they keep their "
                f"ratios to it), got LRs {lrs}"
            )
        return [1.0] * len(lrs)
    return [lr / lrs[0] for lr in lrs]
