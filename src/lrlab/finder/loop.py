"""The LR range test: train with a rising learning rate and record the loss at each step."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab import distributed
from lrlab._checks import Progress, check_callable, check_int, check_max_norm
from lrlab.finder._checks import amp_dtype, check_range
from lrlab.finder._monitor import COMPLETED, LossMonitor, lr_sequence
from lrlab.finder._record import Recorder
from lrlab.finder.result import LRFinderResult
from lrlab.hessian.track import FirstBatch, SharpnessTracker
from lrlab.train.batches import LoaderCycle, take
from lrlab.train.checks import check_loader, check_model_and_optimizer, group_ratios
from lrlab.train.contract import Criterion, StepFn, make_step
from lrlab.train.guard import StateGuard
from lrlab.train.step import eval_loss, train_step

LossReduce = Callable[[torch.Tensor], torch.Tensor]

# Steps between host syncs on an accelerator; a CPU checks every step (no sync to save).
GPU_CHECK_EVERY = 10

__all__ = ["find_lr", "GPU_CHECK_EVERY"]


def find_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: Criterion | None,
    train_loader: Iterable[Any],
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    mode: str = "exp",
    smooth: float = 0.98,
    diverge_th: float = 4.0,
    val_loader: Iterable[Any] | None = None,
    val_batches: int = 4,
    accumulation_steps: int = 1,
    amp: bool | torch.dtype = False,
    step_fn: StepFn | None = None,
    device: torch.device | str | None = None,
    check_every: int | None = None,
    reduce_loss: LossReduce | None = None,
    progress: Progress | None = None,
    track_sharpness: int | None = None,
    max_grad_norm: float | None = None,
) -> LRFinderResult:
    """Run the learning-rate range test (Smith 2015; fastai's ``lr_find``) on any model.

    Step ``i`` of ``num_iter`` trains one optimizer step at

    * ``exp``:    ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))``
    * ``linear``: ``lr_i = start_lr + (end_lr - start_lr) * i / (num_iter - 1)``

    and records its loss. Param groups keep their LR ratios: group ``k`` gets
    ``lr_i * lr_k / lr_0`` (LRs as the optimizer held them). The monitored loss is
    smoothed by a bias-corrected EMA, ``s_i = avg_i / (1 - smooth ** (i + 1))`` with
    ``avg_i = smooth * avg_{i-1} + (1 - smooth) * loss_i``, and the test stops when
    ``s_i > diverge_th * min(s_0..s_i)`` or a loss is NaN or Inf. A loader shorter than
    ``num_iter * accumulation_steps`` batches is restarted.

    **Nothing is lost**: afterwards — also after an exception or Ctrl-C — the model's
    parameters, buffers and grads, the optimizer's state and param groups, the Python,
    NumPy, torch (and CUDA) RNG states and every module's train/eval flag are bitwise
    what they were. The snapshot is kept on the CPU; no file is written.

    **Host syncs**: on a CPU the stop rule is checked after every step. On an
    accelerator the losses stay on the device and are copied to the host in chunks of
    ``check_every`` steps (default :data:`GPU_CHECK_EVERY`); on CUDA each chunk is read
    one chunk later, so the loop never waits for the GPU. Up to ``2 * check_every - 1``
    steps past a divergence may run; they are discarded, so the result equals an
    every-step check (and the guard undoes their effect).

    Args:
        model: Any module; batches are moved to the device of its first trainable parameter.
        optimizer: An optimizer over (some of) ``model``'s parameters; its LRs are
            overwritten during the test and restored after.
        criterion: ``criterion(model(x), y) -> loss`` for ``(x, y, *rest)`` batches;
            may be ``None`` when ``step_fn`` is given.
        train_loader: A DataLoader or any re-iterable of batches (a list ...).
        start_lr, end_lr: The LR range, ``0 < start_lr < end_lr``.
        num_iter: Optimizer steps, ``2 <= num_iter <= 1,000,000``.
        mode: ``"exp"`` or ``"linear"``.
        smooth: EMA factor in ``[0, 1)``; 0 disables smoothing.
        diverge_th: Stop when the smoothed loss exceeds this multiple of its best (``> 1``).
        val_loader: When given, the first ``val_batches`` batches are evaluated (eval mode,
            no grad) after each step; the mean of their losses is then the monitored loss.
        val_batches: How many validation batches, ``>= 1``.
        accumulation_steps: Micro-batches per optimizer step, ``>= 1``.
        amp: ``True`` (float16 on CUDA, bfloat16 elsewhere) or a dtype: the forward
            runs under ``torch.autocast``; float16 also uses a ``GradScaler``.
        step_fn: ``step_fn(model, batch) -> loss`` for batches that are not ``(x, y)``
            (dicts, models returning their own loss); it may return the scalar loss or an
            output with a ``.loss`` (a Hugging Face model's), see :mod:`lrlab.train.contract`.
        device: Where batches go; must be the model's device (lrlab never moves a model).
        check_every: Steps between stop-rule checks (default: 1 on CPU, 10 otherwise).
        reduce_loss: Applied to each chunk of step losses (a 1-D tensor, or 2 x k with
            validation) before they are recorded. Inside an initialised process group of
            several ranks (``torchrun``, a model wrapped in ``DistributedDataParallel``) it
            defaults to :func:`lrlab.distributed.mean`, an all-reduce: every rank records the
            same curve, stops on the same step and reads the same suggestion.
        progress: Called as ``progress(done, num_iter)`` after each step.
        track_sharpness: Measure the sharpness ``lambda_max`` (preconditioned for Adam/AdamW)
            after steps ``0, EVERY, 2 * EVERY ...`` on a fixed probe batch, the first batch the
            test trained on (see :mod:`lrlab.hessian.track`); stored as ``result.sharpness``
            with its threshold ``result.edge_constant / lr``. ``None`` (default): off.
        max_grad_norm: Clip the gradients before each optimizer step as
            ``torch.nn.utils.clip_grad_norm_(params, max_grad_norm)`` does, over every parameter
            the optimizer trains (after accumulation and a grad scaler's unscale): with
            ``n = sqrt(sum_p ||g_p||^2)``, every ``g_p *= min(1, max_grad_norm / (n + 1e-6))``.
            A non-finite norm makes the grads non-finite, and the test stops. ``None`` (default): off.

    Returns:
        The :class:`LRFinderResult`; ``result.suggest()`` reads a learning rate off it.

    Raises:
        TypeError, ValueError: For bad arguments, before anything is changed; for a
            non-scalar loss or a loader that runs dry, with everything restored.

    Examples:
        >>> import torch
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> x = torch.randn(64, 3); y = x @ torch.tensor([1.0, -2.0, 0.5])
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> data = [(x[i:i + 16], y[i:i + 16, None]) for i in range(0, 64, 16)]
        >>> result = find_lr(model, opt, torch.nn.MSELoss(), data, start_lr=1e-4, end_lr=10, num_iter=60)
        >>> result.stop_reason, opt.param_groups[0]["lr"]
        ('diverged', 0.1)
    """
    check_range(start_lr, end_lr, num_iter, mode, smooth, diverge_th)
    dev = check_model_and_optimizer(model, optimizer, device)
    accumulation_steps = check_int("accumulation_steps", accumulation_steps, 1)
    val_batches = check_int("val_batches", val_batches, 1)
    every = 1 if dev.type == "cpu" else GPU_CHECK_EVERY
    every = every if check_every is None else check_int("check_every", check_every, 1)
    step = make_step(criterion, step_fn)
    check_callable("progress", progress, allow_none=True)
    check_callable("reduce_loss", reduce_loss, allow_none=True)
    check_loader("train_loader", train_loader)
    if val_loader is not None:
        check_loader("val_loader", val_loader)
    ratios = group_ratios(optimizer)
    dtype = amp_dtype(amp, dev)
    track = None if track_sharpness is None else check_int("track_sharpness", track_sharpness, 1)
    clip = check_max_norm("max_grad_norm", max_grad_norm)

    if reduce_loss is None and distributed.is_active():
        # Under DDP every rank records the ranks' mean loss: the same curve, the same
        # stop step (a NaN on one rank is a NaN in the mean), the same suggestion.
        reduce_loss = distributed.mean
    lrs = lr_sequence(float(start_lr), float(end_lr), int(num_iter), mode)
    monitor = LossMonitor(float(smooth), float(diverge_th))
    record = Recorder(monitor, every, reduce_loss, with_val=val_loader is not None)

    with StateGuard(model, optimizer):
        autocast = None if dtype is None else torch.autocast(dev.type, dtype=dtype)
        scaler = torch.amp.GradScaler(dev.type) if dtype == torch.float16 else None
        batches = LoaderCycle(train_loader, "train_loader") if track is None else FirstBatch(train_loader)
        tracker = None if track is None else SharpnessTracker(model, optimizer, step, track, dev)
        val_data = None if val_loader is None else take(val_loader, val_batches, dev, "val_loader")
        setters = [_lr_setter(g, r) for g, r in zip(optimizer.param_groups, ratios)]
        model.train()
        for i, lr in enumerate(lrs.tolist()):
            for set_lr in setters:
                set_lr(lr)
            loss = train_step(
                model,
                optimizer,
                batches,
                step,
                dev,
                accumulation_steps=accumulation_steps,
                autocast=autocast,
                scaler=scaler,
                max_grad_norm=clip,
            )
            val = None if val_data is None else eval_loss(model, val_data, step, autocast)
            if record.add(loss, val):
                break
            if tracker is not None and isinstance(batches, FirstBatch):
                tracker.after_step(i, batches.first)
            if progress is not None:
                progress(i + 1, num_iter)
        record.finish()

    n = len(record.losses)
    probes = None if tracker is None else tracker.arrays(n)
    return LRFinderResult(
        lrs=lrs[:n],
        losses=np.asarray(record.losses),
        smoothed=np.asarray(monitor.smoothed),
        val_losses=None if record.val_losses is None else np.asarray(record.val_losses),
        stop_reason=monitor.stop_reason or COMPLETED,
        start_lr=float(start_lr),
        end_lr=float(end_lr),
        num_iter=int(num_iter),
        mode=mode,
        smooth=float(smooth),
        diverge_th=float(diverge_th),
        monitor="train" if val_loader is None else "val",
        sharpness_steps=None if probes is None else probes[0],
        sharpness=None if probes is None else probes[1],
        edge_constant=None if tracker is None else tracker.edge_constant,
        sharpness_preconditioned=tracker is not None and tracker.preconditioned,
    )


def _lr_setter(group: dict[str, Any], ratio: float) -> Callable[[float], None]:
    if isinstance(group["lr"], torch.Tensor):  # a tensor LR (capturable optimizers): keep the object
        lr_tensor = group["lr"]

        def fill_lr(lr: float) -> None:
            lr_tensor.fill_(lr * ratio)

        return fill_lr

    def set_lr(lr: float) -> None:
        group["lr"] = lr * ratio

    return set_lr
