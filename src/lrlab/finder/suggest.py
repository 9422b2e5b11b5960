"""Suggestion rules: pure functions from a range-test result to a learning rate (NumPy only).

Every rule reads the *finite prefix* of the curve (points up to the first NaN/Inf)
and, except ``tutorial``, drops ``skip_start`` points at the start (default: a tenth of
the curve, where the loss has not moved yet) and ``skip_end`` at the end (default: a
twentieth, the blow-up), as fastai and torch-lr-finder do.

=========  ===========================================================================
steepest   LR where the smoothed loss falls fastest against ``log10(lr)``; range: the
           contiguous stretch around it falling at least half as fast. (default)
minimum    a tenth of the LR at the smoothed minimum; range: that tenth .. the minimum.
valley     fastai's ``valley``: the longest strictly decreasing run of the smoothed
           curve; LR about half-way (``start + int(L/3) + int(L/6)``); range: the valley.
slide      fastai's ``slide``: walk left from the end until the slopes ``lr_diff`` points
           apart agree within ``thresh``; LR there times ``adjust_value``.
tutorial   the tutorial's rule, for comparison: ``argmin(np.gradient(raw losses)[:n//2])``.
edge       needs ``find_lr(..., track_sharpness=EVERY)``: the LR where the sharpness first
           reaches the stability threshold ``c / lr`` (2/LR for GD, 38/LR for Adam), times
           ``factor`` (0.5: ``1 / lambda_max`` for GD); range: that .. the edge. Not a default.
=========  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from lrlab._checks import check_choice


class Curve(Protocol):
    """What the rules read: a range test's LRs, raw and smoothed losses (an :class:`~lrlab.finder.LRFinderResult`)."""

    @property
    def lrs(self) -> np.ndarray: ...

    @property
    def losses(self) -> np.ndarray: ...

    @property
    def smoothed(self) -> np.ndarray: ...


METHODS = ("steepest", "minimum", "valley", "slide", "tutorial")
# Rules that read more than the loss curve (``edge``: a tracked sharpness); ``suggest`` takes them too.
SHARPNESS_METHODS = ("edge",)
ALL_METHODS = (*METHODS, *SHARPNESS_METHODS)
DEFAULT_METHOD = "steepest"

__all__ = [
    "METHODS",
    "SHARPNESS_METHODS",
    "ALL_METHODS",
    "every_suggestion",
    "DEFAULT_METHOD",
    "Suggestion",
    "suggest",
    "min_num_iter",
    "steepest",
    "minimum",
    "valley",
    "slide",
    "tutorial",
    "edge",
]


@dataclass(frozen=True)
class Suggestion:
    """A learning rate read off a range test.

    Attributes:
        method: The rule's name.
        lr: The suggested learning rate.
        lr_range: ``(low, high)`` where the rule gives a band, else ``None``.
        index: The recorded step whose LR is nearest (in log) to ``lr``.
        loss: The loss the rule read at ``lr`` (smoothed; raw for ``tutorial``), for plots.
    """

    method: str
    lr: float
    lr_range: tuple[float, float] | None
    index: int
    loss: float

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "lr": self.lr, "lr_range": self.lr_range, "index": self.index, "loss": self.loss}


# Finite points each rule needs after skipping (``slide``: ``lr_diff + 2`` with its default lr_diff=15).
_NEED = {"steepest": 3, "minimum": 1, "valley": 2, "slide": 17, "tutorial": 2, "edge": 1}


def min_num_iter(method: str) -> int:
    """The fewest range-test steps from which ``method`` can read a complete curve (default skips).

    Examples:
        >>> min_num_iter("steepest"), min_num_iter("slide")
        (3, 18)
    """
    need = _NEED[check_choice("method", method, ALL_METHODS)]
    if method in ("tutorial", "edge"):
        return need
    n = need
    while n - n // 20 - n // 10 < need:
        n += 1
    return n


def _finite_prefix(values: np.ndarray) -> int:
    bad = np.flatnonzero(~np.isfinite(values))
    return int(bad[0]) if bad.size else int(values.size)


def _skip(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return int(value)


def _window(
    result: Curve, rule: str, skip_start: int | None, skip_end: int | None, need: int
) -> tuple[int, np.ndarray, np.ndarray]:
    n = _finite_prefix(result.smoothed)
    a = _skip("skip_start", skip_start, n // 10)
    b = n - _skip("skip_end", skip_end, n // 20)
    if b - a < need:
        raise ValueError(
            f"{rule} needs at least {need} finite points after skipping, got {max(b - a, 0)} "
            f"(of {n} finite points); run more iterations or lower skip_start/skip_end"
        )
    return a, result.lrs[a:b], result.smoothed[a:b]


def _make(result: Curve, method: str, lr: float, lr_range: tuple[float, float] | None) -> Suggestion:
    n = _finite_prefix(result.smoothed)
    log_lrs = np.log10(result.lrs[:n]) if n else np.log10(result.lrs[:1])
    index = int(np.argmin(np.abs(log_lrs - np.log10(lr))))
    loss = float(np.interp(np.log10(lr), log_lrs, result.smoothed[: max(n, 1)])) if n else float("nan")
    rng = None if lr_range is None else (float(lr_range[0]), float(lr_range[1]))
    return Suggestion(method, float(lr), rng, index, loss)


def steepest(result: Curve, *, skip_start: int | None = None, skip_end: int | None = None) -> Suggestion:
    """LR of the steepest descent of the smoothed loss against ``log10(lr)``.

    Raises:
        ValueError: With fewer than 3 points left, or if the smoothed loss never falls.
    """
    _, lrs, sm = _window(result, "steepest", skip_start, skip_end, 3)
    grad = np.gradient(sm, np.log10(lrs))
    i = int(np.argmin(grad))
    if grad[i] >= 0:
        raise ValueError("steepest: the smoothed loss never decreases; lower start_lr or check the model")
    # The band: the contiguous stretch around i that falls at least half as fast.
    steep = grad <= 0.5 * grad[i]
    lo, hi = i, i
    while lo > 0 and steep[lo - 1]:
        lo -= 1
    while hi < len(grad) - 1 and steep[hi + 1]:
        hi += 1
    return _make(result, "steepest", lrs[i], (lrs[lo], lrs[hi]))


def minimum(result: Curve, *, skip_start: int | None = None, skip_end: int | None = None) -> Suggestion:
    """A tenth of the LR at the smoothed loss's minimum (fastai's ``minimum``)."""
    _, lrs, sm = _window(result, "minimum", skip_start, skip_end, 1)
    lr_min = lrs[int(np.argmin(sm))]
    return _make(result, "minimum", lr_min / 10, (lr_min / 10, lr_min))


def valley(result: Curve, *, skip_start: int | None = None, skip_end: int | None = None) -> Suggestion:
    """fastai's ``valley``: a point about half-way down the longest valley of the smoothed loss.

    ``lds[i]`` is the length of the longest strictly decreasing subsequence ending at
    ``i``; the valley ends at the first ``i`` with the largest ``lds`` and starts
    ``lds[i]`` points before it; the LR is at ``start + int(L/3) + int(L/3/2)``.
    """
    _, lrs, sm = _window(result, "valley", skip_start, skip_end, 2)
    lds = np.ones(sm.size, dtype=np.int64)
    for i in range(1, sm.size):
        higher = sm[:i] > sm[i]
        if higher.any():
            lds[i] = lds[:i][higher].max() + 1
    end = int(np.argmax(lds))
    start = end - int(lds[end])
    sections = (end - start) / 3
    # fastai's start can be -1 (a curve falling from its first point); clamp it to the curve.
    idx = max(start + int(sections) + int(sections / 2), 0)
    return _make(result, "valley", lrs[idx], (lrs[max(start, 0)], lrs[end]))


def slide(
    result: Curve,
    *,
    lr_diff: int = 15,
    thresh: float = 0.005,
    adjust_value: float = 1.0,
    skip_start: int | None = None,
    skip_end: int | None = None,
) -> Suggestion:
    """fastai's ``slide`` rule (interval slide on the smoothed loss's per-step slope).

    From the right end, compare the slope at ``r`` with the slope ``lr_diff`` points to
    the left; while they differ by more than ``thresh``, move both one point left.
    The LR at the left point where they first agree, times ``adjust_value``.
    """
    if isinstance(lr_diff, bool) or not isinstance(lr_diff, (int, np.integer)) or lr_diff < 1:
        raise ValueError(f"lr_diff must be an int >= 1, got {lr_diff!r}")
    if not thresh > 0:
        raise ValueError(f"thresh must be > 0, got {thresh}")
    if not adjust_value > 0:
        raise ValueError(f"adjust_value must be > 0, got {adjust_value}")
    _, lrs, sm = _window(result, "slide", skip_start, skip_end, int(lr_diff) + 2)
    grad = np.gradient(sm)
    r = sm.size - 1
    left = r - lr_diff
    local = left
    while left >= 0 and abs(grad[r] - grad[left]) > thresh:
        local = left
        r -= 1
        left -= 1
    return _make(result, "slide", lrs[local] * adjust_value, None)


def tutorial(result: Curve) -> Suggestion:
    """The tutorial's rule: ``lrs[argmin(np.gradient(losses)[: n // 2])]`` on the raw losses."""
    n = _finite_prefix(result.losses)
    if n < 2:
        raise ValueError(f"tutorial needs at least 2 finite raw losses, got {n}")
    grad = np.gradient(result.losses[:n])
    idx = int(np.argmin(grad[: n // 2]))
    return Suggestion("tutorial", float(result.lrs[idx]), None, idx, float(result.losses[idx]))


def edge(result: Curve, *, factor: float = 0.5) -> Suggestion:
    """Where the tracked sharpness meets the stability threshold, times ``factor``.

    With ``r_i = lambda_i * lr_i / c`` at the sharpness probes (``c``: the result's
    ``edge_constant``), the edge is the first ``r_i >= 1``, interpolated linearly in ``r``
    against ``log(lr)`` from the probe before it (in ``log(r)`` where both are positive: the
    crossing of the two straight segments of the log-log panel; the first probe's LR if it is
    already there).
    Past the edge the top direction of the loss oscillates and grows instead of shrinking;
    ``factor = 0.5`` puts the LR where a quadratic with that curvature contracts fastest along
    it (``|1 - lr * lambda| = 0`` at ``lr = 1 / lambda`` for GD): the classic ``1 / L`` step.

    Raises:
        ValueError: If the sharpness was not tracked, has no threshold, or never reached it
            (widen the range: the test stopped below the edge).
    """
    if not 0 < factor <= 1:
        raise ValueError(f"factor must be in (0, 1], got {factor!r}")
    steps = getattr(result, "sharpness_steps", None)
    values = getattr(result, "sharpness", None)
    const = getattr(result, "edge_constant", None)
    if steps is None or values is None:
        raise ValueError("edge needs the sharpness: run find_lr(..., track_sharpness=EVERY)")
    if const is None:
        raise ValueError("edge needs a stability threshold, got none for this optimizer (only GD, SGD and Adam(W))")
    n = _finite_prefix(np.asarray(values, dtype=np.float64))
    lrs = result.lrs[np.asarray(steps[:n], dtype=np.int64)]
    ratio = np.asarray(values[:n], dtype=np.float64) * lrs / float(const)
    above = np.flatnonzero(ratio >= 1.0)
    if not above.size:
        raise ValueError(
            f"edge: the sharpness never reached {const:g}/lr over the {n} finite probes "
            "(the test stopped below the edge); raise end_lr or probe more often"
        )
    i = int(above[0])
    if i == 0:
        lr_edge = float(lrs[0])
    else:
        lo, hi = float(ratio[i - 1]), float(ratio[i])
        # Straight lines on the log-log panel: interpolate log(r) where both ratios are positive.
        t = -np.log(lo) / (np.log(hi) - np.log(lo)) if lo > 0 else (1.0 - lo) / (hi - lo)
        lr_edge = float(10 ** (np.log10(lrs[i - 1]) + t * (np.log10(lrs[i]) - np.log10(lrs[i - 1]))))
    return _make(result, "edge", factor * lr_edge, (factor * lr_edge, lr_edge))


_RULES: dict[str, Callable[..., Suggestion]] = {
    "steepest": steepest,
    "minimum": minimum,
    "valley": valley,
    "slide": slide,
    "tutorial": tutorial,
    "edge": edge,
}


def suggest(result: Curve, method: str = DEFAULT_METHOD, **options: Any) -> Suggestion:
    """Apply the rule ``method`` (one of :data:`ALL_METHODS`) with its keyword ``options``.

    Raises:
        ValueError: If ``method`` is unknown, or the curve is too short for the rule.
    """
    check_choice("method", method, ALL_METHODS)
    for name in ("lrs", "losses", "smoothed"):
        if not isinstance(getattr(result, name, None), np.ndarray):
            raise TypeError(f"result must be a range test's result (an LRFinderResult), got {type(result).__name__}")
    return _RULES[method](result, **options)


def every_suggestion(result: Curve) -> tuple[dict[str, Suggestion], dict[str, str]]:
    """Every rule that applies to ``result``, and why each one that cannot read it could not.

    The rules are :data:`METHODS`, and :data:`SHARPNESS_METHODS` too when the range test
    tracked the sharpness.

    Returns:
        ``(suggestions, errors)``: rule name -> :class:`Suggestion`, and rule name -> the
        reason it could not read the curve (too short, say).
    """
    tracked = getattr(result, "sharpness", None) is not None
    suggestions, errors = {}, {}
    for method in ALL_METHODS if tracked else METHODS:
        try:
            suggestions[method] = suggest(result, method)
        except ValueError as exc:
            errors[method] = str(exc)
    return suggestions, errors
