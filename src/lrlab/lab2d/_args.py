"""The 2D lab's argument checks, shared by both descent loops, the sensitivity sweep and the comparison.

Besides each argument's own rule, :func:`check_size` refuses up front the batch sizes a
laptop cannot hold or finish (a ``steps=10**9`` typo is an error naming the limit, not a
``MemoryError`` or an afternoon of waiting).

Examples:
    >>> check_steps(100)
    100
    >>> as_lrs([0.1, 0.01]).tolist()
    [0.1, 0.01]
    >>> as_landscape("tutorial").name
    'tutorial'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lrlab._checks import Array, check_int, check_real, one_of, show
from lrlab.lab2d.landscapes import LANDSCAPES, Landscape

__all__ = [
    "MAX_STEPS",
    "MAX_RUNS",
    "MAX_RECORDED",
    "MAX_WORK",
    "as_landscape",
    "as_lrs",
    "as_starts",
    "check_steps",
    "check_bound",
    "check_size",
    "check_inside",
]

# Limits of one call. A step of a 10,000-row batch takes ~20 us, so MAX_WORK row-steps is
# minutes; MAX_RECORDED positions of two float64 are 2 GiB of paths.
MAX_STEPS = 1_000_000
MAX_RUNS = 10_000_000
MAX_RECORDED = 2**27
MAX_WORK = 10**10


def as_landscape(landscape: Any, name: str = "landscape") -> Landscape:
    """A :class:`Landscape`, or the registered one a name stands for (``"tutorial"``).

    Raises:
        ValueError: For a name that is not registered.
        TypeError: For anything else.
    """
    if isinstance(landscape, Landscape):
        return landscape
    if isinstance(landscape, str):
        if landscape in LANDSCAPES:
            return LANDSCAPES[landscape]
        raise ValueError(f"{name} must be a Landscape or {one_of(LANDSCAPES)}, got {show(landscape)}")
    raise TypeError(f"{name} must be a Landscape or {one_of(LANDSCAPES)}, got {type(landscape).__name__}")


def check_steps(steps: Any) -> int:
    """A step count: an int in ``[1, MAX_STEPS]``."""
    return check_int("steps", steps, minimum=1, maximum=MAX_STEPS)


def check_bound(bound: Any) -> float:
    """A divergence bound: finite and > 0."""
    return check_real("bound", bound, above=0.0)


def as_lrs(lrs: float | Sequence[float] | Array, name: str = "lr") -> Array:
    """Learning rates as a 1-D float array, each finite and > 0, at most ``MAX_RUNS`` of them."""
    try:
        arr = np.atleast_1d(np.asarray(lrs, dtype=float))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a list of numbers, got {show(lrs)}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty list of numbers, got shape {arr.shape}")
    if arr.size > MAX_RUNS:
        raise ValueError(f"{name} must hold at most {MAX_RUNS:,} learning rates, got {arr.size:,}")
    bad = arr[~np.isfinite(arr) | (arr <= 0)]
    if bad.size:
        raise ValueError(f"{name} must be finite and > 0, got {bad[0]:g}")
    return arr


def as_starts(start: Sequence[float] | Array, rows: int) -> Array:
    """Start points as a ``(rows, 2)`` float array (one start is repeated for every row)."""
    try:
        arr = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"start must be two numbers (x, y) or one pair per run, got {show(start)}") from None
    if arr.shape == (2,):
        arr = np.broadcast_to(arr, (rows, 2))
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] != rows:
        raise ValueError(f"start must be two numbers (x, y) or one pair per run, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"start must be finite, got {arr[~np.isfinite(arr).all(axis=1)][0].tolist()}")
    return np.array(arr, dtype=float)


def check_inside(starts: Array, bound: float) -> None:
    """Every start inside the box ``|x|, |y| <= bound``: a run that starts outside it has diverged before step 1.

    Raises:
        ValueError: Naming the first start outside.
    """
    out = ~(np.abs(starts) <= bound).all(axis=1)
    if out.any():
        x, y = starts[int(np.argmax(out))]
        raise ValueError(
            f"start must lie inside the bound (|x|, |y| <= {bound:g}), got ({x:g}, {y:g}); "
            "move the start or raise bound"
        )


def check_size(rows: int, steps: int, record: bool) -> None:
    """Refuse a batch too big to hold or to finish: rows, row-steps and recorded positions.

    Raises:
        ValueError: Naming the limit that was passed and what to change.
    """
    if rows > MAX_RUNS:
        raise ValueError(f"runs must be at most {MAX_RUNS:,} (learning rates or starts), got {rows:,}")
    if rows * steps > MAX_WORK:
        raise ValueError(
            f"runs x steps must be <= {MAX_WORK:.0e} row-steps, got {rows:,} x {steps:,}; "
            "use fewer learning rates or fewer steps"
        )
    if record and rows * (steps + 1) > MAX_RECORDED:
        gib = rows * (steps + 1) * 16 / 2**30
        raise ValueError(
            f"runs x (steps + 1) must be <= {MAX_RECORDED:,} recorded positions (2 GiB) with "
            f"record=True, got {rows:,} x {steps + 1:,} ({gib:.1f} GiB); pass record=False or "
            "use fewer learning rates or steps"
        )


def log_grid(num: Any, low: Any, high: Any) -> Array:
    """``num`` log-spaced LRs from ``low`` to ``high``, both checked.

    Raises:
        TypeError: If ``num`` is not an int or a bound not a number.
        ValueError: If ``num`` is outside ``[2, MAX_RUNS]`` or not ``0 < low < high`` (finite).
    """
    num = check_int("num", num, minimum=2, maximum=MAX_RUNS)
    low, high = check_real("low", low), check_real("high", high)
    if not 0 < low < high:
        raise ValueError(f"the LR grid needs 0 < low < high, got low={low:g}, high={high:g}")
    return np.geomspace(low, high, num)
