"""Suggestion rules against the anchors' own algorithms, on designed and random curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.finder import METHODS, LRFinderResult, Suggestion, lr_sequence, suggest


def _result(smoothed, losses=None, start=1e-7, end=10.0) -> LRFinderResult:
    smoothed = np.asarray(smoothed, dtype=float)
    n = smoothed.size
    return LRFinderResult(
        lrs=lr_sequence(start, end, n),
        losses=smoothed if losses is None else losses,
        smoothed=smoothed,
        val_losses=None,
        stop_reason="completed",
        start_lr=start,
        end_lr=end,
        num_iter=n,
    )


def _designed(n: int = 100, centre: float = -2.0) -> LRFinderResult:
    """Flat at 2.3, a smooth fall centred at lr = 10**centre, then a blow-up."""
    x = np.log10(lr_sequence(1e-7, 10.0, n))
    fall = 2.3 - 2.0 / (1 + np.exp(-(x - centre) * 3))
    rise = np.where(x > 0, 3 * x**2, 0.0)
    return _result(fall + rise)


# --- the anchors' algorithms, written the way they are published (loops, negative indexes) ---
def fastai_valley(lrs, losses):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def fastai_slide(lrs, losses, lr_diff=15, thresh=0.005, adjust_value=1.0):
    loss_grad = np.gradient(losses)
    r_idx = -1
    l_idx = r_idx - lr_diff
    local_min_lr = lrs[l_idx]
    while (l_idx >= -len(losses)) and (abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh):
        local_min_lr = lrs[l_idx]
        r_idx -= 1
        l_idx -= 1
    return float(local_min_lr) * adjust_value


def torch_lr_finder_steepest(lrs, losses, skip_start=10, skip_end=5):
    lrs, losses = lrs[skip_start:-skip_end], losses[skip_start:-skip_end]
    return lrs[np.gradient(np.array(losses)).argmin()]


curves = st.lists(st.floats(0.1, 5.0, allow_nan=False), min_size=40, max_size=120)


@settings(max_examples=60, deadline=None)
@given(curves)
def test_valley_matches_fastai(values):
    r = _result(values)
    n = r.steps
    lrs, sm = r.lrs[n // 10 : n - n // 20], r.smoothed[n // 10 : n - n // 20]  # fastai's lr_find trim
    got = suggest(r, "valley")
    expected = fastai_valley(lrs, sm)
    if got.lr != expected:  # only where fastai's index is -1 (a flat curve): lrlab clamps to the start
        assert got.lr == lrs[0] and expected == lrs[-1]


@settings(max_examples=60, deadline=None)
@given(curves, st.integers(2, 20), st.floats(1e-4, 0.1))
def test_slide_matches_fastai(values, lr_diff, thresh):
    r = _result(values)
    n = r.steps
    lrs, sm = r.lrs[n // 10 : n - n // 20], r.smoothed[n // 10 : n - n // 20]
    assert suggest(r, "slide", lr_diff=lr_diff, thresh=thresh).lr == fastai_slide(lrs, sm, lr_diff, thresh)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 5.0, allow_nan=False), min_size=100, max_size=100))
def test_steepest_matches_torch_lr_finder_on_an_exp_sweep(values):
    # On an exponential sweep log10(lr) is evenly spaced, so the slope against log lr has
    # its minimum where torch-lr-finder's slope against the step index has it.
    r = _result(values)
    got = suggest(r, "steepest") if np.gradient(r.smoothed[10:95]).min() < 0 else None
    if got is not None:
        assert got.lr == pytest.approx(torch_lr_finder_steepest(r.lrs, r.smoothed), rel=1e-12)


def test_rules_on_a_designed_curve():
    r = _designed(centre=-2.0)
    s = r.suggest()
    assert s.method == "steepest" and 10**-2.3 < s.lr < 10**-1.7
    assert s.lr_range is not None and s.lr_range[0] < s.lr < s.lr_range[1]
    assert s.lr_range[0] > 10**-3 and s.lr_range[1] < 10**-1
    assert abs(np.log10(r.lrs[s.index]) - np.log10(s.lr)) < 1e-12
    lo_i = int(np.argmin(r.smoothed[10:95])) + 10
    m = suggest(r, "minimum")
    assert m.lr == pytest.approx(r.lrs[lo_i] / 10) and m.lr_range == pytest.approx((r.lrs[lo_i] / 10, r.lrs[lo_i]))
    assert m.loss == pytest.approx(np.interp(np.log10(m.lr), np.log10(r.lrs), r.smoothed))
    v = suggest(r, "valley")
    assert v.lr_range is not None and v.lr_range[0] <= v.lr <= v.lr_range[1]


def test_tutorial_rule_is_the_tutorials_code():
    rng = np.random.default_rng(0)
    raw = 2.3 + 0.01 * rng.standard_normal(80)
    r = _result(np.full(80, 2.3), losses=raw)
    grad = np.gradient(raw)
    expected = int(np.argmin(grad[: len(grad) // 2]))
    s = suggest(r, "tutorial")
    assert s.index == expected and s.lr == r.lrs[expected] and s.loss == raw[expected] and s.lr_range is None


def test_rules_ignore_the_non_finite_tail():
    r = _designed()
    sm = r.smoothed.copy()
    sm[90:] = np.nan
    cut = _result(sm)
    whole = LRFinderResult(
        lrs=r.lrs[:90],
        losses=r.losses[:90],
        smoothed=r.smoothed[:90],
        val_losses=None,
        stop_reason="completed",
        start_lr=1e-7,
        end_lr=10.0,
        num_iter=100,
    )
    for method in ("steepest", "minimum", "valley", "slide"):
        assert suggest(cut, method) == suggest(whole, method)


@pytest.mark.parametrize("method", METHODS)
def test_every_rule_returns_a_suggestion(method):
    s = suggest(_designed(), method)
    assert isinstance(s, Suggestion) and s.method == method and math.isfinite(s.lr) and s.lr > 0
    assert set(s.to_dict()) == {"method", "lr", "lr_range", "index", "loss"}


def test_errors():
    with pytest.raises(
        ValueError,
        match="method must be one of 'steepest', 'minimum', 'valley', 'slide', 'tutorial', 'edge', got 'fast'",
    ):
        suggest(_designed(), "fast")
    with pytest.raises(ValueError, match="steepest needs at least 3 finite points after skipping, got 2"):
        suggest(_result([3.0, 2.0, 1.0, 0.5]), "steepest", skip_start=1, skip_end=1)
    with pytest.raises(ValueError, match="steepest: the smoothed loss never decreases"):
        suggest(_result(np.linspace(1, 2, 30)), "steepest")
    with pytest.raises(ValueError, match="slide needs at least 17 finite points"):
        suggest(_result(np.linspace(2, 1, 12)), "slide")
    with pytest.raises(ValueError, match="tutorial needs at least 2 finite raw losses, got 1"):
        suggest(_result([1.0, np.nan], losses=np.array([1.0, np.nan])), "tutorial")
    with pytest.raises(ValueError, match="skip_start must be an int >= 0, got -1"):
        suggest(_designed(), "minimum", skip_start=-1)
    with pytest.raises(ValueError, match="lr_diff must be an int >= 1, got 0"):
        suggest(_designed(), "slide", lr_diff=0)
    with pytest.raises(ValueError, match="thresh must be > 0, got 0"):
        suggest(_designed(), "slide", thresh=0)
    with pytest.raises(ValueError, match="adjust_value must be > 0, got -1"):
        suggest(_designed(), "slide", adjust_value=-1)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        suggest(_designed(), "tutorial", skip_start=3)


@pytest.mark.parametrize("method", METHODS)
def test_min_num_iter_is_the_shortest_readable_curve(method):
    from lrlab.finder.suggest import min_num_iter

    def curve(n):
        lrs = np.geomspace(1e-4, 1, n)
        losses = 2.0 - np.linspace(0, 1, n) ** 2 + 0.01 * np.sin(np.arange(n))
        return LRFinderResult(
            lrs=lrs,
            losses=losses,
            smoothed=losses,
            val_losses=None,
            stop_reason="completed",
            start_lr=1e-4,
            end_lr=1.0,
            num_iter=n,
        )

    n = min_num_iter(method)
    suggest(curve(n), method)
    if n > 2:
        with pytest.raises(ValueError, match="needs at least"):
            suggest(curve(n - 1), method)
