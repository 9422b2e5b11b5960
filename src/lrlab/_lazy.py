"""Lazy attributes for a package: names resolved from their modules on first access (PEP 562).

A package that re-exports torch- or matplotlib-backed names would import them on ``import``;
``lazy`` gives it a module ``__getattr__`` and ``__dir__`` that import a name's module only when
the name is first used, and keep the value in the package afterwards.

Examples:
    >>> getattr_, dir_ = lazy("lrlab.lab2d", {"get": "lrlab.lab2d.landscapes"}, ("landscapes",))
    >>> getattr_("get").__name__, dir_()
    ('get', ['get', 'landscapes'])
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy"]


def lazy(
    package: str, names: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps a public name to the module defining it.

    Args:
        package: The package's dotted name (``__name__``).
        names: Public name -> module that defines it.
        submodules: Submodules reachable as attributes (``package.sub``).
    """
    subs = tuple(submodules)

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
        elif name in subs:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*names, *subs})

    return __getattr__, __dir__
