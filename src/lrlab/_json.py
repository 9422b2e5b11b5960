"""Strict JSON for results: NumPy values become Python ones, non-finite floats become null."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays, paths and non-finite floats (-> ``None``) for strict JSON.

    Examples:
        >>> jsonable({"a": np.float64("inf"), "b": np.arange(2), "c": (np.bool_(True),)})
        {'a': None, 'b': [0, 1], 'c': [True]}
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Path):
        return str(value)
    return value
