"""``LRFinderCallback``: lrlab's peak-LR suggestion inside ``trainer.train()``, at ``on_train_begin``.

By ``on_train_begin`` the Trainer has built its optimizer and its scheduler (a ``LambdaLR`` for
every ``args.lr_scheduler_type`` with a shape) and hands them, with the model and the train loader,
to its callbacks. The callback runs :func:`lrlab.confirm.suggest_lr` on them (everything comes back
bitwise), then sets the suggested peak: each param group's ``initial_lr`` and the scheduler's
``base_lrs`` (group ratios kept), and the group's current LR ``base * lr_lambda(last_epoch)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from transformers import TrainerCallback

from lrlab import confirm
from lrlab._checks import check_bool, show
from lrlab.confirm.result import Confirmation
from lrlab.integrations._hf_trainer import set_learning_rate

__all__ = ["LRFinderCallback"]


class LRFinderCallback(TrainerCallback):
    """Suggest the peak LR at the start of ``trainer.train()`` and train with it.

    Args:
        apply: Train with the suggestion (else only record it in :attr:`result`).
        **options: Keywords of :func:`lrlab.confirm.suggest_lr` (``budget_steps``, ``start_lr``,
            ``end_lr``, ``num_iter``, ``seed`` (default ``args.seed``), ``step_fn`` (default
            ``model(**batch)``'s ``.loss``), ``max_grad_norm`` (default ``args.max_grad_norm``, 0:
            none; the range test and every sweep copy clip to it), ``range_test_options``, ``progress``).

    Attributes:
        result: The :class:`~lrlab.confirm.result.Confirmation`, once training has begun.

    Raises:
        ValueError: For an option ``suggest_lr`` does not take (when created); for a scheduler
            that is not a ``LambdaLR`` (at ``on_train_begin``, before anything trains).
    """

    _GIVEN = ("model", "optimizer", "criterion", "train_loader", "schedule", "total_steps")

    def __init__(self, *, apply: bool = True, **options: Any) -> None:
        import inspect

        allowed = [n for n in inspect.signature(confirm.suggest_lr).parameters if n not in self._GIVEN]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ValueError(f"options must be among {sorted(allowed)}, got {unknown}")
        self.apply = check_bool("apply", apply)
        self.options = options
        self.result: Confirmation | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Run the suggestion on the Trainer's model, optimizer, scheduler and loader; set its LR."""
        model, scheduler, loader = kwargs.get("model"), kwargs.get("lr_scheduler"), kwargs.get("train_dataloader")
        optimizer = kwargs.get("optimizer")
        inner = getattr(optimizer, "optimizer", optimizer)  # accelerate's wrapper holds the torch optimizer
        if not isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
            raise ValueError(f"lr_scheduler must be a LambdaLR to read its shape, got {show(scheduler)}")
        if not isinstance(inner, torch.optim.Optimizer) or model is None or loader is None:
            raise ValueError("on_train_begin must be given the model, optimizer and train_dataloader, got none")
        steps = int(state.max_steps)
        lam = scheduler.lr_lambdas[0]
        factors = np.array([float(lam(t)) for t in range(steps)])
        options = dict(self.options)
        options.setdefault("seed", args.seed)
        clip = getattr(args, "max_grad_norm", None)
        options.setdefault("max_grad_norm", clip if clip is not None and clip > 0 else None)
        if options.get("step_fn") is None:
            options["step_fn"] = lambda m, batch: m(**batch)
        test_options = dict(options.pop("range_test_options", None) or {})
        test_options.setdefault("accumulation_steps", args.gradient_accumulation_steps)
        # The scheduler has set step 0's LR (0 at a warmup's start); lrlab reads the groups' peak ratios.
        current = [group["lr"] for group in inner.param_groups]
        for group, base in zip(inner.param_groups, scheduler.base_lrs):
            group["lr"] = base
        try:
            self.result = confirm.suggest_lr(
                model,
                inner,
                None,
                loader,
                schedule=factors / factors.max(),
                total_steps=steps,
                range_test_options=test_options,
                **options,
            )
        finally:
            for group, lr in zip(inner.param_groups, current):
                group["lr"] = lr
        if self.apply:
            _set_peak(inner, scheduler, self.result.lr)
            set_learning_rate(args, self.result.lr)


def _set_peak(optimizer: torch.optim.Optimizer, scheduler: Any, lr: float) -> None:
    """Make ``lr`` the scheduler's peak: the first group's base LR, the others' in their ratio to it."""
    first = float(scheduler.base_lrs[0])
    for i, group in enumerate(optimizer.param_groups):
        base = lr * float(scheduler.base_lrs[i]) / first
        scheduler.base_lrs[i] = base
        group["initial_lr"] = base
        group["lr"] = base * float(scheduler.lr_lambdas[i](scheduler.last_epoch))
    scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]
