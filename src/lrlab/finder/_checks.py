"""Argument checks of :func:`lrlab.find_lr` that are the range test's own (the rest: :mod:`lrlab.train.checks`).

Every one runs before anything is changed. NumPy and the shared vocabulary only, plus
torch for the ``amp`` dtypes.
"""

from __future__ import annotations

from typing import Any

import torch

from lrlab._checks import check_choice, check_fraction, check_int, check_real, show
from lrlab.finder._monitor import MODES

# The longest range test: its LRs are held in memory, and a longer test is never what a user means.
MAX_NUM_ITER = 1_000_000

__all__ = ["MAX_NUM_ITER", "check_range", "amp_dtype"]


def check_range(start_lr: Any, end_lr: Any, num_iter: Any, mode: Any, smooth: Any, diverge_th: Any) -> None:
    """The sweep's range and its smoothing and stop settings.

    Raises:
        TypeError, ValueError: Naming the argument, its rule and the value.
    """
    start = check_real("start_lr", start_lr, above=0.0)
    end = check_real("end_lr", end_lr)
    if not end > start:
        raise ValueError(f"end_lr must be > start_lr ({start:g}), got {show(end_lr)}")
    check_int("num_iter", num_iter, 2, MAX_NUM_ITER)
    check_choice("mode", mode, MODES)
    check_fraction("smooth", smooth)
    th = check_real("diverge_th", diverge_th, finite=False)
    if not th > 1.0:
        raise ValueError(f"diverge_th must be > 1 (math.inf never stops), got {show(diverge_th)}")


def amp_dtype(amp: Any, device: torch.device) -> torch.dtype | None:
    """``amp``: False/None (off), True (float16 on CUDA, bfloat16 elsewhere) or a dtype."""
    if amp is None or amp is False:
        return None
    if amp is True:
        return torch.float16 if device.type == "cuda" else torch.bfloat16
    if amp in (torch.float16, torch.bfloat16):
        return amp
    raise ValueError(f"amp must be False, True, torch.float16 or torch.bfloat16, got {amp!r}")
