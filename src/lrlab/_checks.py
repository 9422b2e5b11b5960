"""One vocabulary for argument checks, and the aliases every layer shares (NumPy only).

Every message reads ``"NAME must be RULE, got VALUE"`` and, where there is one, names
the fix after a semicolon. Checks raise ``TypeError`` for a value of the wrong kind and
``ValueError`` for a value of the right kind outside its rule; they never ``assert``
(assertions vanish under ``python -O``) and never fall back silently.

Examples:
    >>> check_int("num_iter", 100, minimum=2)
    100
    >>> check_int("num_iter", 0, minimum=2)
    Traceback (most recent call last):
    ...
    ValueError: num_iter must be >= 2, got 0
    >>> check_choice("mode", "cos", ("exp", "linear"))
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of 'exp', 'linear', got 'cos'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "Array",
    "Progress",
    "one_of",
    "show",
    "check_int",
    "check_real",
    "check_positive",
    "check_fraction",
    "check_bool",
    "check_choice",
    "check_callable",
    "check_seed",
    "check_max_norm",
]

Array = np.ndarray
# ``progress(done, total)``: library code reports long work through this; the CLI draws a bar.
Progress = Callable[[int, int], None]

# Longest rendering of a received value in a message (a 9,000-element array is not shown whole).
_SHOW = 80


def show(value: Any) -> str:
    """``repr(value)``, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


def one_of(options: Iterable[Any]) -> str:
    """Render the allowed values: ``"one of 'exp', 'linear'"``."""
    return "one of " + ", ".join(repr(o) for o in options)


def _num(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) and abs(x) >= 10_000 else f"{x:g}"


def _rule(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{_num(minimum)}, {_num(maximum)}]"
    if minimum is not None:
        return f" >= {_num(minimum)}"
    if maximum is not None:
        return f" <= {_num(maximum)}"
    return ""


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None, *, hint: str = "") -> int:
    """An integer (not a bool) in ``[minimum, maximum]``.

    Raises:
        TypeError: If ``value`` is not an integer.
        ValueError: If it is outside the bounds (``hint`` is appended after a semicolon).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {show(value)}")
    i = int(value)
    if (minimum is not None and i < minimum) or (maximum is not None and i > maximum):
        raise ValueError(f"{name} must be{_rule(minimum, maximum)}, got {i:,}" + (f"; {hint}" if hint else ""))
    return i


def check_real(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    above: float | None = None,
    finite: bool = True,
) -> float:
    """A real number (not a bool), finite unless ``finite=False``, within the bounds.

    ``minimum``/``maximum`` are inclusive; ``above`` is a strict lower bound.

    Raises:
        TypeError: If ``value`` is not a real number.
        ValueError: If it is NaN, infinite (when ``finite``) or outside the bounds.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {show(value)}")
    f = float(value)
    bounds = f" > {_num(above)}" if above is not None else ""
    bounds += _rule(minimum, maximum) if not bounds else ""
    rule = ("a finite number" if finite else "a number") + bounds
    bad = math.isnan(f) or (finite and math.isinf(f)) or (above is not None and not f > above)
    bad = bad or (minimum is not None and f < minimum) or (maximum is not None and f > maximum)
    if bad:
        raise ValueError(f"{name} must be {rule}, got {show(value)}")
    return f


def check_positive(name: str, value: Any) -> float:
    """A finite real number > 0 (a learning rate, a timeout)."""
    return check_real(name, value, above=0.0)


def check_fraction(name: str, value: Any) -> float:
    """A real number in ``[0, 1)`` (an EMA factor)."""
    f = check_real(name, value)
    if not 0.0 <= f < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {show(value)}")
    return f


def check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {show(value)}")
    return bool(value)


def check_choice(name: str, value: Any, options: Iterable[str]) -> str:
    """One of the strings ``options``."""
    opts = tuple(options)
    if isinstance(value, str) and value in opts:
        return str(value)
    raise ValueError(f"{name} must be {one_of(opts)}, got {show(value)}")


def check_callable(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """A callable (or ``None`` when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__} {show(value)}")
    return value


def check_seed(name: str, value: Any) -> int | None:
    """``None`` or an int >= 0 (a seed)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise (ValueError if isinstance(value, numbers.Integral) and not isinstance(value, bool) else TypeError)(
            f"{name} must be None or an int >= 0, got {show(value)}"
        )
    return int(value)


def check_max_norm(name: str, value: Any) -> float | None:
    """``None`` or a finite real number > 0 (a gradient-clipping threshold)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number > 0 or None, got {type(value).__name__} {show(value)}")
    f = float(value)
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"{name} must be > 0 or None, got {show(value)}")
    return f
