"""``suggest_lr``: the peak LR for the user's own schedule and training length.

The decisions are in :mod:`lrlab.confirm.rule` (pure numbers); this module runs them: the range
test (:func:`lrlab.find_lr`), then rounds of copies trained under the schedule shape
(:func:`lrlab.sweep_lr`), then the pick. The model, the optimizer and any scheduler the user
has come back exactly as they were (both stages guarantee it; a scheduler factory is only
ever called on a private optimizer).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

import lrlab.confirm.rule as rule
from lrlab._checks import Progress, check_callable, check_int, check_max_norm
from lrlab.confirm.result import Confirmation, Round
from lrlab.finder import find_lr
from lrlab.schedules.shape import MAX_STEPS, Shape, schedule_shape
from lrlab.sweep import sweep_lr
from lrlab.train.batches import is_one_shot
from lrlab.train.contract import Criterion, StepFn

__all__ = ["suggest_lr"]

# A run's length when the user gives none: the rounds are then not capped, and nothing is extrapolated.
_UNKNOWN_LENGTH = 10**9


def suggest_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: Criterion | None,
    train_loader: Iterable[Any],
    *,
    schedule: Shape = None,
    total_steps: int | None = None,
    step_fn: StepFn | None = None,
    budget_steps: int | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    seed: int | None = None,
    range_test_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    max_grad_norm: float | None = None,
) -> Confirmation:
    """Suggest the **peak** learning rate for the run you will do: your schedule, your training length.

    A range test finds where training is plausible; copies of the model then train there
    under your schedule's shape compressed to short horizons, in vmapped sweeps, and the pick
    is where their loss is lowest (:mod:`lrlab.confirm.rule` has the rule, step by step).

    Args:
        model, optimizer, criterion, train_loader: As for :func:`lrlab.find_lr`; ``criterion``
            may be ``None`` when ``step_fn`` is given.
        schedule: The **shape** of your schedule, peak 1: ``None`` (constant), an lrlab
            ``Schedule`` or spec (``"warmup_cosine(1.0, warmup=100, total=2000, min_lr=0)"``), a
            callable ``step -> factor`` (a ``LambdaLR`` ``lr_lambda``), or a factory
            ``optimizer -> LRScheduler`` whose peak is the optimizer's LR (``lambda opt:
            OneCycleLR(opt, max_lr=opt.param_groups[0]["lr"], total_steps=N)``).
        total_steps: Your training length in optimizer steps (>= 1); needed with a schedule.
            ``None`` with a constant LR: a suggestion for a run as long as the budget allows.
        step_fn: ``step_fn(model, batch) -> loss`` (or an output with ``.loss``) for batches
            that are not ``(x, y)`` pairs; every stage uses it.
        budget_steps: The most training steps to spend, every copy counted (default
            ``max(400, total_steps / 10)``).
        start_lr, end_lr, num_iter: The range test's sweep.
        seed: Seed of the copies' per-step randomness (dropout); ``None`` draws one.
        range_test_options: More keyword arguments for :func:`lrlab.find_lr`.
        progress: Called with ``(steps_done, steps_total)``, every copy's steps counted.
        max_grad_norm: Clip the gradient norm to this before every optimizer step, as
            ``torch.nn.utils.clip_grad_norm_`` does, in the range test and in every copy of the
            rounds (each copy by its own gradients' norm). ``None`` (default): no clipping.

    Returns:
        A :class:`~lrlab.confirm.result.Confirmation`: ``.lr`` (the peak LR), ``.band``,
        ``.cost_steps``, ``.wall_s`` and the evidence (``.range_test``, ``.rounds``); ``.plot()``.

    Raises:
        ValueError, TypeError: For bad arguments, before anything trains: a shape whose peak
            is not 1 or that goes negative or non-finite, ``total_steps < 1``, a factory that
            does not return a scheduler, a budget too small for the plan.

    Examples:
        >>> import torch
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> x = torch.randn(256, 4); y = x @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]])
        >>> data = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 256, 32)]
        >>> model = torch.nn.Linear(4, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> conf = suggest_lr(model, opt, torch.nn.MSELoss(), data, schedule="cosine(1.0, total=300)",
        ...                   total_steps=300, seed=0)
        >>> conf.cost_steps <= 400 and conf.band[0] <= conf.lr <= conf.band[1]
        True
    """
    start = time.perf_counter()
    if schedule is not None and total_steps is None:
        raise ValueError(
            "total_steps must be given with a schedule (the shape is read over your run's length), got None"
        )
    length = _UNKNOWN_LENGTH if total_steps is None else check_int("total_steps", total_steps, 1, MAX_STEPS)
    if is_one_shot(train_loader):
        raise ValueError(
            "train_loader must be re-iterable (a DataLoader or a list of batches), got a one-shot iterator; "
            "suggest_lr trains several runs from the start of it"
        )
    shape = None if schedule is None else schedule_shape(schedule, length)
    budget = rule.default_budget(total_steps) if budget_steps is None else check_int("budget_steps", budget_steps, 1)
    num_iter = check_int("num_iter", num_iter, 2)
    check_callable("progress", progress, allow_none=True)
    clip = check_max_norm("max_grad_norm", max_grad_norm)
    options = dict(range_test_options or {})
    if "step_fn" in options:  # one batch -> loss contract for every stage
        if step_fn is not None:
            raise ValueError("step_fn must be given once, got it both as an argument and in range_test_options")
        step_fn = options.pop("step_fn")
    clash = sorted(set(options) & {"start_lr", "end_lr", "num_iter", "progress", "max_grad_norm"})
    if clash:
        raise ValueError(f"range_test_options must not repeat suggest_lr's own arguments, got {clash}")
    plan = rule.make_plan(budget, num_iter, length)
    report = progress or (lambda done, total: None)

    range_test = find_lr(
        model,
        optimizer,
        criterion,
        train_loader,
        start_lr=start_lr,
        end_lr=end_lr,
        num_iter=num_iter,
        step_fn=step_fn,
        progress=lambda i, n: report(i, plan.cost),
        max_grad_norm=clip,
        **options,
    )
    done = range_test.steps
    total = plan.cost - (num_iter - range_test.steps)  # a range test that stopped early spent less
    warnings = list(range_test.warnings)
    low, high = rule.screen_window(float(range_test.lrs[-1]))

    rounds: list[Round] = []
    lrs = rule.screen_lrs(low, high)

    def report_from(base: int) -> Progress:
        return lambda d, n: report(base + d, total)

    for i, rp in enumerate(plan.rounds):
        if i > 0:
            lrs = _next_lrs(rounds[-1], lrs)
        horizon_shape = None if shape is None else shape.compress(rp.horizon)
        held = _first_batches(train_loader, rp.held_out) if rp.held_out else None
        sweep = sweep_lr(
            model,
            optimizer,
            criterion,
            train_loader,
            lrs=lrs,
            steps=rp.horizon,
            schedule=horizon_shape,
            step_fn=step_fn,
            seed=seed,
            progress=report_from(done),
            val_loader=held,
            val_batches=None,
            max_grad_norm=clip,
        )
        done += rp.cost
        report(done, total)  # the round's scoring batches included
        scores = rule.score_copies(sweep.train_losses)
        if sweep.val_losses is not None:
            scores = np.where(
                np.isfinite(scores) & np.isfinite(sweep.val_losses[:, -1]), sweep.val_losses[:, -1], np.inf
            )
        lr, how = rule.locate(sweep.lrs, scores)
        rounds.append(Round(rp.horizon, sweep, scores, lr, how, rp.held_out))

    last = rounds[-1]
    if math.isnan(last.lr):
        # Every copy of the last round diverged: the smallest LR anything trained at.
        pick, how = float(min(r.lrs.min() for r in rounds)), "fallback"
        warnings.append(
            "every copy of the last round diverged under the schedule; the suggestion is the "
            "smallest LR tried: lower start_lr or check the model"
        )
    else:
        pick, how = last.lr, last.how
        if how in ("low-end", "high-end"):
            warnings.append(
                f"the best peak LR sat at the {how.split('-')[0]} end of the LRs tried "
                f"({last.lrs.min():.3g} .. {last.lrs.max():.3g}); the optimum may lie beyond"
            )
    factor = (
        1.0
        if total_steps is None
        else rule.horizon_factor(last.horizon, total_steps, None if shape is None else shape.lr)
    )
    lr = pick * factor
    band = tuple(f * factor for f in rule.good_band(last.lrs, last.scores, pick))
    return Confirmation(
        lr=float(lr),
        band=(float(band[0]), float(band[1])),
        schedule="constant" if shape is None else shape.name,
        total_steps=total_steps,
        budget_steps=budget,
        cost_steps=done,
        wall_s=time.perf_counter() - start,
        range_test=range_test,
        rounds=tuple(rounds),
        how=how,
        horizon_factor=factor,
        warnings=tuple(warnings),
        lr_factors=None if shape is None else shape.lr,
    )


def _first_batches(loader: Iterable[Any], count: int) -> list[Any]:
    """The first ``count`` batches of a fresh pass over ``loader``, the global RNG left as it was
    (a shuffling DataLoader draws its order's seed from torch's generator)."""
    with torch.random.fork_rng(devices=[]):
        return list(itertools.islice(iter(loader), count))


def _next_lrs(previous: Round, previous_lrs: np.ndarray) -> np.ndarray:
    """The next round's LRs: ``REFINE_LRS`` around the previous round's best, spanning about
    ``REFINE_SPAN`` of its grid steps; beyond its end when the best sat at an end."""
    logs = np.log10(np.sort(previous_lrs))
    step = float(np.median(np.diff(logs))) if logs.size > 1 else 0.5
    if math.isnan(previous.lr):  # everything diverged: look below
        center = float(previous_lrs.min()) * 10 ** (-step)
    else:
        center = previous.lr
    spacing = rule.REFINE_SPAN * step * 2 / max(rule.REFINE_LRS - 1, 1)
    return rule.refine_lrs(center, spacing, rule.REFINE_LRS)
