"""Argument checks of :func:`lrlab.find_lr`: every one runs before anything is changed."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from lrlab.finder._monitor import MODES

__all__ = ["check_range", "check_int", "check_model_and_optimizer", "check_loader", "group_ratios", "amp_dtype"]


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def check_range(start_lr: Any, end_lr: Any, num_iter: Any, mode: Any, smooth: Any, diverge_th: Any) -> None:
    """The sweep's range and its smoothing and stop settings."""
    start, end = _real("start_lr", start_lr), _real("end_lr", end_lr)
    if not (math.isfinite(start) and start > 0):
        raise ValueError(f"start_lr must be a finite number > 0, got {start_lr}")
    if not (math.isfinite(end) and end > start):
        raise ValueError(f"end_lr must be finite and > start_lr ({start_lr}), got {end_lr}")
    check_int("num_iter", num_iter, 2)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not 0.0 <= _real("smooth", smooth) < 1.0:
        raise ValueError(f"smooth must be in [0, 1), got {smooth}")
    if not _real("diverge_th", diverge_th) > 1.0:
        raise ValueError(f"diverge_th must be > 1 (math.inf never stops), got {diverge_th}")


def check_int(name: str, value: Any, minimum: int) -> int:
    """An integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_model_and_optimizer(
    model: Any, optimizer: Any, device: Any
) -> torch.device:
    """Types, trainable parameters, the optimizer holding them, and the device.

    Returns:
        The device batches go to: ``device``, or that of the first trainable parameter.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("model has no trainable parameters (none with requires_grad=True)")
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    if not any(id(p) in held for p in trainable):
        raise ValueError(
            "optimizer holds none of the model's trainable parameters; "
            "build it from this model (e.g. SGD(model.parameters(), lr=...))"
        )
    model_device = trainable[0].device
    if device is None:
        return model_device
    dev = torch.device(device)
    if dev.type != model_device.type or (dev.index is not None and dev != model_device):
        raise ValueError(
            f"device must be where the model's parameters are ({model_device}), got {device!r}; "
            "move the model first and build the optimizer after (lrlab never moves a model)"
        )
    return model_device


def check_loader(name: str, loader: Any) -> None:
    """A re-iterable of batches that is not known to be empty."""
    if loader is None or isinstance(loader, (str, bytes)) or not isinstance(loader, Iterable):
        raise TypeError(f"{name} must be an iterable of batches (a DataLoader or a list), got {type(loader).__name__}")
    try:
        size = len(loader)  # type: ignore[arg-type]
    except TypeError:  # an iterable without a length (a streaming loader)
        return
    if size == 0:
        raise ValueError(f"{name} is empty: it has no batches")


def group_ratios(optimizer: torch.optim.Optimizer) -> list[float]:
    """Each param group's LR as a multiple of the first group's (1.0 for the first)."""
    lrs = []
    for i, g in enumerate(optimizer.param_groups):
        lr = g.get("lr")
        value = float(lr) if isinstance(lr, (numbers.Real, torch.Tensor)) else math.nan
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"optimizer.param_groups[{i}]['lr'] must be a finite number >= 0, got {lr!r}")
        lrs.append(value)
    if lrs[0] == 0:
        if any(lr != 0 for lr in lrs):
            raise ValueError(
                f"param group LRs {lrs} keep their ratios to the first group's LR, which must then be > 0"
            )
        return [1.0] * len(lrs)
    return [lr / lrs[0] for lr in lrs]


def amp_dtype(amp: Any, device: torch.device) -> torch.dtype | None:
    """``amp``: False/None (off), True (float16 on CUDA, bfloat16 elsewhere) or a dtype."""
    if amp is None or amp is False:
        return None
    if amp is True:
        return torch.float16 if device.type == "cuda" else torch.bfloat16
    if amp in (torch.float16, torch.bfloat16):
        return amp  # type: ignore[no-any-return]
    raise ValueError(f"amp must be False, True, torch.float16 or torch.bfloat16, got {amp!r}")
