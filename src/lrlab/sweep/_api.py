"""``sweep_lr``: check the input, pick the vmapped or the sequential path, build the result."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab import distributed
from lrlab._checks import Progress, check_callable, check_choice, check_int, check_max_norm, check_seed, show
from lrlab.hessian.edge import edge_constant, is_adam
from lrlab.hessian.track import CopyTracker
from lrlab.schedules.shape import Shape, schedule_shape
from lrlab.sweep._batches import BatchStream, validation_batches
from lrlab.sweep._common import Outcome, val_step_set
from lrlab.sweep._engine import BatchingFailed, UnusedParameters, run_vmapped
from lrlab.sweep._plan import SweepPlan, make_plan
from lrlab.sweep._ranks import sweep_across_ranks
from lrlab.sweep._sequential import run_sequential
from lrlab.sweep.result import SweepResult
from lrlab.train.checks import check_loader, unwrap
from lrlab.train.contract import Criterion, StepFn, make_step
from lrlab.train.guard import TrainModes, fork_rng

MODES = ("auto", "vmap", "sequential")
# The most copies one sweep trains (each holds a copy of the model and its optimizer state).
MAX_LRS = 10_000


class SweepFallbackWarning(RuntimeWarning):
    """The sweep trains its copies one after another (same results, slower)."""


def check_lrs(lrs: Any) -> np.ndarray:
    """``lrs`` as a ``(K,)`` float64 array.

    Raises:
        ValueError: If it is not one-dimensional, is empty, or holds an LR that is not a
            positive finite number.
    """
    if isinstance(lrs, (str, bytes)):
        raise TypeError(
            f"lrs must be a sequence of numbers (a list or an array), got the string {show(lrs)}; "
            "write lrs=[0.1, 1] or np.geomspace(1e-3, 1, 16)"
        )
    try:
        arr = np.asarray(lrs.detach().cpu() if isinstance(lrs, torch.Tensor) else lrs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"lrs must be a sequence of numbers, got {show(lrs)}") from None
    if arr.ndim != 1:
        raise ValueError(f"lrs must be a 1-D sequence of learning rates, got shape {arr.shape}")
    if arr.size < 1:
        raise ValueError("lrs must hold at least one learning rate (K >= 1), got none")
    if arr.size > MAX_LRS:
        raise ValueError(f"lrs must hold at most {MAX_LRS:,} learning rates, got {arr.size:,}")
    bad = arr[~(np.isfinite(arr) & (arr > 0))]
    if bad.size:
        raise ValueError(f"lrs must all be positive and finite, got {bad.tolist()}")
    return arr


def sweep_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: Criterion | None,
    train_loader: Iterable[Any],
    *,
    lrs: Sequence[float] | np.ndarray | torch.Tensor,
    steps: int,
    schedule: Shape = None,
    step_fn: StepFn | None = None,
    val_loader: Iterable[Any] | None = None,
    val_batches: int | None = 10,
    val_every: int | None = None,
    mode: str = "auto",
    seed: int | None = None,
    progress: Progress | None = None,
    distribute: bool = True,
    track_sharpness: int | None = None,
    max_grad_norm: float | None = None,
) -> SweepResult:
    """Train K copies of ``model`` at K learning rates for ``steps`` steps, all on the same batches.

    Each copy starts from the model's current parameters and buffers and a fresh state of
    the optimizer's class with its param groups' settings, its LR replaced by ``lrs[k]``
    (other param groups keep their LR ratios to the first); under a ``schedule`` shape,
    step ``t`` trains copy ``k`` at ``lrs[k] * factor[t]`` (as ``LambdaLR`` would). SGD, Adam and AdamW run fused
    over stacked copies in one ``vmap`` pass per step, exact to ``torch.optim``; any other
    optimizer, and any model ``vmap`` cannot batch, runs the copies one after another with
    the real optimizer (one :class:`SweepFallbackWarning` says so; results are the same).
    The model, the optimizer and the global RNG states come back untouched. Random layers
    draw the same numbers in every copy at a given step (seeded from ``seed``).

    Args:
        model: The model to copy; it is never modified.
        optimizer: Optimizer over ``model``'s parameters; its class and settings are used.
        criterion: ``criterion(model(x), y)`` must return a scalar loss for ``(x, y)``
            batches; may be ``None`` when ``step_fn`` is given.
        train_loader: A DataLoader or any re-iterable of batches, cycled if short.
        lrs: K > 0 learning rates (1 <= K <= 10,000): the peak LRs under ``schedule``.
        steps: Training steps per copy (>= 1).
        schedule: The LR schedule's shape over the ``steps`` steps (peak 1): ``None``
            (constant), an lrlab Schedule or spec, a callable ``step -> factor``, a factory
            ``optimizer -> LRScheduler``, or ``steps`` factors (:mod:`lrlab.schedules.shape`).
        step_fn: ``step_fn(model, batch) -> loss`` (or an output with ``.loss``) for batches
            that are not ``(x, y)`` pairs, as in :func:`lrlab.find_lr`; it is run on each
            copy's tensors through ``torch.func.functional_call``.
        val_loader: Optional loader of batches for the validation loss (eval mode).
        val_batches: How many validation batches to use (``None``: all).
        val_every: Validate every this many steps as well as after the last (``None``: last only).
        mode: ``"auto"``, ``"vmap"`` (raise instead of falling back) or ``"sequential"``.
        seed: Base seed of the per-step RNG seeds (``None``: drawn from the global RNG).
        progress: Called with ``(copy_steps_done, copy_steps_total)`` after each step.
        distribute: Inside an initialised process group of several ranks (``torchrun``),
            spread the K LRs over the ranks and gather the result on every rank (the same
            as a single-process sweep; every rank must pass the same batches). A model
            wrapped in ``DistributedDataParallel`` is swept through its ``.module``.
        track_sharpness: Measure every copy's sharpness ``lambda_max`` (preconditioned for
            Adam/AdamW) after steps ``0, EVERY, 2 * EVERY ...`` on the first batch of the
            stream (the batch every copy trains on first; see :mod:`lrlab.hessian.track`);
            stored as ``result.sharpness`` (K x probes). ``None`` (default): off. Not with
            ``distribute`` across ranks.
        max_grad_norm: Clip each copy's gradients before each update as
            ``torch.nn.utils.clip_grad_norm_(params, max_grad_norm)`` would in its own run: by the
            2-norm over all its trainable parameters' gradients, ``n_k``, every gradient of copy
            ``k`` times ``min(1, max_grad_norm / (n_k + 1e-6))`` (the sequential path calls torch's
            ``clip_grad_norm_`` itself). ``None`` (default): off.

    Returns:
        A :class:`SweepResult`.

    Raises:
        ValueError: For K < 1, an LR that is not positive, ``steps < 1``, an empty loader, an
            optimizer that does not hold the model's parameters, or a non-scalar loss.
        TypeError: For arguments of the wrong type or batches that are not ``(x, y)`` pairs.
    """
    lr_array = check_lrs(lrs)
    steps = check_int("steps", steps, 1)
    if val_batches is not None:
        check_int("val_batches", val_batches, 1)
    if val_every is not None:
        check_int("val_every", val_every, 1)
    check_choice("mode", mode, MODES)
    track = None if track_sharpness is None else check_int("track_sharpness", track_sharpness, 1)
    clip = check_max_norm("max_grad_norm", max_grad_norm)
    step = make_step(criterion, step_fn)
    check_seed("seed", seed)
    check_callable("progress", progress, allow_none=True)
    check_loader("train_loader", train_loader)
    if val_loader is not None:
        check_loader("val_loader", val_loader)
    shape = schedule_shape(schedule, steps)
    factors = shape.lr
    model = unwrap(model)
    if distribute and distributed.is_active():
        if track is not None:
            raise ValueError("track_sharpness must be None in a sweep spread across ranks, got " + str(track))

        def run_local(block: np.ndarray, block_seed: int) -> SweepResult:
            return sweep_lr(
                model,
                optimizer,
                criterion,
                train_loader,
                lrs=block,
                steps=steps,
                schedule=shape,
                step_fn=step_fn,
                val_loader=val_loader,
                val_batches=val_batches,
                val_every=val_every,
                mode=mode,
                seed=block_seed,
                progress=progress,
                distribute=False,
                max_grad_norm=clip,
            )

        return sweep_across_ranks(run_local, lr_array, seed)
    plan = make_plan(model, optimizer)
    if mode == "vmap" and plan.unsupported is not None:
        raise ValueError(f"mode='vmap' needs a fused update, but {plan.unsupported}")

    modes = TrainModes(model)
    pre = is_adam(optimizer)
    tracker = None
    if track is not None:
        tracker = CopyTracker(model, step, track, lr_array.size, steps, plan.device, edge_constant(optimizer, pre), pre)
    with fork_rng(plan.device):
        base_seed = int(torch.randint(0, 2**62, ()).item()) if seed is None else int(seed)
        stream = BatchStream(train_loader, plan.device, keep_all=mode == "sequential" or plan.unsupported is not None)
        val = None if val_loader is None else validation_batches(val_loader, val_batches, plan.device)
        val_at = set(val_step_set(steps, val_every))
        try:
            modes.train()
            scaled = None if bool(np.all(factors == 1.0)) else factors.tolist()
            momenta = None if shape.momentum is None else shape.momentum.tolist()
            plan, outcome, used, reason = _run(
                plan,
                step,
                lr_array,
                stream,
                steps,
                val,
                val_at,
                modes,
                base_seed,
                progress,
                mode,
                scaled,
                momenta,
                tracker,
                clip,
            )
        finally:
            modes.restore()
    return SweepResult(
        lrs=lr_array,
        steps=steps,
        train_losses=outcome.train_losses.detach().double().cpu().numpy(),
        val_losses=None if outcome.val_losses is None else outcome.val_losses.detach().double().cpu().numpy(),
        val_steps=np.asarray(sorted(val_at) if val is not None else [], dtype=np.int64),
        optimizer=plan.optimizer_class.__name__,
        mode=used,
        fallback_reason=reason,
        lr_factors=None if bool(np.all(factors == 1.0)) else factors,
        momenta=shape.momentum,
        stacked={**outcome.params, **outcome.buffers},
        shared={**plan.frozen, **plan.extra_state},
        state_keys=plan.state_keys,
        sharpness_steps=None if tracker is None else tracker.steps,
        sharpness=None if tracker is None else tracker.values,
        edge_constant=None if tracker is None else tracker.edge_constant,
        sharpness_preconditioned=tracker is not None and tracker.preconditioned,
        max_grad_norm=clip,
    )


def _run(
    plan: SweepPlan,
    step: StepFn,
    lrs: np.ndarray,
    stream: BatchStream,
    steps: int,
    val: Any,
    val_at: set[int],
    modes: TrainModes,
    base_seed: int,
    progress: Progress | None,
    mode: str,
    factors: list[float] | None,
    momenta: list[float] | None,
    tracker: CopyTracker | None = None,
    max_grad_norm: float | None = None,
) -> tuple[SweepPlan, Outcome, str, str | None]:
    lr_tensor = torch.as_tensor(lrs, dtype=torch.float64)
    args = (stream, steps, val, val_at, modes, base_seed, progress, factors, momenta)
    reason = plan.unsupported if mode == "auto" else None
    if mode != "sequential" and plan.unsupported is None:
        for _attempt in range(2):
            try:
                outcome = run_vmapped(
                    plan, step, lr_tensor.to(plan.device), *args, tracker=tracker, max_grad_norm=max_grad_norm
                )
                return plan, outcome, "vmap", None
            except UnusedParameters as exc:
                # torch.optim never touches a parameter without a gradient: freeze those.
                if len(exc.names) == len(plan.trainable):
                    raise ValueError("no trainable parameter of model gets a gradient from the loss") from None
                plan = plan.freeze(exc.names)
            except BatchingFailed as exc:
                if mode == "vmap":
                    raise (exc.__cause__ or exc) from None
                reason = f"vmap cannot batch this model ({str(exc).splitlines()[0] if str(exc) else 'error'})"
                break
    stream.keep_all = True
    k = lrs.size

    def warn() -> None:
        if reason is not None:
            warnings.warn(
                f"lrlab.sweep_lr: {reason}; training the {k} copies one after another instead "
                f"(same results, about {k}x slower). Pass mode='sequential' to silence this.",
                SweepFallbackWarning,
                stacklevel=5,
            )

    outcome = run_sequential(
        plan, step, lr_tensor, *args, on_first_step=warn, tracker=tracker, max_grad_norm=max_grad_norm
    )
    return plan, outcome, "sequential", reason
