"""The pieces the Lightning adapter reads off a running ``Trainer``: batches, the loss, the schedule.

* :class:`TrainerBatches` re-iterates the trainer's train dataloader(s) (a fresh ``CombinedLoader`` each
  pass, ``limit_train_batches`` kept) and prepares each batch as Lightning's loop does;
* :func:`make_step_fn` is lrlab's ``step_fn(model, batch)``: the module's ``training_step``;
* :func:`sample_schedule` reads every param group's LR, step by step, off *copies* of the configured
  schedulers driving a private optimizer (the user's are never stepped);
* :func:`scale_lrs` multiplies every LR the optimizer and its schedulers hold by one factor;
* :class:`Quiet` silences ``self.log`` and adds the trainer's gradient clipping during the range test;
  :func:`norm_clipping` reads the trainer's norm clipping as lrlab's ``max_grad_norm``.

Nothing here imports ``lightning``: the objects come from the caller, duck-typed.
"""

from __future__ import annotations

import copy
import itertools
import numbers
import warnings
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab.train.contract import StepFn

__all__ = ["TrainerBatches", "make_step_fn", "sample_schedule", "scale_lrs", "schedulers_of", "Quiet"]


class TrainerBatches:
    """The trainer's training batches, re-iterable: each pass builds a fresh ``CombinedLoader``.

    Each batch goes through ``precision.convert_input``, ``on_before_batch_transfer`` and
    ``strategy.batch_to_device`` (the transfer hooks), as in Lightning's training loop.
    """

    def __init__(self, trainer: Any, combined: Any, combined_cls: type) -> None:
        self._trainer = trainer
        self._combined = combined
        self._cls = combined_cls

    def __iter__(self) -> Iterator[Any]:
        fresh = self._cls(self._combined.iterables, self._combined._mode)
        fresh.limits = self._combined.limits
        trainer, module = self._trainer, self._trainer.lightning_module
        for batch, _idx, _dl in fresh:
            batch = trainer.precision_plugin.convert_input(batch)
            batch = module._on_before_batch_transfer(batch, dataloader_idx=0)
            yield trainer.strategy.batch_to_device(batch, dataloader_idx=0)


def make_step_fn(trainer: Any, takes_batch_idx: bool) -> StepFn:
    """``step_fn(model, batch)``: ``training_step(batch, batch_idx)`` under the trainer's precision context.

    Called with the strategy's model (a ``DistributedDataParallel`` wrapper under DDP) it goes through
    ``strategy.training_step``, whose forward makes DDP average the gradients; called with the
    LightningModule itself (the sweep's ``functional_call``) it calls ``training_step`` directly.
    ``batch_idx`` counts the calls from 0.
    """
    counter = itertools.count()
    strategy = trainer.strategy

    def step(model: nn.Module, batch: Any) -> Any:
        args = (batch, next(counter)) if takes_batch_idx else (batch,)
        if model is strategy.lightning_module:
            with trainer.precision_plugin.train_step_context():
                return model.training_step(*args)
        return strategy.training_step(*args)

    return step


def schedulers_of(configs: list[Any]) -> list[Any]:
    """Every scheduler object in the configs, those nested in ``SequentialLR`` / ``ChainedScheduler`` too."""
    found: list[Any] = []
    stack = [c.scheduler for c in configs]
    while stack:
        s = stack.pop(0)
        if any(s is f for f in found):
            continue
        found.append(s)
        stack.extend(getattr(s, "_schedulers", []))
    return found


def sample_schedule(
    optimizer: torch.optim.Optimizer, configs: list[Any], total_steps: int, steps_per_epoch: int, memo: dict[int, Any]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Every group's LR before each of ``total_steps`` optimizer steps, as Lightning would step the schedulers.

    The schedulers are deep-copied onto a private SGD over one dummy parameter per group holding the
    groups' settings; ``memo`` maps objects that must not be copied (the module, the trainer) to
    themselves. A ``"step"`` scheduler steps every ``frequency`` optimizer steps, an ``"epoch"`` one every
    ``frequency`` epochs of ``steps_per_epoch`` steps.

    Returns:
        ``(total_steps, groups)`` LRs, and group 0's momentum (``betas[0]`` for Adam-like optimizers)
        at each step where a scheduler moves it, else ``None``.
    """
    groups = []
    for g in optimizer.param_groups:
        hyper = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
        groups.append({**hyper, "params": [nn.Parameter(torch.zeros(1))]})
    private = torch.optim.SGD(groups)
    clones = [(copy.deepcopy(c.scheduler, {**memo, id(optimizer): private}), c) for c in configs]
    beta = "betas" in optimizer.param_groups[0]
    lrs = np.empty((total_steps, len(groups)))
    moms = np.empty(total_steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the private optimizer never steps: torch's order warning
        for t in range(total_steps):
            lrs[t] = [float(g["lr"]) for g in private.param_groups]
            g0 = private.param_groups[0]
            moms[t] = float(g0["betas"][0] if beta else g0.get("momentum", 0.0))
            done = t + 1
            for clone, config in clones:
                every = config.frequency * (1 if config.interval == "step" else steps_per_epoch)
                if done % every == 0:
                    clone.step()
    return lrs, moms if len(set(moms.tolist())) > 1 else None


def scale_lrs(optimizer: torch.optim.Optimizer, configs: list[Any], factor: float) -> None:
    """Multiply every LR the optimizer's groups (``lr``, ``initial_lr``, ``max_lr``, ``min_lr``) and the
    schedulers (``base_lrs``, ``max_lrs``, ``_last_lr``) hold by ``factor``: the schedule keeps its shape
    and every group its ratio, around a new peak."""
    for g in optimizer.param_groups:
        for key in ("lr", "initial_lr", "max_lr", "min_lr"):
            value = g.get(key)
            if isinstance(value, torch.Tensor):
                with torch.no_grad():
                    value.mul_(factor)
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                g[key] = float(value) * factor
    for s in schedulers_of(configs):
        for name in ("base_lrs", "max_lrs", "_last_lr"):
            values = getattr(s, name, None)
            if isinstance(values, list):
                setattr(s, name, [v * factor for v in values])


class Quiet:
    """During the range test: ``self.log`` / ``self.log_dict`` do nothing (nothing reaches the real run's
    metrics) and, unless ``clip=False`` (lrlab clips itself), the trainer's gradient clipping runs before
    each optimizer step (a step pre-hook)."""

    def __init__(self, trainer: Any, module: Any, optimizer: torch.optim.Optimizer, *, clip: bool = True) -> None:
        self._trainer, self._module, self._optimizer = trainer, module, optimizer
        self._clip = clip
        self._hook: Any = None

    def __enter__(self) -> Quiet:
        module, trainer = self._module, self._trainer
        self._saved = {name: module.__dict__.get(name) for name in ("log", "log_dict")}

        def ignore(*args: Any, **kwargs: Any) -> None:
            return None

        object.__setattr__(module, "log", ignore)
        object.__setattr__(module, "log_dict", ignore)

        def clip(optimizer: Any, args: Any, kwargs: Any) -> None:
            trainer.precision_plugin._clip_gradients(
                module, optimizer, trainer.gradient_clip_val, gradient_clip_algorithm=trainer.gradient_clip_algorithm
            )

        if self._clip:
            self._hook = self._optimizer.register_step_pre_hook(clip)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._hook is not None:
            self._hook.remove()
        for name, value in self._saved.items():
            if value is None:
                self._module.__dict__.pop(name, None)
            else:
                object.__setattr__(self._module, name, value)


def norm_clipping(trainer: Any, module: Any, lightning_module: Any) -> float | None:
    """The trainer's clipping as lrlab's ``max_grad_norm``: ``gradient_clip_val`` when it clips by norm
    (``gradient_clip_algorithm`` ``"norm"`` or unset), else ``None``: no clipping, ``"value"`` clipping,
    manual optimization, or a module with its own ``configure_gradient_clipping`` (which only the
    range test's pre-hook runs)."""
    value, algorithm = trainer.gradient_clip_val, trainer.gradient_clip_algorithm
    if value is None or not float(value) > 0 or not getattr(module, "automatic_optimization", True):
        return None
    if algorithm is not None and str(getattr(algorithm, "value", algorithm)).lower() != "norm":
        return None
    if type(module).configure_gradient_clipping is not lightning_module.configure_gradient_clipping:
        return None
    return float(value)
