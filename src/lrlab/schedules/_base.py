"""The ``Schedule`` type, the names factories register under, and the validation every factory shares.

A schedule is a pure function ``step -> lr``: step ``k`` is the learning rate of the
``k``-th update, counting from 0 (as torch, timm, optax and Hugging Face do). It
accepts an ``int`` (returns a ``float``) or an integer array (returns a float64 array
of the same shape), knows nothing of any framework, and carries its own spec: its
``repr`` is the string :func:`lrlab.schedules.parse` turns back into it.

This module is the floor of :mod:`lrlab.schedules` and imports nothing from it. The
factory modules stand on it and register their factories here by name (:func:`register`);
the spec grammar (``spec.py``) finds them here, and a pickled schedule is rebuilt from
here by calling its factory again, without parsing.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from lrlab._checks import show

# A vectorised body: int64 steps (1-D, all >= 0) -> float64 learning rates.
Body = Callable[[np.ndarray], np.ndarray]
Steps = int | np.integer | np.ndarray | Sequence[int]
F = TypeVar("F", bound=Callable[..., "Schedule"])

# Steps are kept well inside int64 so that sums like ``step + shift`` cannot wrap.
MAX_STEP = 2**62
# Schedules nested in schedules (with_warmup, join, product), counting the outermost: evaluating
# and writing a schedule recurse once per level, so the depth is bounded well below Python's limit.
MAX_DEPTH = 32
# Schedules in one schedule, counting every part of every part: bounds the work of one evaluation
# (a product of 64 products of 64 ... would otherwise evaluate 64**depth leaves).
MAX_SIZE = 1024

# Factory name -> factory, filled by @register as the factory modules are imported (importing
# lrlab.schedules imports them all).
FACTORIES: dict[str, Callable[..., Schedule]] = {}


def register(factory: F) -> F:
    """Record ``factory`` under its ``__name__``, the name its schedules and specs carry."""
    FACTORIES[factory.__name__] = factory
    return factory


def _parts(value: Any) -> list[Schedule]:
    """The schedules a parameter value holds (a schedule, or a list of them)."""
    if isinstance(value, Schedule):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, Schedule)]
    return []


class Schedule:
    """A learning-rate schedule: a pure, vectorised ``step -> lr`` with a spec.

    Attributes:
        name: The factory's name (``"cosine"``).
        params: The factory's arguments after validation (read-only).
        lo: A lower bound on every value the schedule returns (up to rounding).
        hi: An upper bound on every value the schedule returns (up to rounding).
        depth: Levels of schedules nested in this one, itself included (1 for a leaf).
        size: Schedules in this one, itself and every part of every part included.

    Examples:
        >>> from lrlab.schedules import cosine
        >>> s = cosine(base_lr=0.1, total=100, min_lr=0.001)
        >>> s
        cosine(base_lr=0.1, total=100, min_lr=0.001)
        >>> s(0), s(100)
        (0.1, 0.001)
        >>> s([0, 50]).round(4).tolist()
        [0.1, 0.0505]
    """

    __slots__ = ("_body", "depth", "hi", "lo", "name", "params", "size")
    depth: int
    size: int

    def __init__(self, body: Body, name: str, params: Mapping[str, Any], lo: float, hi: float) -> None:
        """Wrap ``body`` as the schedule ``name(**params)`` with bounds ``[lo, hi]``.

        Raises:
            ValueError: If the schedules in ``params`` nest deeper than ``MAX_DEPTH`` or
                hold more than ``MAX_SIZE`` schedules in all.
        """
        parts = [p for v in params.values() for p in _parts(v)]
        depth = 1 + max((p.depth for p in parts), default=0)
        size = 1 + sum(p.size for p in parts)
        if depth > MAX_DEPTH:
            raise ValueError(f"schedules must nest at most {MAX_DEPTH} deep, got {depth} for {name}")
        if size > MAX_SIZE:
            raise ValueError(f"a schedule must hold at most {MAX_SIZE} schedules in all, got {size} for {name}")
        self._body = body
        self.name = name
        self.params: Mapping[str, Any] = MappingProxyType(dict(params))  # read-only: it is the spec
        self.lo = float(lo)
        self.hi = float(hi)
        self.depth = depth
        self.size = size

    def __call__(self, step: Steps) -> Any:
        """The learning rate at ``step`` (a ``float``), or at each step of an array.

        Raises:
            TypeError: If ``step`` is not an integer or an array of integers.
            ValueError: If a step is negative or not a whole number.
        """
        steps, scalar = as_steps(step)
        flat = steps.reshape(-1)
        # Overflow to inf in a factor that is then divided by (or multiplied by 0) is
        # intended (e.g. triangular2's 2**cycle); a NaN is not, so "invalid" still warns.
        with np.errstate(over="ignore", under="ignore"):
            out = np.asarray(self._body(flat), dtype=np.float64)
        if scalar:
            return float(out[0])
        return out.reshape(steps.shape)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={format_value(v)}" for k, v in self.params.items() if v is not None)
        return f"{self.name}({args})"

    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, Any]]]:
        # The body is a closure (not picklable); calling the factory again on the same
        # parameters rebuilds it, so schedules pickle, deep-copy and cross process
        # boundaries as their name and parameters (nested schedules pickle the same way).
        return rebuild, (self.name, dict(self.params))


def rebuild(name: str, params: Mapping[str, Any]) -> Schedule:
    """Call the factory registered as ``name`` on ``params`` (how a pickled schedule comes back).

    Raises:
        ValueError: If no factory is registered as ``name``.
    """
    if name not in FACTORIES:
        raise ValueError(f"name must be a registered schedule ({', '.join(FACTORIES)}), got {show(name)}")
    return FACTORIES[name](**params)


def as_steps(step: Any) -> tuple[np.ndarray, bool]:
    """Validate steps; return them as an int64 array and whether the input was a scalar."""
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"step must be an int or an array of ints, got {show(step)}")
    try:
        arr = np.asarray(step)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"step must be an int or an array of ints, got {show(step)}") from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"step must be an int or an array of ints, got {show(step)}")
    if arr.dtype.kind == "f":
        bad = arr[~(np.isfinite(arr) & (arr == np.floor(arr)))]
        if bad.size:
            raise ValueError(f"step must be a whole number, got {bad.reshape(-1)[0].item()!r}")
    neg = arr[arr < 0]
    if neg.size:
        raise ValueError(f"step must be >= 0, got {neg.reshape(-1)[0].item()!r}")
    big = arr[arr > MAX_STEP]
    if big.size:
        raise ValueError(f"step must be <= 2**62, got {big.reshape(-1)[0].item()!r}")
    return arr.astype(np.int64), arr.ndim == 0


# ---------------------------------------------------------------- the grammar's atoms
# The spec grammar's parser lives in spec.py (which re-exports these); its atoms live here,
# on the floor, because a Schedule's repr *is* its spec: Schedule.__repr__ writes with
# format_value, which must know what read_atom reads back, and this module imports nothing above it.

# ASCII digits only: Python's \d and int()/float() also take other scripts' digits ("\u0661").
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
ATOM = re.compile(r"[^\s,()\[\]=\"']+")


def read_atom(text: str) -> Any:
    """Read an unquoted spec value: an int, a float, ``true``/``false``/``none`` or a word."""
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    keyword = {"true": True, "false": False, "none": None}
    return keyword.get(text.lower(), text)


def format_value(value: Any) -> str:
    """Write a parameter value in the spec grammar, so that it reads back as itself."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, str):
        if ATOM.fullmatch(value) and read_atom(value) == value:
            return value
        return f"'{value}'" if '"' in value else f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return repr(value)


# ---------------------------------------------------------------- validation helpers


def real(name: str, value: Any) -> float:
    """``value`` as a finite float; ``TypeError`` if it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {show(value)}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {show(value)}")
    return f


def lr_value(name: str, value: Any, positive: bool = False) -> float:
    """A learning rate: a finite float >= 0 (> 0 when ``positive``)."""
    f = real(name, value) + 0.0  # -0.0 is 0.0 (and is written so in the spec)
    if positive and not f > 0:
        raise ValueError(f"{name} must be > 0, got {show(value)}")
    if f < 0:
        raise ValueError(f"{name} must be >= 0, got {show(value)}")
    return f


def in_range(name: str, value: Any, lo: float, hi: float, lo_open: bool = False) -> float:
    """A float in ``[lo, hi]`` (``(lo, hi]`` when ``lo_open``)."""
    f = real(name, value)
    if (f <= lo if lo_open else f < lo) or f > hi:
        left = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {left}{lo:g}, {hi:g}], got {show(value)}")
    return f


def integer(name: str, value: Any, minimum: int = 0) -> int:
    """A whole number >= ``minimum`` (an integral float such as ``1e3`` is accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {show(value)}")
    if not isinstance(value, numbers.Integral) and not (math.isfinite(value) and float(value).is_integer()):
        raise ValueError(f"{name} must be an integer, got {show(value)}")
    i = int(value) if isinstance(value, numbers.Integral) else int(float(value))
    if i < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {show(value)}")
    if i > MAX_STEP:
        raise ValueError(f"{name} must be <= 2**62, got {show(value)}")
    return i


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    """One of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {show(value)}")
    return value


def flag(name: str, value: Any) -> bool:
    """A boolean (``True``/``False`` only)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be true or false, got {show(value)}")
    return bool(value)


def min_below_base(min_name: str, min_lr: float, base_name: str, base_lr: float) -> None:
    """Raise unless the floor ``min_lr`` is at most the peak ``base_lr``."""
    if min_lr > base_lr:
        raise ValueError(f"{min_name} must be <= {base_name} ({base_lr!r}), got {min_lr!r}")


def schedule_arg(name: str, value: Any) -> Schedule:
    """A :class:`Schedule` (a plain callable has no bounds or spec, so it is refused)."""
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a Schedule (from lrlab.schedules), got {show(value)}")
    return value
