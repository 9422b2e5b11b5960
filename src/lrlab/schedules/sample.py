"""Schedules evaluated over a range of steps: the result object figures and tables read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lrlab._checks import show
from lrlab.schedules._base import Schedule, integer, schedule_arg

__all__ = ["MAX_SAMPLES", "ScheduleSamples", "sample"]

# Most steps one sample holds: plenty for a figure or a table (8 MB per schedule); evaluate a
# schedule on an array of steps directly for more.
MAX_SAMPLES = 1_000_000
# Longest label a ScheduleSamples repr shows, and how many labels it shows.
_LABEL = 40
_LABELS = 3


def _short(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 3] + "..."


@dataclass(frozen=True, repr=False)
class ScheduleSamples:
    """Several schedules evaluated at the same steps.

    Attributes:
        steps: The steps, ``0 .. n-1`` (int64, shape ``(n,)``).
        labels: One label per schedule (its spec unless given).
        lrs: Learning rates, shape ``(len(labels), n)``.

    Examples:
        >>> from lrlab.schedules import step
        >>> sample([step(0.1)], 100)
        ScheduleSamples(1 schedule x 100 steps (0..99), lr in [0.0125, 0.1]: ['step(base_lr=0.1, drop=0.5, every=30)'])
    """

    steps: np.ndarray
    labels: tuple[str, ...]
    lrs: np.ndarray

    def __repr__(self) -> str:
        shown = [_short(label, _LABEL) for label in self.labels[:_LABELS]]
        more = f" and {len(self.labels) - _LABELS} more" if len(self.labels) > _LABELS else ""
        n = len(self.steps)
        span = f"lr in [{self.lrs.min():g}, {self.lrs.max():g}]" if self.lrs.size else "no values"
        return (
            f"ScheduleSamples({len(self.labels)} schedule{'s' if len(self.labels) > 1 else ''} x {n} steps "
            f"(0..{n - 1}), {span}: "
            f"{shown}{more})"
        )

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
        steps: How many steps, ``1 <= steps <= MAX_SAMPLES`` (1,000,000).
        labels: A label per schedule; defaults to each schedule's spec.

    Raises:
        TypeError: If ``schedules`` is not a list of schedules or ``labels`` not a list of labels.
        ValueError: If ``steps`` is out of range, no schedule is given, or the labels do not match.

    Examples:
        >>> from lrlab.schedules import constant
        >>> sample([constant(0.1)], 3).lrs.tolist()
        [[0.1, 0.1, 0.1]]
    """
    n = integer("steps", steps, minimum=1)
    if n > MAX_SAMPLES:
        raise ValueError(f"steps must be <= {MAX_SAMPLES:,} (evaluate a schedule on an array for more), got {n:,}")
    if isinstance(schedules, (Schedule, str, bytes)) or not isinstance(schedules, Sequence):
        raise TypeError(f"schedules must be a list of schedules, got {show(schedules)}")
    parts = [schedule_arg("schedules", s) for s in schedules]
    if not parts:
        raise ValueError("schedules must hold at least one schedule, got none")
    if labels is not None and (isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence)):
        raise TypeError(f"labels must be a list of strings, one per schedule, got {show(labels)}")
    names = tuple(repr(s) for s in parts) if labels is None else tuple(str(x) for x in labels)
    if len(names) != len(parts):
        raise ValueError(f"labels must have one entry per schedule ({len(parts)}), got {len(names)}")
    t = np.arange(n, dtype=np.int64)
    lrs = np.stack([s(t) for s in parts])
    return ScheduleSamples(t, names, lrs)
