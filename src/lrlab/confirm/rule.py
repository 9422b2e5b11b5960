"""The decisions of :func:`lrlab.suggest_lr`, as pure functions of numbers (NumPy only).

Everything the rule decides is here, apart from running things: how the budget of training
steps is spent, which learning rates each round tries, how a round's copies are scored and
where the best peak LR lies between them. The torch side (:mod:`lrlab.confirm.suggest`) runs
the range test and the sweeps and calls these.

The rule, step by step. Its constants are named below; they were chosen on the six *design*
tasks of ``benchmarks/suggestion_quality.py`` only (``benchmarks/rule_study.py --evaluate``
runs the rule there and reads the regret off the committed oracle), never on the three
held-out tasks, which were committed with their oracle before this rule.

1. **Budget.** ``cost_steps <= budget`` (default ``max(400, total_steps / 10)``), every
   copy's steps counted, the range test's included, and a forward-only scoring batch counted
   as a third of a step.
2. **Range test** (``num_iter`` steps): the LR where it stopped, ``edge`` (where the loss
   blew up, or ``end_lr``), is the one reading of a range test that noise hardly moves: a
   bound above which nothing trains. (The LR at the smoothed minimum was tried first; on a
   noisy curve it sat at the test's start.) The screen covers ``edge * 10**-3.5`` to
   ``edge * 10**0.5``: on the design tasks the oracle's best peak lay 1.2 to 3 decades below
   the blow-up (a run holds its LR far longer than one step of a range test), and a schedule
   that warms up or decays tolerates peaks above it.
3. **Rounds under the user's schedule.** Each round trains its LRs as vmapped copies from
   the model's current state for ``horizon`` steps under the user's schedule shape
   *compressed* to that horizon (warmup, peak and decay in proportion), with the momentum
   the schedule sets. The **screen**: 9 LRs half a decade apart over the window, on short
   runs (a quarter of what the range test leaves, ``SCREEN_SHARE``; giving it 35% left the
   refine runs too short: 11 of 18 design runs in the band against 15 of 18). The **refine
   round**: 5 LRs a quarter of a decade apart, centred on the screen's best, on the longest
   runs left.
4. **Score** of a copy. Screen: its mean train loss over the last quarter of its steps (the
   window :attr:`lrlab.SweepResult.scores` reads). Refine round: its mean loss, in eval mode
   at the end, on ``HELD_OUT_BATCHES`` batches from the start of the train loader, the same
   for every copy (the mean train loss of the last quarter lags the end and runs in train
   mode: on the four constant-LR design tasks it put 7 of 12 runs in the band where the
   end-of-run loss on 16 batches put 9 of 12). A copy whose loss went non-finite, or ended
   ``EXPLODED`` times above the loss all copies started from, diverged and scores ``inf``.
5. **Where the best lies**: the vertex of the parabola in ``log10(lr)`` through the best
   copy and its two neighbours (it lies within half a step of the best copy; the steep wall
   of the loss curve on the high-LR side pulls it towards the safe side; a least-squares
   parabola through five points was pulled too far by the wall). A neighbour that diverged,
   a best copy at an end of its round, or a parabola that opens downwards gives the best
   copy's own LR.
6. **Horizon.** A run that decays its LR wants a lower peak the longer it runs: the pick is
   multiplied by ``(horizon / total_steps) ** (0.7 * decay)``, ``decay`` being 1 minus the
   mean factor after the schedule's peak (0 for a constant LR, 1/2 for cosine or linear
   decay to 0). On the two design tasks that decay (a transformer LM with warmup + cosine,
   a ResNet with cosine), the best peak of compressed runs fell by a factor of 1.4 to 6.1
   from 16 to 64 steps, and from 64 steps to the oracle's best of the full run by 1.1 to 3.4
   (exponents 0.08 to 0.67, 0.36 on average); on the constant-LR MLP and CNN it did not fall
   (exponents -0.3 to 0.05 from 16 to 64 steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrlab._checks import check_int

__all__ = [
    "MIN_BUDGET",
    "BUDGET_FRACTION",
    "SCREEN_BELOW",
    "SCREEN_ABOVE",
    "EXPLODED",
    "HORIZON_EXPONENT",
    "RoundPlan",
    "Plan",
    "default_budget",
    "make_plan",
    "screen_window",
    "screen_lrs",
    "refine_lrs",
    "score_copies",
    "locate",
    "good_band",
    "eval_cost",
    "decay",
    "horizon_factor",
]

# Cost budget: max(MIN_BUDGET, BUDGET_FRACTION x total_steps) training steps in all.
MIN_BUDGET = 400
BUDGET_FRACTION = 0.1
# The screen's window around the range test's edge, in decades (rule step 2).
SCREEN_BELOW = 3.5
SCREEN_ABOVE = 0.5
# Copies of each round, and the share of the rounds' budget the screen takes.
SCREEN_LRS = 9
REFINE_LRS = 5
SCREEN_SHARE = 0.25
# The refine round spans this many screen steps around the screen's best.
REFINE_SPAN = 1.0
# Shortest round: fewer steps than this say nothing about a schedule.
MIN_HORIZON = 8
# A copy whose score is this many times the shared first loss has blown up.
EXPLODED = 1.5
# Batches of the train loader each copy of the last round is scored on at the end, in eval mode
# (0: its train loss); a forward-only batch counts as a third of a training step.
HELD_OUT_BATCHES = 16
# lr(total) = lr(horizon) * (horizon / total) ** (HORIZON_EXPONENT * decay), decay = 1 - the mean
# factor after the schedule's peak (0 for a constant LR, 1/2 for cosine or linear decay to 0).
HORIZON_EXPONENT = 0.7


@dataclass(frozen=True)
class RoundPlan:
    """One round: ``num_lrs`` copies trained ``horizon`` steps each, scored on ``held_out`` batches (0: train loss)."""

    num_lrs: int
    horizon: int
    held_out: int = 0

    @property
    def cost(self) -> int:
        """Training steps of the round, every copy counted (a forward-only scoring batch as a third of one)."""
        return self.num_lrs * self.horizon + eval_cost(self.num_lrs, self.held_out)


def eval_cost(num_lrs: int, batches: int) -> int:
    """``num_lrs`` copies scored on ``batches`` forward-only batches, in training steps (a third each, rounded up).

    Examples:
        >>> eval_cost(5, 16)
        27
    """
    return -(-num_lrs * batches // 3)


@dataclass(frozen=True)
class Plan:
    """How a budget is spent: the range test's steps, then the rounds."""

    range_steps: int
    rounds: tuple[RoundPlan, ...]

    @property
    def cost(self) -> int:
        """Training steps in all."""
        return self.range_steps + sum(r.cost for r in self.rounds)


def default_budget(total_steps: int | None) -> int:
    """``max(400, ceil(total_steps / 10))``; 400 when the run's length is not known.

    Examples:
        >>> default_budget(1000), default_budget(20_000), default_budget(None)
        (400, 2000, 400)
    """
    if total_steps is None:
        return MIN_BUDGET
    return max(MIN_BUDGET, math.ceil(BUDGET_FRACTION * total_steps))


def make_plan(budget: int, range_steps: int, total_steps: int) -> Plan:
    """Split ``budget`` steps into the range test and two rounds no longer than the user's run.

    The screen gets about ``SCREEN_SHARE`` of what the range test leaves, the refine round the
    rest, each round's horizon capped at ``total_steps`` (a round never trains longer than the
    run it stands for).

    Raises:
        ValueError: If the budget leaves fewer than ``MIN_HORIZON`` steps per screen copy.

    Examples:
        >>> make_plan(400, 100, 1000)  # doctest: +NORMALIZE_WHITESPACE
        Plan(range_steps=100, rounds=(RoundPlan(num_lrs=9, horizon=8, held_out=0),
                                      RoundPlan(num_lrs=5, horizon=40, held_out=16)))
    """
    budget = check_int("budget_steps", budget, 1)
    total_steps = check_int("total_steps", total_steps, 1)
    left = budget - range_steps - eval_cost(REFINE_LRS, HELD_OUT_BATCHES)
    need = (SCREEN_LRS + REFINE_LRS) * MIN_HORIZON
    if left < need:
        raise ValueError(
            f"budget_steps must leave at least {need} steps after the range test's {range_steps} "
            f"({SCREEN_LRS + REFINE_LRS} copies x {MIN_HORIZON} steps), got {budget}; raise budget_steps or "
            "lower num_iter"
        )
    h1 = min(total_steps, max(MIN_HORIZON, int(SCREEN_SHARE * left) // SCREEN_LRS))
    h2 = min(total_steps, max(MIN_HORIZON, (left - SCREEN_LRS * h1) // REFINE_LRS))
    return Plan(range_steps, (RoundPlan(SCREEN_LRS, h1), RoundPlan(REFINE_LRS, h2, HELD_OUT_BATCHES)))


def screen_window(edge: float) -> tuple[float, float]:
    """The screen's ``(low, high)`` LRs around the range test's ``edge`` (rule step 2).

    Examples:
        >>> [float(f"{v:.3g}") for v in screen_window(1.0)]
        [0.000316, 3.16]
    """
    return edge * 10**-SCREEN_BELOW, edge * 10**SCREEN_ABOVE


def screen_lrs(low: float, high: float, num: int = SCREEN_LRS) -> np.ndarray:
    """``num`` log-spaced LRs from ``low`` to ``high``."""
    return np.geomspace(low, high, num)


def refine_lrs(center: float, spacing: float, num: int = REFINE_LRS) -> np.ndarray:
    """``num`` LRs spaced ``spacing`` decades apart, centred (in log) on ``center``.

    Examples:
        >>> refine_lrs(1.0, 0.5, 3).round(4).tolist()
        [0.3162, 1.0, 3.1623]
    """
    offsets = spacing * (np.arange(num) - (num - 1) / 2)
    return center * 10.0**offsets


def score_copies(train_losses: np.ndarray) -> np.ndarray:
    """Rule step 4: each copy's mean train loss over its last quarter, ``inf`` if it diverged.

    All copies start from the same weights on the same batch, so their first losses agree; a
    copy that ends far above that shared start has blown up even where its loss stayed finite.

    Examples:
        >>> score_copies(np.array([[2.0, 1.0, 0.5, 0.5], [2.0, 3.0, 3.5, 3.5], [2.0, 1.0, np.nan, 0.1]])).tolist()
        [0.5, inf, inf]
    """
    losses = np.asarray(train_losses, dtype=np.float64)
    tail = losses[:, -max(1, losses.shape[1] // 4) :]
    score = tail.mean(axis=1)
    first = losses[:, 0]
    start = float(np.median(first[np.isfinite(first)])) if np.isfinite(first).any() else math.inf
    ok = np.isfinite(losses).all(axis=1) & ~(score > EXPLODED * abs(start))
    return np.where(ok, score, np.inf)


def locate(lrs: np.ndarray, scores: np.ndarray) -> tuple[float, str]:
    """Rule step 5: where the lowest score lies, between the copies.

    Returns:
        ``(lr, how)`` with ``how`` one of ``"vertex"`` (a parabola's minimum),
        ``"best"`` (the best copy itself: the parabola opens downwards or is too short),
        ``"low-end"``/``"high-end"`` (the best copy is the round's smallest/largest LR) or
        ``"none"`` (every copy diverged; ``lr`` is then NaN).

    Examples:
        >>> lrs = 10.0 ** np.arange(-3.0, 1.0)
        >>> lr, how = locate(lrs, 1 + (np.log10(lrs) + 1.3) ** 2)
        >>> round(lr, 6), how
        (0.050119, 'vertex')
    """
    lrs, scores = np.asarray(lrs, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    order = np.argsort(lrs)
    x, y = np.log10(lrs[order]), scores[order]
    finite = np.isfinite(y)
    if not finite.any():
        return math.nan, "none"
    best = int(np.argmin(np.where(finite, y, np.inf)))
    if best == 0:
        return float(10 ** x[0]), "low-end"
    if best == len(x) - 1:
        return float(10 ** x[best]), "high-end"
    if not (finite[best - 1] and finite[best + 1]):
        return float(10 ** x[best]), "best"
    (x0, x1, x2), (y0, y1, y2) = x[best - 1 : best + 2], y[best - 1 : best + 2]
    # Newton form p(x) = y0 + f[x0,x1] (x - x0) + a (x - x0)(x - x1): a is the second divided difference.
    a = ((y2 - y1) / (x2 - x1) - (y1 - y0) / (x1 - x0)) / (x2 - x0)
    if not a > 0:
        return float(10 ** x[best]), "best"
    slope = (y1 - y0) / (x1 - x0) + a * (x1 - x0)
    return float(10 ** (x1 - slope / (2 * a))), "vertex"


def good_band(lrs: np.ndarray, scores: np.ndarray, pick: float, tolerance: float = 0.05) -> tuple[float, float]:
    """The LRs around ``pick`` whose score stays within ``tolerance`` (relative) of the best score.

    The edges are interpolated in ``log10(lr)`` between a copy inside and the next one outside;
    the band always holds ``pick``.

    Examples:
        >>> lrs = np.array([0.01, 0.1, 1.0])
        >>> [round(v, 4) for v in good_band(lrs, np.array([1.1, 1.0, 1.1]), 0.1, tolerance=0.05)]
        [0.0316, 0.3162]
    """
    order = np.argsort(lrs)
    x, y = np.log10(np.asarray(lrs, dtype=np.float64)[order]), np.asarray(scores, dtype=np.float64)[order]
    finite = np.isfinite(y)
    if not finite.any():
        return pick, pick
    best = int(np.argmin(np.where(finite, y, np.inf)))
    limit = y[best] + tolerance * abs(y[best])

    def edge(step: int) -> float:
        i = best
        while 0 <= i + step < len(x) and finite[i + step] and y[i + step] <= limit:
            i += step
        j = i + step
        if not 0 <= j < len(x):
            return float(x[i])
        if not finite[j]:
            return float(x[i])
        frac = (limit - y[i]) / (y[j] - y[i]) if y[j] != y[i] else 0.0
        return float(x[i] + frac * (x[j] - x[i]))

    lo, hi = 10 ** edge(-1), 10 ** edge(+1)
    return float(min(lo, pick)), float(max(hi, pick))


def decay(factors: np.ndarray | None) -> float:
    """How much a schedule decays after its peak: ``1 - mean(factors[peak:])`` (0 when constant).

    Examples:
        >>> decay(None), decay(np.ones(10)), round(decay(np.linspace(1.0, 0.0, 101)), 3)
        (0.0, 0.0, 0.5)
    """
    if factors is None or len(factors) == 0:
        return 0.0
    peak = int(np.argmax(factors))
    return float(max(0.0, 1.0 - float(np.mean(factors[peak:]))))


def horizon_factor(horizon: int, total_steps: int, factors: np.ndarray | None = None) -> float:
    """Rule step 6: the factor on a pick made at ``horizon`` steps for a run of ``total_steps`` under ``factors``.

    Examples:
        >>> horizon_factor(100, 100), horizon_factor(50, 500)
        (1.0, 1.0)
        >>> round(horizon_factor(50, 500, np.linspace(1.0, 0.0, 500)), 4)
        0.4467
    """
    if horizon >= total_steps:
        return 1.0
    return float((horizon / total_steps) ** (HORIZON_EXPONENT * decay(factors)))
