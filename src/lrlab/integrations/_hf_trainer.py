"""What lrlab reads off a ``transformers.Trainer``: its optimizer, loader, loss and schedule.

Every helper leaves the Trainer as it found it: an optimizer the Trainer would create is made by
``trainer.create_optimizer()`` and detached again (``trainer.optimizer`` back to ``None``), a
train loader made by ``trainer.get_train_dataloader()`` is forgotten by the Trainer's accelerator.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from lrlab._checks import show
from lrlab.train.contract import StepFn

__all__ = [
    "trainer_optimizer",
    "trainer_loader",
    "trainer_step",
    "total_steps",
    "scheduler_factory",
    "set_learning_rate",
]

# Trainer schedules whose LR follows metrics: no shape to read.
_METRIC_SCHEDULES = frozenset({"reduce_lr_on_plateau"})


def _value(x: Any) -> Any:
    """An enum's value (``SchedulerType.COSINE`` -> ``"cosine"``), anything else as it is."""
    return getattr(x, "value", x)


@contextlib.contextmanager
def trainer_optimizer(trainer: Any) -> Iterator[torch.optim.Optimizer]:
    """The optimizer the Trainer trains with: its own if it holds one (passed as ``optimizers=``),
    else a new one from ``trainer.create_optimizer()`` (``args.optim``, ``learning_rate``,
    ``weight_decay`` and its decay / no-decay split, or ``optimizer_cls_and_kwargs``), which
    ``trainer.optimizer`` does not keep afterwards."""
    if trainer.optimizer is not None:
        yield _unwrap(trainer.optimizer)
        return
    try:
        optimizer = trainer.create_optimizer()
    finally:
        trainer.optimizer = None
    yield _unwrap(optimizer)


def _unwrap(optimizer: Any) -> torch.optim.Optimizer:
    """The torch optimizer inside accelerate's ``AcceleratedOptimizer`` (a trainer that trained before)."""
    inner = getattr(optimizer, "optimizer", None)
    return inner if isinstance(inner, torch.optim.Optimizer) else optimizer


@contextlib.contextmanager
def trainer_loader(trainer: Any) -> Iterator[Any]:
    """``trainer.get_train_dataloader()`` (its sampler, collator, batch size, workers); the
    accelerator's list of prepared loaders is put back as it was afterwards."""
    accelerator = getattr(trainer, "accelerator", None)
    known = getattr(accelerator, "_dataloaders", None)
    saved = list(known) if isinstance(known, list) else None
    try:
        yield trainer.get_train_dataloader()
    finally:
        if saved is not None and isinstance(known, list):
            known[:] = saved


def trainer_step(trainer: Any) -> StepFn:
    """``step_fn(model, batch)``: the Trainer's own loss, ``trainer.compute_loss(model, batch)``
    (the model's ``outputs.loss``, or label smoothing / ``compute_loss_func`` / a subclass's
    override), inside ``trainer.compute_loss_context_manager()``. The batch is copied first:
    ``compute_loss`` pops ``labels`` from the dict it is given."""

    def step(model: nn.Module, batch: Any) -> Any:
        inputs = dict(batch) if isinstance(batch, dict) else batch
        with trainer.compute_loss_context_manager():
            return trainer.compute_loss(model, inputs)

    return step


def total_steps(trainer: Any, loader: Any) -> int:
    """The run's length in optimizer steps, as the Trainer reckons it: ``args.max_steps`` when > 0,
    else ``ceil(num_train_epochs * ceil(len(loader) / gradient_accumulation_steps))``.

    Raises:
        ValueError: If neither gives a length (a loader without ``len`` and no ``max_steps``).
    """
    args = trainer.args
    if args.max_steps is not None and args.max_steps > 0:
        return int(args.max_steps)
    try:
        batches = len(loader)
    except TypeError:
        raise ValueError(
            f"args.max_steps must be > 0 for a train loader without a length, got {show(args.max_steps)}"
        ) from None
    per_epoch = max(math.ceil(batches / args.gradient_accumulation_steps), 1)
    return max(math.ceil(args.num_train_epochs * per_epoch), 1)


def scheduler_factory(trainer: Any, steps: int) -> Callable[[torch.optim.Optimizer], Any]:
    """``optimizer -> LRScheduler``: the schedule ``trainer.create_scheduler`` would build
    (``transformers.get_scheduler`` with ``args.lr_scheduler_type``, the warmup of
    ``args.get_warmup_steps`` and ``args.lr_scheduler_kwargs``) over ``steps`` steps.

    Raises:
        ValueError: For a schedule that follows metrics (``reduce_lr_on_plateau``).
    """
    from transformers import get_scheduler

    args = trainer.args
    kind = _value(args.lr_scheduler_type)
    if kind in _METRIC_SCHEDULES:
        raise ValueError(
            f"args.lr_scheduler_type must be a schedule with a shape, got {kind!r} (it follows metrics); "
            "pass schedule= to suggest_lr"
        )
    warmup = int(args.get_warmup_steps(steps))
    kwargs = dict(args.lr_scheduler_kwargs or {})

    def factory(optimizer: torch.optim.Optimizer) -> Any:
        return get_scheduler(
            kind,
            optimizer=optimizer,
            num_warmup_steps=warmup,
            num_training_steps=steps,
            scheduler_specific_kwargs=kwargs,
        )

    factory.__name__ = f"{kind} (warmup {warmup} of {steps} steps)"
    return factory


def set_learning_rate(args: Any, lr: float) -> None:
    """``args.learning_rate = lr``, also on a frozen dataclass (some versions freeze ``TrainingArguments``)."""
    if not hasattr(args, "learning_rate"):
        raise TypeError(f"trainer.args must have a learning_rate, got {show(args)}")
    try:
        args.learning_rate = lr
    except AttributeError:  # dataclasses.FrozenInstanceError
        object.__setattr__(args, "learning_rate", lr)
