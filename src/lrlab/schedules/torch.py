"""The torch adapter: a pure schedule driving a ``torch.optim`` optimizer.

The only module of :mod:`lrlab.schedules` that imports torch; ``lrlab.schedules``
resolves :func:`to_torch` lazily, so the pure schedules stay importable without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

__all__ = ["ScheduleLR", "to_torch"]


class ScheduleLR(LRScheduler):
    """A torch ``LRScheduler`` whose learning rates come from a pure schedule.

    After the ``k``-th call of :meth:`step` (and right after construction, ``k = 0``),
    param group ``i`` has ``lr = schedule(k) * initial_lr_i / initial_lr_0``: the
    schedule sets the first group's rate and every other group keeps its ratio to the
    first, as the groups' ``lr`` stood when the scheduler was made (torch stores them
    as ``initial_lr``; a group that already has one keeps it, as with any torch
    scheduler). Use it as any torch scheduler: ``optimizer.step();
    scheduler.step()``. ``state_dict()`` holds plain numbers (the step count and the
    initial rates) and the schedule's spec for reference, not the schedule itself, so
    it loads with ``torch.load(weights_only=True)``; a resumed run builds the scheduler
    from the same schedule and calls :meth:`load_state_dict`.
    """

    def __init__(self, optimizer: Optimizer, schedule: Callable[[int], float]) -> None:
        if not callable(schedule):
            raise TypeError(f"schedule must be a callable step -> lr, got {schedule!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        first = optimizer.param_groups[0]
        ref = float(first.get("initial_lr", first["lr"]))
        if not ref > 0:
            raise ValueError(
                f"the first param group's lr must be > 0 (the other groups' lrs are taken relative to it), got {ref}"
            )
        self.schedule = schedule
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """The groups' learning rates at step ``last_epoch``."""
        lr = float(self.schedule(self.last_epoch))
        ref = float(self.base_lrs[0])
        # Group 0 gets the schedule's value bit for bit; the others keep their ratio.
        return [lr] + [lr * (float(b) / ref) for b in self.base_lrs[1:]]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: plain numbers, plus the schedule's spec for reference."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "schedule")}
        state["schedule_spec"] = repr(self.schedule)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step count and initial rates; the schedule stays the one given at
        construction (``schedule_spec`` is informational)."""
        skip = ("optimizer", "schedule", "schedule_spec")
        self.__dict__.update({k: v for k, v in state_dict.items() if k not in skip})


def to_torch(schedule: Callable[[int], float], optimizer: Optimizer) -> ScheduleLR:
    """Wrap a schedule as a torch ``LRScheduler`` for ``optimizer``.

    Args:
        schedule: A :class:`~lrlab.schedules.Schedule` (or any callable ``step -> lr``).
        optimizer: The torch optimizer; the ratios between its param groups' current
            ``lr`` values are kept.

    Returns:
        A :class:`ScheduleLR`; the optimizer's rates are already set for step 0.

    Raises:
        TypeError: If ``schedule`` is not callable or ``optimizer`` is not an Optimizer.
        ValueError: If the first param group's lr is not > 0.

    Examples:
        >>> import torch
        >>> from lrlab.schedules import cosine, to_torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> sched = to_torch(cosine(0.1, total=10), opt)
        >>> opt.param_groups[0]["lr"]
        0.1
    """
    return ScheduleLR(optimizer, schedule)
