"""Learning-rate schedules: pure, composable functions ``step -> lr``.

Step ``k`` is the learning rate of the ``k``-th update, counting from 0 (as torch,
timm, optax and Hugging Face do). A :class:`Schedule` accepts an ``int`` or an
integer array, returns a ``float`` or a float64 array, and knows nothing of any
framework; :func:`to_torch` adapts one to a ``torch.optim`` optimizer, and the NumPy
optimizers of :mod:`lrlab.optim` take one wherever they take a learning rate.

The tutorial's five: :func:`constant`, :func:`step`, :func:`exponential`,
:func:`cosine`, :func:`warmup_cosine`. The field's: :func:`multistep`,
:func:`linear`, :func:`polynomial`, :func:`inverse_sqrt`, :func:`cosine_restarts`,
:func:`cyclic`, :func:`onecycle`, :func:`wsd`. Composition: :func:`with_warmup`,
:func:`join`, :func:`product`. Specs: :func:`parse` reads
``"warmup_cosine(base_lr=0.1, warmup=10, total=100)"``; ``repr`` writes one back.
Specs and compositions are bounded, each bound named in its error: specs of at most
10,000 ASCII characters nested at most 64 deep; at most 64 parts in a join or product,
32 levels of nesting and 1,024 schedules in all; :func:`sample` at most 1,000,000 steps.

Examples:
    >>> from lrlab.schedules import parse, warmup_cosine
    >>> s = warmup_cosine(base_lr=0.1, warmup=10, total=100)
    >>> s(5), s(10)
    (0.05, 0.1)
    >>> parse(repr(s))(range(3)).tolist()
    [0.0, 0.01, 0.02]
"""

from __future__ import annotations

from typing import Any

from lrlab.schedules._base import Schedule
from lrlab.schedules.basic import constant, exponential, inverse_sqrt, linear, multistep, polynomial, step
from lrlab.schedules.compose import join, product, with_warmup
from lrlab.schedules.cosine import cosine, cosine_restarts, warmup_cosine
from lrlab.schedules.cyclic import cyclic
from lrlab.schedules.onecycle import onecycle
from lrlab.schedules.registry import describe, names
from lrlab.schedules.sample import ScheduleSamples, sample
from lrlab.schedules.spec import parse
from lrlab.schedules.wsd import wsd

__all__ = [
    "Schedule",
    "constant",
    "step",
    "exponential",
    "cosine",
    "warmup_cosine",
    "multistep",
    "linear",
    "polynomial",
    "inverse_sqrt",
    "cosine_restarts",
    "cyclic",
    "onecycle",
    "wsd",
    "with_warmup",
    "join",
    "product",
    "parse",
    "names",
    "describe",
    "sample",
    "ScheduleSamples",
    "to_torch",
    "ScheduleLR",
]

# The torch adapter is resolved on first use so that importing the pure schedules
# never imports torch.
_TORCH_NAMES = ("to_torch", "ScheduleLR")


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        from lrlab.schedules import torch as adapter

        value = getattr(adapter, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lrlab.schedules' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
