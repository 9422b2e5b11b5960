"""Property tests: any schedule is finite, >= 0 and within its declared bounds at any
step; ``join`` and ``with_warmup`` are continuous at their boundaries where the parts
meet; every schedule's spec parses back into the same schedule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab import schedules as S

FAST = settings(max_examples=60, deadline=None)

lrs = st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False)
positive_lrs = st.floats(1e-6, 10.0, allow_nan=False, allow_infinity=False)
fractions = st.floats(0.0, 1.0, allow_nan=False)
lengths = st.integers(1, 5_000)
any_step = st.integers(0, 2**62)


@st.composite
def leaf_schedules(draw: st.DrawFn) -> S.Schedule:
    base = draw(lrs)
    kind = draw(st.sampled_from(sorted(set(S.names()) - {"with_warmup", "join", "product"})))
    if kind == "constant":
        return S.constant(base)
    if kind == "step":
        return S.step(base, drop=draw(fractions), every=draw(lengths))
    if kind == "exponential":
        if draw(st.booleans()):
            return S.exponential(base, k=draw(st.floats(0.0, 5.0)))
        return S.exponential(base, gamma=draw(fractions))
    if kind == "cosine":
        return S.cosine(base, total=draw(lengths), min_lr=base * draw(fractions))
    if kind == "warmup_cosine":
        total = draw(lengths)
        return S.warmup_cosine(base, warmup=draw(st.integers(0, total)), total=total, min_lr=base * draw(fractions))
    if kind == "multistep":
        ms = sorted(set(draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=5))))
        return S.multistep(base, milestones=ms, gamma=draw(fractions))
    if kind == "linear":
        return S.linear(base, end_lr=draw(lrs), total_steps=draw(lengths))
    if kind == "polynomial":
        return S.polynomial(base, draw(lengths), power=draw(st.floats(0.1, 5.0)), end_lr=base * draw(fractions))
    if kind == "inverse_sqrt":
        return S.inverse_sqrt(base, warmup_steps=draw(st.integers(0, 1000)), timescale=draw(st.none() | lengths))
    if kind == "cosine_restarts":
        return S.cosine_restarts(
            base,
            draw(lengths),
            cycle_mult=draw(st.integers(1, 4)),
            cycle_decay=draw(fractions),
            min_lr=base * draw(fractions),
        )
    if kind == "cyclic":
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        return S.cyclic(
            base, base + draw(lrs), draw(lengths), draw(st.none() | lengths), mode=mode, gamma=draw(st.floats(0.5, 1.0))
        )
    if kind == "onecycle":
        total = draw(st.integers(10, 5_000))
        return S.onecycle(
            draw(positive_lrs),
            total,
            pct_start=draw(st.floats(0.2, 0.45)),
            anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
            div_factor=draw(st.floats(1.0, 100.0)),
            final_div_factor=draw(st.floats(1.0, 1e4)),
            three_phase=draw(st.booleans()),
        )
    assert kind == "wsd"
    total = draw(st.integers(2, 5_000))
    decay = draw(st.integers(1, total))
    return S.wsd(
        base,
        total,
        warmup_steps=draw(st.integers(0, total - decay)),
        decay_steps=decay,
        min_lr=base * draw(fractions),
        decay=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])),
    )


@st.composite
def schedules(draw: st.DrawFn) -> S.Schedule:
    kind = draw(st.sampled_from(["leaf", "leaf", "warmup", "join", "product"]))
    if kind == "leaf":
        return draw(leaf_schedules())
    if kind == "warmup":
        return S.with_warmup(draw(leaf_schedules()), draw(st.integers(0, 1000)), start_lr=draw(lrs))
    if kind == "join":
        parts = draw(st.lists(leaf_schedules(), min_size=2, max_size=4))
        bounds = draw(st.lists(st.integers(1, 20_000), min_size=len(parts) - 1, max_size=len(parts) - 1, unique=True))
        return S.join(parts, sorted(bounds))
    return S.product(draw(st.lists(leaf_schedules(), min_size=2, max_size=3)))


def check_values(s: S.Schedule, values: np.ndarray) -> None:
    slack = 1e-12 * max(s.hi, 1e-300)  # the bounds hold up to rounding
    assert np.all(np.isfinite(values)), repr(s)
    assert np.all(values >= 0), repr(s)
    assert np.all(values >= s.lo - slack) and np.all(values <= s.hi + slack), (repr(s), values.min(), values.max())


@FAST
@given(schedules(), any_step, st.lists(st.integers(0, 30_000), min_size=1, max_size=50))
def test_finite_nonnegative_and_bounded(s: S.Schedule, big: int, small: list[int]) -> None:
    assert 0 <= s.lo <= s.hi
    steps = np.array([big, *small], dtype=np.int64)
    values = s(steps)
    check_values(s, values)
    assert s(big) == values[0] and s(small[-1]) == values[-1]  # scalar calls agree with arrays


@FAST
@given(leaf_schedules())
def test_bounds_over_a_dense_range(s: S.Schedule) -> None:
    check_values(s, s(np.arange(12_000)))


@st.composite
def meeting_chains(draw: st.DrawFn) -> tuple[list[S.Schedule], list[int]]:
    """Parts where each one starts at the value the previous one reaches at the boundary."""
    level = draw(positive_lrs)  # > 0, so every part's hi is > 0
    parts: list[S.Schedule] = []
    lengths_: list[int] = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 500))
        nxt = level * draw(fractions)
        kind = draw(st.sampled_from(["linear", "cosine", "polynomial"]))
        if kind == "linear":
            parts.append(S.linear(level, end_lr=nxt, total_steps=n))
        elif kind == "cosine":
            parts.append(S.cosine(level, total=n, min_lr=nxt))
        else:
            parts.append(S.polynomial(level, n, power=draw(st.floats(0.5, 3.0)), end_lr=nxt))
        lengths_.append(n)
        level = nxt
    parts.append(draw(st.sampled_from([S.constant(level), S.cosine(level, total=100, min_lr=0.0)])))
    return parts, list(np.cumsum(lengths_).tolist())


@FAST
@given(meeting_chains())
def test_join_is_continuous_where_the_parts_meet(chain: tuple[list[S.Schedule], list[int]]) -> None:
    parts, bounds = chain
    s = S.join(parts, bounds)
    starts = [0, *bounds]
    for i, b in enumerate(bounds):
        prev, nxt = parts[i], parts[i + 1]
        local = b - starts[i]
        assert s(b - 1) == prev(local - 1) and s(b) == nxt(0)
        assert abs(prev(local) - nxt(0)) <= 1e-12 * prev.hi  # the parts meet ...
        # ... so the jump across the boundary is just the previous part's own last step.
        own = abs(prev(local) - prev(local - 1))
        assert abs(s(b) - s(b - 1)) <= own + 1e-12 * max(s.hi, 1e-300)


@FAST
@given(leaf_schedules(), st.integers(1, 1000), lrs)
def test_warmup_ends_where_the_schedule_starts(inner: S.Schedule, warmup: int, start: float) -> None:
    s = S.with_warmup(inner, warmup, start_lr=start)
    assert s(0) == start and s(warmup) == inner(0)
    ramp_step = abs(inner(0) - start) / warmup
    assert abs(s(warmup) - s(warmup - 1)) <= ramp_step * (1 + 1e-9) + 1e-15


@FAST
@given(schedules())
def test_spec_round_trip(s: S.Schedule) -> None:
    again = S.parse(repr(s))
    assert repr(again) == repr(s)
    t = np.arange(0, 25_000, 97)
    assert np.array_equal(again(t), s(t))
