"""The NumPy 2D lab: landscapes, batched descent, LR sensitivity and optimizer comparison.

Four modules, data flowing one way: :mod:`~lrlab.lab2d.landscapes` (value, analytic
gradient, minima) -> :mod:`~lrlab.lab2d.descent` (a batch of runs in one pass: the
generic ``init``/``update`` loop and the fast plain-GD path) ->
:mod:`~lrlab.lab2d.sensitivity` (final loss against LR, in zones) and
:mod:`~lrlab.lab2d.compare` (several optimizers, each tuned over an LR grid). NumPy
only: neither torch nor matplotlib is imported here. Names resolve on first use.

The functions ``sensitivity`` and ``compare`` share their modules' names, so they are
reached through them (``lab2d.sensitivity.sensitivity``); every other public name is
here too.

Examples:
    >>> from lrlab import lab2d
    >>> res = lab2d.gradient_descent("tutorial", [0.01, 0.03], steps=100, start=(-1, 1))
    >>> [round(float(v), 6) for v in res.final_loss]
    [0.378504, 0.021164]
    >>> lab2d.sensitivity.sensitivity("tutorial", lab2d.default_grid(200)).zones[-1]
    'diverging'
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "Landscape": "lrlab.lab2d.landscapes",
    "LANDSCAPES": "lrlab.lab2d.landscapes",
    "Optimizer": "lrlab.lab2d.descent",
    "DescentResult": "lrlab.lab2d.descent",
    "descend": "lrlab.lab2d.descent",
    "gradient_descent": "lrlab.lab2d.descent",
    "plain_gd": "lrlab.lab2d.descent",
    "ZONES": "lrlab.lab2d.sensitivity",
    "SensitivityResult": "lrlab.lab2d.sensitivity",
    "default_grid": "lrlab.lab2d.sensitivity",
    "OptimizerRun": "lrlab.lab2d.compare",
    "Comparison": "lrlab.lab2d.compare",
    "TunedOptimizer": "lrlab.lab2d.compare",
    "Tuning": "lrlab.lab2d.compare",
    "tune": "lrlab.lab2d.compare",
    "default_lrs": "lrlab.lab2d.compare",
    "TUTORIAL_SPECS": "lrlab.lab2d.compare",
}

_SUBMODULES = ("landscapes", "descent", "sensitivity", "compare")

__all__ = [*_SUBMODULES, *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"lrlab.lab2d.{name}")
    else:
        raise AttributeError(f"module 'lrlab.lab2d' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
