"""One run of the Lightning adapter: read the trainer, run the range test (or ``suggest_lr``), apply the LR."""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import torch

from lrlab import distributed
from lrlab._checks import show
from lrlab.confirm.result import Confirmation
from lrlab.confirm.suggest import suggest_lr
from lrlab.finder.loop import find_lr
from lrlab.finder.result import LRFinderResult
from lrlab.integrations._lightning_parts import (
    Quiet,
    TrainerBatches,
    make_step_fn,
    norm_clipping,
    sample_schedule,
    scale_lrs,
)
from lrlab.schedules.shape import ScheduleShape
from lrlab.train.guard import StateGuard

__all__ = ["LightningLR", "import_lightning", "lr_attr", "run"]

LR_ATTRS = ("lr", "learning_rate")


def import_lightning() -> tuple[ModuleType, ModuleType]:
    """``lightning.pytorch`` (or, without it, ``pytorch_lightning``) and its ``utilities.exceptions``.

    Raises:
        ImportError: If neither is installed, naming the extra to install.
    """
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return importlib.import_module(name), importlib.import_module(name + ".utilities.exceptions")
        except ImportError:
            continue
    raise ImportError(
        "lrlab.integrations.lightning needs Lightning (lightning.pytorch or pytorch_lightning), which is not "
        "installed; pip install lrlab[lightning]"
    )


@dataclass(frozen=True, eq=False)
class LightningLR:
    """What the Lightning adapter found and did.

    Attributes:
        lr: The suggested **peak** learning rate of the first param group.
        range_test: The range test's curve.
        confirmation: ``suggest_lr``'s answer with ``mode="confirm"``, else ``None``.
        method: The rule read off the range test, or ``"confirm"``.
        applied: Whether the LR was set on the optimizer, the schedulers and the module.
        attr_name: The module attribute that was set (``"lr"``, ``"learning_rate"``...), or ``None``.
        total_steps: The run length the schedule was read over (``None`` when none was read).
    """

    lr: float
    range_test: LRFinderResult
    confirmation: Confirmation | None
    method: str
    applied: bool
    attr_name: str | None
    total_steps: int | None

    def __repr__(self) -> str:
        return (
            f"LightningLR(lr={self.lr:.4g}, method={self.method!r}, applied={self.applied}, "
            f"attr_name={self.attr_name!r}, range_test={self.range_test!r})"
        )

    def plot(self, **kwargs: Any) -> Any:
        """The figure: the confirmation's panels, or the range test's curve (a matplotlib ``Figure``)."""
        if self.confirmation is not None:
            return self.confirmation.plot(**kwargs)
        return self.range_test.plot(**kwargs).figure


def lr_attr(module: Any, attr_name: str | None, *, required: bool) -> str | None:
    """The module's LR attribute (on it or in its ``hparams``), as Lightning's tuner finds it.

    Raises:
        ValueError: If ``attr_name`` is not found, or none of ``lr`` / ``learning_rate`` is and ``required``.
    """
    parsing = importlib.import_module(import_lightning()[0].__name__ + ".utilities.parsing")
    if attr_name is not None:
        if not parsing.lightning_hasattr(module, attr_name):
            raise ValueError(f"attr_name must name an attribute of the module or of its hparams, got {show(attr_name)}")
        return attr_name
    for name in LR_ATTRS:
        if parsing.lightning_hasattr(module, name):
            return name
    if required:
        raise ValueError(
            "the module must have an 'lr' or 'learning_rate' attribute (or hparams entry) that "
            "configure_optimizers reads, got neither; pass attr_name=... or apply=False"
        )
    return None


def _optimizer(trainer: Any, module: Any) -> tuple[torch.optim.Optimizer, list[Any]]:
    if not module.automatic_optimization:
        raise ValueError(
            "the module must use automatic optimization (the range test steps the optimizer itself), got "
            "automatic_optimization=False"
        )
    optimizers = list(trainer.optimizers)
    if len(optimizers) != 1:
        raise ValueError(f"configure_optimizers must return one optimizer for the LR finder, got {len(optimizers)}")
    configs = list(trainer.lr_scheduler_configs)
    return optimizers[0], configs


def _run_length(trainer: Any, total_steps: int | None) -> int:
    if total_steps is not None:
        return total_steps
    steps = trainer.estimated_stepping_batches
    if not math.isfinite(steps) or steps < 1:
        raise ValueError(
            f"total_steps must be given when the trainer's run has no finite length (max_steps={trainer.max_steps}, "
            f"max_epochs={trainer.max_epochs}), got None"
        )
    return int(steps)


def _set_lr(group: dict[str, Any], lr: float) -> None:
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(lr)
    else:
        group["lr"] = lr


def run(trainer: Any, module: Any, options: dict[str, Any]) -> LightningLR:
    """Run the range test (or ``suggest_lr``) on the trainer's objects and apply the LR; see the callback."""
    pl = import_lightning()[0]
    signatures = importlib.import_module(pl.__name__ + ".utilities.signature_utils")
    combined_cls = importlib.import_module(pl.__name__ + ".utilities.combined_loader").CombinedLoader
    optimizer, configs = _optimizer(trainer, module)
    attr = (
        lr_attr(module, options["attr_name"], required=options["attr_name"] is not None) if options["apply"] else None
    )
    confirm = options["mode"] == "confirm"
    stepped = [c for c in configs if not c.reduce_on_plateau]
    if confirm and len(stepped) < len(configs):
        raise ValueError(
            "mode='confirm' must read the schedule's shape, got ReduceLROnPlateau, which follows the metrics"
        )
    loop = trainer.fit_loop
    ours = loop._combined_loader is None  # else configure_optimizers read estimated_stepping_batches
    reload_epoch = loop._last_train_dl_reload_epoch
    model = trainer.strategy.model
    total: int | None = None
    shape = None
    # The guard is entered before the loader is set up: the RNG draws of that set-up are undone, and the
    # loader is set up again by fit at its usual time (as Lightning's own LR finder does).
    # With mode="confirm" and norm clipping, lrlab clips the range test and every sweep copy itself.
    clip = norm_clipping(trainer, module, pl.LightningModule) if confirm else None
    with StateGuard(module, optimizer), Quiet(trainer, module, optimizer, clip=clip is None):
        try:
            loop.setup_data()
            if loop._combined_loader is None:
                raise ValueError(
                    "the trainer must have training batches for the range test, got none "
                    f"(limit_train_batches={trainer.limit_train_batches!r}, or no training_step)"
                )
            peaks = [float(g["lr"]) for g in optimizer.param_groups]
            if stepped or confirm:
                total = _run_length(trainer, options["total_steps"])
            if stepped and total is not None:
                per_epoch = trainer.num_training_batches
                per_epoch = (
                    math.ceil(per_epoch / trainer.accumulate_grad_batches) if math.isfinite(per_epoch) else total + 1
                )
                memo = {id(module): module, id(trainer): trainer, id(model): model}
                lrs, moms = sample_schedule(optimizer, stepped, total, max(per_epoch, 1), memo)
                peaks = lrs.max(axis=0).tolist()
                factors = lrs[:, 0] / peaks[0] if peaks[0] > 0 else lrs[:, 0]
                name = "+".join(type(c.scheduler).__name__ for c in stepped)
                shape = ScheduleShape(_frozen(factors), None if moms is None else _frozen(moms), name)
            if not (peaks[0] > 0 and all(math.isfinite(p) and p >= 0 for p in peaks)):
                raise ValueError(f"the optimizer's peak LRs must be finite, the first > 0, got {peaks}")
            for group, peak in zip(optimizer.param_groups, peaks):
                _set_lr(group, peak)  # the range test keeps the groups' ratios at the schedule's peak
            batches = TrainerBatches(trainer, loop._combined_loader, combined_cls)
            takes_idx = signatures.is_param_in_hook_signature(module.training_step, "batch_idx", min_args=2)
            step = make_step_fn(trainer, takes_idx)
            common: dict[str, Any] = dict(
                smooth=options["smooth"],
                diverge_th=options["diverge_th"],
                accumulation_steps=int(trainer.accumulate_grad_batches),
                # The precision plugin's context runs in the step; float16 also needs lrlab's GradScaler.
                amp=torch.float16 if str(trainer.precision) == "16-mixed" else False,
            )
            confirmation = None
            if confirm:
                confirmation = suggest_lr(
                    model,
                    optimizer,
                    None,
                    batches,
                    schedule=shape,
                    total_steps=total,
                    step_fn=step,
                    budget_steps=options["budget_steps"],
                    start_lr=options["start_lr"],
                    end_lr=options["end_lr"],
                    num_iter=options["num_iter"],
                    seed=options["seed"],
                    range_test_options=common,
                    max_grad_norm=clip,
                )
                range_test, lr = confirmation.range_test, confirmation.lr
            else:
                range_test = find_lr(
                    model,
                    optimizer,
                    None,
                    batches,
                    start_lr=options["start_lr"],
                    end_lr=options["end_lr"],
                    num_iter=options["num_iter"],
                    mode=options["mode"],
                    step_fn=step,
                    **common,
                )
                lr = range_test.suggest(options["method"]).lr
        finally:
            if ours and loop._combined_loader is not None:
                if loop._data_fetcher is not None:
                    loop._data_fetcher.teardown()
                loop._combined_loader, loop._data_fetcher = None, None
                loop._last_train_dl_reload_epoch = reload_epoch
    lr = float(distributed.broadcast(lr))  # the ranks' curves are all-reduced already: one LR for sure
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"the suggested LR must be finite and > 0, got {lr}")
    if options["apply"]:
        scale_lrs(optimizer, configs, lr / peaks[0])
        if attr is not None:
            importlib.import_module(pl.__name__ + ".utilities.parsing").lightning_setattr(module, attr, lr)
    return LightningLR(
        lr=lr,
        range_test=range_test,
        confirmation=confirmation,
        method="confirm" if confirm else options["method"],
        applied=options["apply"],
        attr_name=attr,
        total_steps=total,
    )


def _frozen(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=np.float64)
    out.setflags(write=False)
    return out
