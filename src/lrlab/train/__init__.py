"""The ground floor of lrlab's torch side: what every training loop stands on.

* :mod:`~lrlab.train.contract`: the batch -> loss contract (a criterion for
  ``(inputs, targets)`` batches, or ``step_fn(model, batch)`` returning a loss or an output
  with ``.loss``), and the same step run on substituted tensors (``functional_step``).
* :mod:`~lrlab.train.batches`: moving any batch to a device, cycling a loader, taking a
  fixed set of validation batches.
* :mod:`~lrlab.train.guard`: :class:`StateGuard` (the model, optimizer and RNGs come back
  bitwise as they were) and :class:`TrainModes` (every module's train/eval flag).
* :mod:`~lrlab.train.checks`: the model/optimizer/device/loader checks.
* :mod:`~lrlab.train.step`: one optimizer step (accumulation, autocast, grad scaling), a
  validation loss.

The range test (:mod:`lrlab.finder`) and the sweep (:mod:`lrlab.sweep`) both stand on it.
"""

from __future__ import annotations

from lrlab.train.batches import LoaderCycle, is_one_shot, take, to_device
from lrlab.train.checks import check_device, check_loader, check_model_and_optimizer, group_ratios, unwrap
from lrlab.train.contract import (
    BatchError,
    ContractError,
    Criterion,
    LossError,
    LossTypeError,
    StepFn,
    as_loss,
    batch_size,
    check_loss,
    criterion_step,
    functional_step,
    make_step,
)
from lrlab.train.guard import StateGuard, TrainModes
from lrlab.train.step import eval_loss, train_step

__all__ = [
    "StepFn",
    "Criterion",
    "ContractError",
    "BatchError",
    "LossError",
    "LossTypeError",
    "criterion_step",
    "make_step",
    "as_loss",
    "check_loss",
    "batch_size",
    "functional_step",
    "to_device",
    "LoaderCycle",
    "take",
    "is_one_shot",
    "StateGuard",
    "TrainModes",
    "check_model_and_optimizer",
    "check_device",
    "check_loader",
    "group_ratios",
    "unwrap",
    "train_step",
    "eval_loss",
]
