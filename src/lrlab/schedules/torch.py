"""The torch adapter: a pure schedule driving a ``torch.optim`` optimizer.

The only module of :mod:`lrlab.schedules` that imports torch; ``lrlab.schedules``
resolves :func:`to_torch` lazily, so the pure schedules stay importable without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrlab._checks import show
from lrlab.schedules._base import Schedule

__all__ = ["ScheduleLR", "to_torch", "sample_scheduler"]


def _number(value: Any) -> float | None:
    """``value`` as a float if it is one number (a float, a NumPy scalar, a one-element tensor), else None."""
    if isinstance(value, (str, bytes, bool, np.bool_)):  # float() would take "0.1" and True
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


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

    A learning rate the schedule returns that is negative, NaN or infinite (or not a
    number) is refused with a ``ValueError`` (``TypeError``) at the step it is asked for,
    before the optimizer sees it; a :class:`~lrlab.schedules.Schedule` whose bounds allow
    one is refused when the scheduler is made.
    """

    def __init__(self, optimizer: Optimizer, schedule: Callable[[int], float]) -> None:
        if not callable(schedule):
            raise TypeError(f"schedule must be a callable step -> lr, got {show(schedule)}")
        if isinstance(schedule, Schedule) and not (schedule.lo >= 0 and math.isfinite(schedule.hi)):
            raise ValueError(
                f"schedule must keep its learning rates finite and >= 0, got bounds [{schedule.lo}, {schedule.hi}] "
                f"for {show(schedule)}"
            )
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        initial = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        if not (initial[0] > 0 and math.isfinite(initial[0])):
            raise ValueError(
                "the first param group's lr must be > 0 and finite (the other groups' lrs are taken relative to it), "
                f"got {initial[0]}"
            )
        for i, lr in enumerate(initial[1:], start=1):
            if not (lr >= 0 and math.isfinite(lr)):
                raise ValueError(
                    f"param group {i}'s lr must be >= 0 and finite (its ratio to group 0 is kept), got {lr}"
                )
        self.schedule = schedule
        super().__init__(optimizer)

    def get_lr(self) -> list[float | Tensor]:
        """The groups' learning rates at step ``last_epoch``.

        Raises:
            TypeError: If the schedule returns something other than one number.
            ValueError: If it returns a negative, NaN or infinite learning rate.
        """
        step = self.last_epoch
        value = self.schedule(step)
        lr = _number(value)
        if lr is None:
            raise TypeError(
                f"schedule must return one number per step, got {show(value)} at step {step} from {show(self.schedule)}"
            )
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(
                f"schedule must return a finite learning rate >= 0, got {lr!r} at step {step} "
                f"from {show(self.schedule)}"
            )
        ref = float(self.base_lrs[0])
        # Group 0 gets the schedule's value bit for bit; the others keep their ratio.
        return [lr, *(lr * (float(b) / ref) for b in self.base_lrs[1:])]

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
        ValueError: If the first param group's lr is not finite and > 0 (another
            group's not finite and >= 0), or the schedule's rate at
            step 0 (or a Schedule's bounds) is negative or not finite; the scheduler's
            ``step()`` raises the same at the first step whose rate is.

    Examples:
        >>> import torch
        >>> from lrlab.schedules import cosine, to_torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> sched = to_torch(cosine(0.1, total=10), opt)
        >>> opt.param_groups[0]["lr"]
        0.1
    """
    return ScheduleLR(optimizer, schedule)


def sample_scheduler(
    factory: Callable[[Optimizer], Any], total_steps: int, *, name: str = "schedule"
) -> tuple[list[float], list[float]]:
    """Run ``factory`` (``optimizer -> LRScheduler``) on a private one-parameter SGD at LR 1 and read
    the LR and the momentum it sets before each of ``total_steps`` steps (the user's optimizer is
    never touched).

    Raises:
        TypeError: If calling it raises, or it returns no ``LRScheduler`` (``ReduceLROnPlateau``,
            which follows metrics, has no shape to read).

    Examples:
        >>> from torch.optim.lr_scheduler import StepLR
        >>> sample_scheduler(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 4)[0]
        [1.0, 1.0, 0.5, 0.5]
    """
    import warnings

    import torch
    from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

    from lrlab._checks import show

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    try:
        scheduler = factory(opt)
    except Exception as exc:  # noqa: BLE001 - the user's factory: any failure is reported as the wrong kind
        raise TypeError(
            f"{name} must be a callable step -> factor or a factory optimizer -> LRScheduler, but calling it "
            f"with an optimizer raised {type(exc).__name__}: {exc}"
        ) from None
    if isinstance(scheduler, ReduceLROnPlateau) or not isinstance(scheduler, LRScheduler):
        hint = (
            "; ReduceLROnPlateau follows metrics and has no shape to read"
            if isinstance(scheduler, ReduceLROnPlateau)
            else ""
        )
        raise TypeError(
            f"{name} must return a torch LRScheduler when called with an optimizer, got {show(scheduler)}{hint}"
        )
    lrs: list[float] = []
    moms: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the private optimizer never sees a gradient
        for _ in range(total_steps):
            lrs.append(float(opt.param_groups[0]["lr"]))
            moms.append(float(opt.param_groups[0]["momentum"]))
            opt.step()
            scheduler.step()
    return lrs, moms
