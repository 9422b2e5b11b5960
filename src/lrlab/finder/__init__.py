"""The LR range test for any PyTorch model, its result, and the rules that read an LR off it.

``find_lr`` runs the test under a :class:`StateGuard` (the model, the optimizer and the
RNGs come back bitwise as they were) and returns an :class:`LRFinderResult`;
``suggest(result, method)`` applies one of :data:`METHODS` and returns a
:class:`Suggestion`. The pieces are public for loops built on them (the distributed
range test, the confirmation sweep): ``lr_sequence`` and ``LossMonitor``; the ground
floor's ``StateGuard``, ``train_step`` and ``StepFn`` (from :mod:`lrlab.train`) are
re-exported here too.

The result, the rules and the LR sequence are NumPy only; the torch-backed names load
on first use, so reading a saved curve or listing :data:`METHODS` does not import torch.

Examples:
    >>> import lrlab
    >>> lrlab.find_lr is find_lr
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from lrlab.finder._monitor import STOP_REASONS, LossMonitor, lr_sequence
from lrlab.finder.result import LRFinderResult
from lrlab.finder.suggest import DEFAULT_METHOD, METHODS, Suggestion, suggest

# Torch-backed name -> defining module, resolved on first access.
_LAZY = {
    "find_lr": "lrlab.finder.loop",
    "GPU_CHECK_EVERY": "lrlab.finder.loop",
    # The ground floor's names, kept here for code written against lrlab.finder.
    "StateGuard": "lrlab.train.guard",
    "StepFn": "lrlab.train.contract",
    "criterion_step": "lrlab.train.contract",
    "train_step": "lrlab.train.step",
}

__all__ = [
    "find_lr",
    "GPU_CHECK_EVERY",
    "LRFinderResult",
    "suggest",
    "Suggestion",
    "METHODS",
    "DEFAULT_METHOD",
    "STOP_REASONS",
    "StateGuard",
    "LossMonitor",
    "lr_sequence",
    "StepFn",
    "criterion_step",
    "train_step",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lrlab.finder' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
