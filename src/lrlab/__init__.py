"""lrlab — the learning-rate lab.

See, measure and choose learning rates: gradient descent on 2D landscapes, NumPy
optimizers exact to ``torch.optim``, pure composable schedules, the LR range test
and parallel short-run sweeps for any PyTorch model.

``import lrlab`` is light: NumPy-only parts load on first use, and torch or
matplotlib are imported only by the functions that need them.

Examples:
    >>> import lrlab
    >>> lrlab.__version__
    '0.1.0'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it. Resolved on first attribute access so that
# `import lrlab` imports neither torch nor matplotlib.
_LAZY: dict[str, str] = {
    "find_lr": "lrlab.finder",
    "LRFinderResult": "lrlab.finder",
    "suggest": "lrlab.finder",
    "sweep_lr": "lrlab.sweep",
    "SweepResult": "lrlab.sweep",
    "suggest_lr": "lrlab.confirm",
}

_SUBMODULES = (
    "landscapes",
    "descent",
    "optim",
    "schedules",
    "finder",
    "sweep",
    "confirm",
    "distributed",
    "data",
    "models",
    "plots",
    "demo",
    "cli",
)

__all__ = ["__version__", *_LAZY, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"lrlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lrlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
