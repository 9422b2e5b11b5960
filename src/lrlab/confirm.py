"""``suggest_lr``: a range test finds the plausible band, a short parallel sweep inside it picks the LR.

A range test reads an LR off one curve in which every LR got a single step; the reading
is noisy and often off by a decade. ``suggest_lr`` uses the curve only for what it
shows reliably, the band where training is plausible, and picks inside it by what
actually happened when copies of the model trained there for a few dozen steps.

The rule, step by step. Its constants are round numbers, none fitted to a task; but the
pick in step 4 was chosen among five variants scored on the three tasks of
``benchmarks/suggestion_quality.py``, so those tasks flatter it. The benchmark's
held-out task, added after the rule was fixed, is the honest check.

1. **Range test** (:func:`lrlab.find_lr`, by default 1e-7 to 10 in 100 steps).
2. **Band.** ``high`` is the LR at the smoothed loss's minimum (the upper end of the
   ``minimum`` rule's range): past it a rising LR made things worse. ``low`` is a tenth
   of the steepest-descent LR (or of ``high`` if that is lower): the steepest point and
   one decade below it, on the safe side; but never more than three decades below
   ``high``, because a steep stretch early in a noisy curve can be a fluke far from any
   useful LR. A curve too short for ``steepest`` gives ``low = high / 100``.
3. **Sweep.** ``num_lrs`` LRs log-spaced over ``[low, high]`` train ``sweep_steps``
   steps each from the model's current state, all on the same batches, in one vmapped
   pass (:func:`lrlab.sweep_lr`).
4. **Pick.** Each copy's score is its mean train loss over the last quarter of the sweep
   (the window :attr:`lrlab.SweepResult.scores` reads, :func:`lrlab.sweep.result.tail_steps`).
   Copies whose loss went non-finite or ended above where it started are out.

   * When the best copy has usable neighbours on both sides, the optimum is bracketed: the
     pick is the vertex of the parabola through the three scores against ``log10(lr)``
     (it lies within half a grid step of the best copy). The loss curve's steep wall on
     the high-LR side pulls the vertex towards the safe side.
   * When the best copy sits at an end of the usable LRs, the optimum is not bracketed and
     the pick leans to the robust side: the smallest LR whose score is within one standard
     error of the best (the one-standard-error rule, Breiman et al., 1984). The error is
     *paired*: all copies saw the same batches, so it is the standard error of the mean of
     the step-by-step differences between the copy's losses and the best copy's.
   * If every copy is out, the pick is ``low`` (``how == "fallback"``).

   A one-standard-error step to the left of the vertex was tried as well and lost on all
   three tasks of ``benchmarks/suggestion_quality.py`` (see the README's table).

Cost: ``cost_steps`` = the range test's steps + ``num_lrs * sweep_steps`` (sweep copies
counted one by one, although they run in one vectorised pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from lrlab._checks import Progress, check_int
from lrlab.finder import LRFinderResult, find_lr, suggest
from lrlab.sweep import SweepResult, sweep_lr
from lrlab.sweep.result import tail_steps
from lrlab.train.contract import Criterion, StepFn

# The band spans at most three decades (rule step 2).
MAX_BAND_RATIO = 1000.0

__all__ = ["suggest_lr", "Confirmation", "Pick", "band_of", "pick"]


class Pick(NamedTuple):
    """What rule step 4 read off a sweep."""

    lr: float | None  # None: every copy is out
    best_index: int | None
    scores: np.ndarray
    stderr: np.ndarray
    how: str  # "interpolated", "one-se" or "fallback" (every copy is out)


@dataclass(frozen=True, eq=False)
class Confirmation:
    """A learning rate confirmed by short training runs, with the evidence.

    Attributes:
        lr: The suggested learning rate.
        band: ``(low, high)``, the range the sweep covered (read off the range test).
        scores: ``(K,)`` each sweep copy's score (mean train loss over the last quarter).
        stderr: ``(K,)`` the paired standard error of each score's difference from the best.
        best_index: The copy with the lowest score (``None`` if every copy is out).
        how: How the pick was made: ``"interpolated"``, ``"one-se"`` or ``"fallback"``.
        range_test: The range test's result.
        sweep: The sweep's result (``sweep.lrs[k]`` is copy ``k``'s LR).
        cost_steps: Training steps spent: range-test steps + ``num_lrs * sweep_steps``.
    """

    lr: float
    band: tuple[float, float]
    scores: np.ndarray
    stderr: np.ndarray
    best_index: int | None
    how: str
    range_test: LRFinderResult
    sweep: SweepResult
    cost_steps: int

    def __repr__(self) -> str:
        return (f"Confirmation(lr={self.lr:.4g}, band=({self.band[0]:.3g}, {self.band[1]:.3g}), how={self.how!r}, "
                f"{self.sweep.num_lrs} LRs x {self.sweep.steps} steps, cost_steps={self.cost_steps})")

    def to_dict(self) -> dict[str, Any]:
        """The numbers as plain Python values (non-finite floats kept as float NaN/Inf)."""
        return {
            "lr": self.lr,
            "band": list(self.band),
            "lrs": self.sweep.lrs.tolist(),
            "scores": self.scores.tolist(),
            "stderr": self.stderr.tolist(),
            "best_index": self.best_index,
            "how": self.how,
            "range_test_steps": self.range_test.steps,
            "sweep_steps": self.sweep.steps,
            "cost_steps": self.cost_steps,
        }


def band_of(result: LRFinderResult) -> tuple[float, float]:
    """The ``(low, high)`` band a range test makes plausible (rule step 2 in the module doc).

    Raises:
        ValueError: If the curve has no finite point to read.
    """
    high = suggest(result, "minimum").lr_range[1]  # type: ignore[index]
    try:
        low = max(min(suggest(result, "steepest").lr, high) / 10, high / MAX_BAND_RATIO)
    except ValueError:
        low = high / 100
    return float(low), float(high)


def pick(sweep: SweepResult) -> Pick:
    """Apply rule step 4 (module doc) to a sweep."""
    losses = sweep.train_losses
    tail = losses[:, -tail_steps(sweep.steps):]
    scores = tail.mean(axis=1)
    usable = np.isfinite(losses).all(axis=1) & (scores < losses[:, 0])
    if not usable.any():
        return Pick(None, None, scores, np.full(len(scores), np.nan), "fallback")
    best = int(np.flatnonzero(usable)[np.argmin(scores[usable])])
    diff = tail - tail[best]
    stderr = diff.std(axis=1, ddof=1) / np.sqrt(tail.shape[1]) if tail.shape[1] > 1 else np.zeros(len(scores))
    order = np.argsort(sweep.lrs, kind="stable")
    pos = int(np.flatnonzero(order == best)[0])
    if 0 < pos < len(order) - 1 and usable[order[pos - 1]] and usable[order[pos + 1]]:
        lr = _vertex(np.log10(sweep.lrs[order[pos - 1:pos + 2]]), scores[order[pos - 1:pos + 2]])
        if lr is not None:
            return Pick(lr, best, scores, stderr, "interpolated")
    close = usable & (scores - scores[best] <= stderr)
    return Pick(float(sweep.lrs[close].min()), best, scores, stderr, "one-se")


def _vertex(x: np.ndarray, y: np.ndarray) -> float | None:
    """``10**v`` for the vertex ``v`` of the parabola through ``(x, y)``.

    ``None`` unless the points bracket a minimum (``x`` increasing, positive curvature).
    """
    (x0, x1, x2), (y0, y1, y2) = x, y
    if not x0 < x1 < x2:
        return None
    # Newton form p(x) = y0 + f[x0,x1] (x - x0) + a (x - x0)(x - x1), a the second divided
    # difference, so p'(x1) = f[x0,x1] + a (x1 - x0).
    a = ((y2 - y1) / (x2 - x1) - (y1 - y0) / (x1 - x0)) / (x2 - x0)
    if not a > 0:
        return None
    slope_at_x1 = (y1 - y0) / (x1 - x0) + a * (x1 - x0)
    return float(10 ** (x1 - slope_at_x1 / (2 * a)))


def suggest_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: Criterion | None,
    train_loader: Iterable[Any],
    *,
    step_fn: StepFn | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    num_lrs: int = 6,
    sweep_steps: int = 48,
    seed: int | None = None,
    range_test_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Confirmation:
    """Suggest a learning rate: range test -> band -> short parallel sweep -> pick.

    The model, the optimizer and the RNG states come back untouched (both stages
    guarantee it). The rule is in this module's docstring.

    Args:
        model, optimizer, criterion, train_loader: As for :func:`lrlab.find_lr`.
        step_fn: ``step_fn(model, batch) -> loss`` (or an output with ``.loss``) for batches
            that are not ``(x, y)`` pairs; the range test and the sweep both use it.
        start_lr, end_lr, num_iter: The range test's sweep.
        num_lrs: LRs the confirmation sweep tries (>= 2).
        sweep_steps: Training steps of each sweep copy (>= 4, so a quarter is a step).
        seed: Seed of the sweep's per-step RNG (dropout masks); ``None`` draws one.
        range_test_options: More keyword arguments for :func:`lrlab.find_lr`.
        progress: Called with ``(steps_done, steps_total)``, sweep copies counted one by one.

    Returns:
        A :class:`Confirmation`; ``.lr`` is the suggestion, ``.cost_steps`` its cost.

    Raises:
        ValueError, TypeError: For bad arguments (before anything runs), and as
            :func:`lrlab.find_lr` and :func:`lrlab.sweep_lr` raise them.
    """
    num_lrs = check_int("num_lrs", num_lrs, 2)
    sweep_steps = check_int("sweep_steps", sweep_steps, 4)
    options = dict(range_test_options or {})
    if "step_fn" in options:  # one batch -> loss contract for both stages
        if step_fn is not None:
            raise ValueError("step_fn must be given once, got it both as an argument and in range_test_options")
        step_fn = options.pop("step_fn")
    clash = sorted(set(options) & {"start_lr", "end_lr", "num_iter", "progress"})
    if clash:
        raise ValueError(f"range_test_options must not repeat suggest_lr's own arguments, got {clash}")
    sweep_total = num_lrs * sweep_steps
    report = progress or (lambda done, total: None)

    range_test = find_lr(model, optimizer, criterion, train_loader, start_lr=start_lr, end_lr=end_lr,
                         num_iter=num_iter, step_fn=step_fn, progress=lambda i, n: report(i, n + sweep_total),
                         **options)
    low, high = band_of(range_test)
    done = range_test.steps
    sweep = sweep_lr(model, optimizer, criterion, train_loader, lrs=np.geomspace(low, high, num_lrs),
                     steps=sweep_steps, step_fn=step_fn, seed=seed, progress=lambda i, n: report(done + i, done + n))
    chosen = pick(sweep)
    return Confirmation(lr=low if chosen.lr is None else chosen.lr, band=(low, high), scores=chosen.scores,
                        stderr=chosen.stderr, best_index=chosen.best_index,
                        how=chosen.how, range_test=range_test,
                        sweep=sweep, cost_steps=range_test.steps + sweep_total)
