"""lrlab — the learning-rate lab.

See, measure and choose learning rates: gradient descent on 2D landscapes, NumPy
optimizers exact to ``torch.optim``, pure composable schedules, the LR range test
and parallel short-run sweeps for any PyTorch model.

``import lrlab`` is light: NumPy-only parts load on first use, and torch or
matplotlib are imported only by the functions that need them.

The 2D lab lives in :mod:`lrlab.lab2d` and the tutorial's MNIST pieces in
:mod:`lrlab.tutorial`; their old import paths (``lrlab.descent``, ``lrlab.data.idx``,
``lrlab.demo.part4_finder`` ...) keep working and give the very same module objects.

Examples:
    >>> import lrlab
    >>> lrlab.__version__
    '0.1.0'
    >>> import lrlab.descent, lrlab.lab2d.descent
    >>> lrlab.descent is lrlab.lab2d.descent
    True
"""

from __future__ import annotations

import importlib
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

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
    "sharpness": "lrlab.hessian",
    "SharpnessResult": "lrlab.hessian",
}

# The library's subpackages and modules (not the CLI, not the demo).
_SUBMODULES = (
    "lab2d",
    "optim",
    "schedules",
    "train",
    "finder",
    "sweep",
    "confirm",
    "hessian",
    "distributed",
    "plots",
    "tutorial",
)

# Old dotted name -> where that module lives now. A name maps its submodules too
# (lrlab.data.idx -> lrlab.tutorial.data.idx).
_MOVED: dict[str, str] = {
    "lrlab.landscapes": "lrlab.lab2d.landscapes",
    "lrlab.descent": "lrlab.lab2d.descent",
    "lrlab.sensitivity": "lrlab.lab2d.sensitivity",
    "lrlab.compare": "lrlab.lab2d.compare",
    "lrlab.data": "lrlab.tutorial.data",
    "lrlab.models": "lrlab.tutorial.models",
    "lrlab.demo": "lrlab.tutorial.demo",
}

# Reachable as attributes besides __all__: the CLI and the old names.
_OTHER = ("cli", *(old.rpartition(".")[2] for old in _MOVED))

__all__ = ["__version__", *_LAZY, *_SUBMODULES]


def _moved(fullname: str) -> str | None:
    """The current dotted name of ``fullname`` if it is (under) an old one, else ``None``."""
    head = fullname
    while head:
        if head in _MOVED:
            return _MOVED[head] + fullname[len(head) :]
        head = head.rpartition(".")[0]
    return None


class _AliasLoader:
    """Loads an old name by importing the new one and handing back that same module object."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec: ModuleSpec | None = None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias's spec on the module; give it back its own,
        # so that reload, pickling and tools that read __spec__ see the real module.
        module.__spec__ = self._spec


class _MovedModuleFinder:
    """A meta-path finder that resolves old dotted names to the modules that now hold them.

    It sits first on ``sys.meta_path``: otherwise ``lrlab.data.idx`` would be found by
    the path finder inside the moved package and loaded a second time, as a duplicate
    module object under the old name.
    """

    _lrlab_moved = True

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        new = _moved(fullname)
        if new is None:
            return None
        import importlib.util

        if importlib.util.find_spec(new) is None:
            return None
        # Duck-typed: importlib.abc (the Loader base class) pulls in importlib.resources.
        return ModuleSpec(fullname, cast("Loader", _AliasLoader(new)))


if not any(getattr(f, "_lrlab_moved", False) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES or name in _OTHER:
        module = importlib.import_module(f"lrlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lrlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_OTHER})
