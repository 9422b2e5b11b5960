"""Schedules evaluated over a range of steps: the result object figures and tables read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lrlab.schedules._base import Schedule, integer, schedule_arg

__all__ = ["ScheduleSamples", "sample"]


@dataclass(frozen=True)
class ScheduleSamples:
    """Several schedules evaluated at the same steps.

    Attributes:
        steps: The steps, ``0 .. n-1`` (int64, shape ``(n,)``).
        labels: One label per schedule (its spec unless given).
        lrs: Learning rates, shape ``(len(labels), n)``.
    """

    steps: np.ndarray
    labels: tuple[str, ...]
    lrs: np.ndarray

    def stats(self) -> list[dict[str, float | str]]:
        """First, last, min and max learning rate of each schedule."""
        return [
            {
                "label": label,
                "first": float(row[0]),
                "last": float(row[-1]),
                "min": float(row.min()),
                "max": float(row.max()),
            }
            for label, row in zip(self.labels, self.lrs)
        ]


def sample(schedules: Sequence[Schedule], steps: int, labels: Sequence[str] | None = None) -> ScheduleSamples:
    """Evaluate each schedule at steps ``0 .. steps-1``.

    Args:
        schedules: The schedules.
        steps: How many steps (>= 1).
        labels: A label per schedule; defaults to each schedule's spec.

    Raises:
        ValueError: If ``steps < 1``, no schedule is given, or the labels do not match.

    Examples:
        >>> from lrlab.schedules import constant
        >>> sample([constant(0.1)], 3).lrs.tolist()
        [[0.1, 0.1, 0.1]]
    """
    n = integer("steps", steps, minimum=1)
    parts = [schedule_arg("schedules", s) for s in schedules]
    if not parts:
        raise ValueError("schedules must hold at least one schedule, got none")
    names = tuple(repr(s) for s in parts) if labels is None else tuple(str(x) for x in labels)
    if len(names) != len(parts):
        raise ValueError(f"labels must have one entry per schedule ({len(parts)}), got {len(names)}")
    t = np.arange(n, dtype=np.int64)
    lrs = np.stack([s(t) for s in parts])
    return ScheduleSamples(t, names, lrs)
