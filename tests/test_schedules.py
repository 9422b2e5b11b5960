"""Pure schedules: the tutorial's five exactly, every family's shape, steps, errors."""

from __future__ import annotations

import doctest
import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lrlab import schedules as S
from lrlab.schedules import (
    constant,
    cosine,
    cosine_restarts,
    cyclic,
    exponential,
    inverse_sqrt,
    join,
    linear,
    multistep,
    onecycle,
    polynomial,
    product,
    sample,
    step,
    warmup_cosine,
    with_warmup,
    wsd,
)


def tutorial_schedules(base_lr: float = 0.1) -> dict[str, Callable[[Any], float]]:
    """Part 3 of the tutorial, function for function (the reference, not lrlab's code)."""

    def constant_(epoch: Any) -> float:
        return base_lr

    def step_decay(epoch: Any, drop: float = 0.5, epochs_drop: int = 30) -> float:
        return base_lr * (drop ** (epoch // epochs_drop))

    def exponential_decay(epoch: Any, k: float = 0.05) -> float:
        return base_lr * np.exp(-k * epoch)

    def cosine_annealing(epoch: Any, T_max: int = 100, eta_min: float = 0.001) -> float:
        return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * epoch / T_max)) / 2

    def warmup_cosine_(epoch: Any, warmup: int = 10, T_max: int = 100) -> float:
        if epoch < warmup:
            return base_lr * epoch / warmup
        return cosine_annealing(epoch - warmup, T_max - warmup)

    return {
        "constant(base_lr=0.1)": constant_,
        "step(base_lr=0.1, drop=0.5, every=30)": step_decay,
        "exponential(base_lr=0.1, k=0.05)": exponential_decay,
        "cosine(base_lr=0.1, total=100, min_lr=0.001)": cosine_annealing,
        "warmup_cosine(base_lr=0.1, warmup=10, total=100, min_lr=0.001)": warmup_cosine_,
    }


@pytest.mark.parametrize("spec", list(tutorial_schedules()))
def test_tutorial_five_bit_for_bit(spec: str) -> None:
    reference = tutorial_schedules()[spec]
    epochs = np.arange(100)
    expected = np.array([reference(e) for e in epochs], dtype=np.float64)
    schedule = S.parse(spec)
    assert repr(schedule) == spec  # defaults are the tutorial's
    assert np.array_equal(schedule(epochs), expected)
    assert [schedule(int(e)) for e in epochs] == expected.tolist()


def test_tutorial_defaults() -> None:
    assert repr(step(0.1)) == "step(base_lr=0.1, drop=0.5, every=30)"
    assert repr(exponential(0.1)) == "exponential(base_lr=0.1, k=0.05)"
    # The cosines' floor defaults to 0, as torch's eta_min (the tutorial passes min_lr=0.001).
    assert repr(cosine(0.1)) == "cosine(base_lr=0.1, total=100, min_lr=0.0)"
    assert repr(warmup_cosine(0.1)) == "warmup_cosine(base_lr=0.1, warmup=10, total=100, min_lr=0.0)"


def test_cosines_take_the_usual_adamw_rate() -> None:
    # lr=3e-4 was refused while the default floor (0.001) sat above it.
    s = cosine(3e-4, total=1000)
    assert (s(0), s(1000), s(10**6)) == (3e-4, 0.0, 0.0)
    w = warmup_cosine(3e-4, warmup=100, total=1000)
    assert (w(0), w(100), w(1000)) == (0.0, 3e-4, 0.0)
    assert (s.lo, w.lo) == (0.0, 0.0)


def test_doc_examples_run() -> None:
    for name in ("_base", "basic", "cosine", "cyclic", "onecycle", "wsd", "compose", "spec", "sample", ""):
        module = importlib.import_module("lrlab.schedules" + (f".{name}" if name else ""))
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name


def test_steps_scalar_and_arrays() -> None:
    s = cosine(0.1, total=10)
    assert isinstance(s(3), float) and isinstance(s(np.int32(3)), float) and isinstance(s(np.array(3)), float)
    assert s(3.0) == s(3)  # a whole float is a step
    grid = np.arange(12).reshape(3, 4)
    out = s(grid)
    assert out.shape == (3, 4) and out.dtype == np.float64
    assert out[2, 3] == s(11)
    assert s(np.array([], dtype=np.int64)).shape == (0,)
    assert s(np.arange(3, dtype=np.uint8)).tolist() == s([0, 1, 2]).tolist()


@pytest.mark.parametrize(
    ("step_value", "exc", "match"),
    [
        (-1, ValueError, "step must be >= 0, got -1"),
        ([0, 3, -2], ValueError, "step must be >= 0, got -2"),
        (2.5, ValueError, "step must be a whole number, got 2.5"),
        (float("nan"), ValueError, "step must be a whole number, got nan"),
        (2**63, ValueError, "step must be <= 2\\*\\*62"),
        (True, TypeError, "step must be an int or an array of ints, got True"),
        ("3", TypeError, "step must be an int or an array of ints, got '3'"),
        (None, TypeError, "step must be an int or an array of ints, got None"),
    ],
)
def test_bad_steps(step_value: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        constant(0.1)(step_value)


def test_shapes_of_the_families() -> None:
    assert constant(0.1)([0, 10**9]).tolist() == [0.1, 0.1]
    assert multistep(1.0, [3, 5], gamma=0.5)([2, 3, 4, 5, 100]).tolist() == [1.0, 0.5, 0.5, 0.25, 0.25]
    assert exponential(0.1, gamma=0.9)(2) == pytest.approx(0.081, rel=1e-15)
    assert exponential(0.1, k=0.5)(2) == pytest.approx(0.1 * math.exp(-1.0), rel=1e-15)
    assert linear(0.0, end_lr=1.0, total_steps=4)([0, 2, 4, 8]).tolist() == [0.0, 0.5, 1.0, 1.0]
    assert polynomial(1.0, 4, power=2.0, end_lr=0.5)([0, 2, 4, 9]).tolist() == [1.0, 0.625, 0.5, 0.5]
    # cosine stops at min_lr after `total` (torch's would climb back up).
    assert cosine(0.1, total=10, min_lr=0.01)([10, 11, 20, 10**6]).tolist() == [0.01] * 4
    iv = inverse_sqrt(1.0)  # timescale 10,000 without warmup
    assert iv(0) == 1.0 and iv(30_000) == pytest.approx(0.5, rel=1e-15)
    assert inverse_sqrt(1.0, warmup_steps=10, timescale=40)([5, 10, 130]).tolist() == [0.5, 1.0, 0.5]


def test_warmup_cosine_edges() -> None:
    assert np.array_equal(warmup_cosine(0.1, warmup=0, total=50)(np.arange(60)), cosine(0.1, total=50)(np.arange(60)))
    s = warmup_cosine(0.1, warmup=10, total=10, min_lr=0.01)
    assert s([0, 5, 10, 50]).tolist() == [0.0, 0.05, 0.01, 0.01]


def test_restarts_cycles_and_decay() -> None:
    s = cosine_restarts(1.0, cycle_steps=4, cycle_mult=2, cycle_decay=0.5, min_lr=0.1)
    # cycles start at 0, 4, 12, 28 with peaks 1, 0.5, 0.25, 0.125
    assert s([0, 4, 12, 28]).tolist() == [1.0, 0.5, 0.25, 0.125]
    assert s(2) == pytest.approx(0.55) and s(8) == pytest.approx(0.3)
    huge = cosine_restarts(1.0, cycle_steps=3, cycle_mult=2)(np.array([2**62, 2**61, 2**40]))
    assert np.all(np.isfinite(huge))


def test_cyclic_modes() -> None:
    tri2 = cyclic(0.0, 1.0, step_size_up=2, mode="triangular2")
    assert tri2([0, 2, 6, 10]).tolist() == [0.0, 1.0, 0.5, 0.25]  # the peak halves each cycle
    exp = cyclic(0.0, 1.0, step_size_up=2, mode="exp_range", gamma=0.5)
    assert exp([2, 6]).tolist() == [0.25, 0.5**6]
    asym = cyclic(0.0, 1.0, step_size_up=1, step_size_down=3)
    assert asym(range(5)).tolist() == pytest.approx([0.0, 1.0, 2 / 3, 1 / 3, 0.0])


def test_onecycle_endpoints() -> None:
    for three in (False, True):
        s = onecycle(1.0, total_steps=100, div_factor=10.0, final_div_factor=100.0, three_phase=three)
        lrs = s(np.arange(150))
        assert lrs[0] == pytest.approx(0.1) and lrs.max() == 1.0 and int(lrs.argmax()) == 29
        assert lrs[99] == pytest.approx(0.001, rel=1e-12) and np.all(lrs[99:] == lrs[99])
    three = onecycle(1.0, total_steps=100, three_phase=True)
    assert three(58) == pytest.approx(1.0 / 25, rel=1e-12)  # back to initial_lr after 2 * 30 - 2


def test_wsd_decays() -> None:
    lin = wsd(1.0, total_steps=10, warmup_steps=2, decay_steps=4, min_lr=0.2)
    assert lin(range(12)).tolist() == pytest.approx([0, 0.5, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0.2])
    sq = wsd(1.0, total_steps=8, decay_steps=4, decay="1-sqrt")
    assert sq(range(9)).tolist() == pytest.approx([1, 1, 1, 1, 1, 0.5, 1 - math.sqrt(0.5), 1 - math.sqrt(0.75), 0])
    cos = wsd(1.0, total_steps=8, decay_steps=4, decay="cosine")
    assert cos(6) == pytest.approx(0.5)
    assert wsd(1.0, total_steps=100).params["decay_steps"] == 20


def test_composition() -> None:
    a, b = linear(0.0, end_lr=1.0, total_steps=4), cosine(1.0, total=6, min_lr=0.0)
    s = join([a, b], boundaries=[4])
    t = np.arange(14)
    assert np.array_equal(s(t), np.where(t < 4, a(t), b(np.maximum(t - 4, 0))))
    w = with_warmup(b, warmup_steps=4)
    assert np.array_equal(w(t), s(t))  # the same schedule, built two ways
    assert with_warmup(b, warmup_steps=4, start_lr=0.5)([0, 2]).tolist() == [0.5, 0.75]
    assert np.array_equal(with_warmup(b, warmup_steps=0)(t), b(t))
    p = product([constant(0.1), step(1.0, drop=0.5, every=3)])
    assert np.array_equal(p(t), 0.1 * step(1.0, drop=0.5, every=3)(t))
    three = join([constant(1.0), constant(2.0), constant(3.0)], [2, 5])
    assert three(range(7)).tolist() == [1, 1, 2, 2, 2, 3, 3]
    assert (three.lo, three.hi) == (1.0, 3.0)


def test_sample() -> None:
    res = sample([constant(0.1), step(0.1, every=2)], 4, labels=["c", "s"])
    assert res.labels == ("c", "s") and res.lrs.shape == (2, 4) and res.steps.tolist() == [0, 1, 2, 3]
    assert res.stats()[1] == {"label": "s", "first": 0.1, "last": 0.05, "min": 0.05, "max": 0.1}
    assert sample([constant(0.1)], 2).labels == ("constant(base_lr=0.1)",)
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        sample([constant(0.1)], 0)
    with pytest.raises(ValueError, match="labels must have one entry per schedule \\(1\\), got 2"):
        sample([constant(0.1)], 3, labels=["a", "b"])
    with pytest.raises(ValueError, match="at least one schedule"):
        sample([], 3)


ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("total<=0", lambda: cosine(0.1, total=0), ValueError, "total must be >= 1, got 0"),
    (
        "warmup>total",
        lambda: warmup_cosine(0.1, warmup=20, total=10),
        ValueError,
        "warmup must be <= total \\(10\\), got 20",
    ),
    ("min>base", lambda: cosine(0.01, min_lr=0.1), ValueError, "min_lr must be <= base_lr \\(0.01\\), got 0.1"),
    ("min>base-wc", lambda: warmup_cosine(0.0001, min_lr=0.001), ValueError, "min_lr must be <= base_lr"),
    ("negative lr", lambda: constant(-1), ValueError, "base_lr must be >= 0, got -1"),
    ("lr type", lambda: constant("a"), TypeError, "base_lr must be a number, got 'a'"),
    ("lr bool", lambda: constant(True), TypeError, "base_lr must be a number, got True"),
    ("lr nan", lambda: constant(float("nan")), ValueError, "base_lr must be finite, got nan"),
    ("drop", lambda: step(0.1, drop=1.5), ValueError, "drop must be in \\[0, 1\\], got 1.5"),
    ("every", lambda: step(0.1, every=0), ValueError, "every must be >= 1, got 0"),
    ("every float", lambda: step(0.1, every=2.5), ValueError, "every must be an integer, got 2.5"),
    ("every str", lambda: step(0.1, every="x"), TypeError, "every must be an integer, got 'x'"),
    ("milestones empty", lambda: multistep(0.1, []), TypeError, "milestones must be a non-empty list"),
    ("milestones order", lambda: multistep(0.1, [30, 10]), ValueError, "milestones must be strictly increasing"),
    ("milestones zero", lambda: multistep(0.1, [0]), ValueError, "milestones must be >= 1, got 0"),
    ("k and gamma", lambda: exponential(0.1, k=0.1, gamma=0.9), ValueError, "k or gamma, not both"),
    ("k<0", lambda: exponential(0.1, k=-1), ValueError, "k must be >= 0, got -1"),
    ("gamma>1", lambda: exponential(0.1, gamma=1.1), ValueError, "gamma must be in \\[0, 1\\], got 1.1"),
    ("linear total", lambda: linear(0.1, total_steps=0), ValueError, "total_steps must be >= 1, got 0"),
    ("power", lambda: polynomial(0.1, power=0), ValueError, "power must be > 0, got 0"),
    ("end>base", lambda: polynomial(0.1, end_lr=0.2), ValueError, "end_lr must be <= base_lr \\(0.1\\), got 0.2"),
    ("timescale", lambda: inverse_sqrt(0.1, timescale=0), ValueError, "timescale must be >= 1, got 0"),
    ("cycle_steps", lambda: cosine_restarts(0.1, cycle_steps=0), ValueError, "cycle_steps must be >= 1, got 0"),
    (
        "cycle_mult",
        lambda: cosine_restarts(0.1, 10, cycle_mult=1.5),
        ValueError,
        "cycle_mult must be an integer, got 1.5",
    ),
    (
        "cycle_decay",
        lambda: cosine_restarts(0.1, 10, cycle_decay=2),
        ValueError,
        "cycle_decay must be in \\[0, 1\\], got 2",
    ),
    ("max<base", lambda: cyclic(0.1, 0.05), ValueError, "max_lr must be >= base_lr \\(0.1\\), got 0.05"),
    (
        "mode",
        lambda: cyclic(0.1, 0.5, mode="nope"),
        ValueError,
        "mode must be one of triangular, triangular2, exp_range, got 'nope'",
    ),
    ("cyclic gamma", lambda: cyclic(0.1, 0.5, gamma=0), ValueError, "gamma must be in \\(0, 1\\], got 0"),
    ("step_size_down", lambda: cyclic(0.1, 0.5, step_size_down=0), ValueError, "step_size_down must be >= 1, got 0"),
    ("max_lr 0", lambda: onecycle(0.0, 100), ValueError, "max_lr must be > 0, got 0.0"),
    ("oc total", lambda: onecycle(0.1, 1), ValueError, "total_steps must be >= 2, got 1"),
    ("pct_start", lambda: onecycle(0.1, 100, pct_start=0.0), ValueError, "pct_start must be in \\(0, 1\\], got 0.0"),
    ("pct phases", lambda: onecycle(0.1, 100, pct_start=1.0), ValueError, "pct_start must leave every phase"),
    (
        "pct three",
        lambda: onecycle(0.1, 100, pct_start=0.6, three_phase=True),
        ValueError,
        "and three_phase, pct_start=0.6",
    ),
    ("div", lambda: onecycle(0.1, 100, div_factor=0.5), ValueError, "div_factor must be >= 1, got 0.5"),
    (
        "strategy",
        lambda: onecycle(0.1, 100, anneal_strategy="exp"),
        ValueError,
        "anneal_strategy must be one of cos, linear",
    ),
    (
        "three_phase",
        lambda: onecycle(0.1, 100, three_phase="yes"),
        TypeError,
        "three_phase must be true or false, got 'yes'",
    ),
    (
        "wsd sum",
        lambda: wsd(0.1, 10, warmup_steps=5, decay_steps=6),
        ValueError,
        "warmup_steps \\+ decay_steps must be <= total_steps \\(10\\), got 5 \\+ 6",
    ),
    (
        "wsd decay",
        lambda: wsd(0.1, 10, decay="exp"),
        ValueError,
        "decay must be one of linear, cosine, 1-sqrt, got 'exp'",
    ),
    ("warmup of a lambda", lambda: with_warmup(lambda t: 0.1, 5), TypeError, "schedule must be a Schedule"),
    ("warmup<0", lambda: with_warmup(constant(0.1), -1), ValueError, "warmup_steps must be >= 0, got -1"),
    ("join one", lambda: join([constant(0.1)], []), TypeError, "schedules must be a list of two or more"),
    (
        "join count",
        lambda: join([constant(0.1), constant(0.2)], [5, 6]),
        ValueError,
        "boundaries must have one entry fewer than schedules \\(1\\), got \\[5, 6\\]",
    ),
    (
        "join order",
        lambda: join([constant(1.0)] * 3, [5, 5]),
        ValueError,
        "boundaries must be strictly increasing, got \\[5, 5\\]",
    ),
    ("join str", lambda: join([constant(1.0)] * 2, "5"), TypeError, "boundaries must be a list of integers"),
    ("join part", lambda: join([constant(1.0), 0.5], [5]), TypeError, "schedules must be a Schedule"),
    ("product one", lambda: product([constant(0.1)]), TypeError, "two or more schedules"),
]


@pytest.mark.parametrize(("case", "make", "exc", "match"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_parameters(case: str, make: Callable[[], Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        make()


def test_demo_part_draws_the_tutorials_figure(tmp_path: Any) -> None:
    import matplotlib.pyplot as plt

    from lrlab import demo
    from lrlab.demo.part3_schedules import SPECS
    from lrlab.plots.schedules import plot_schedules

    res = demo.run_part("schedules", tmp_path)
    assert res.title == "Part 3: learning-rate schedules"
    assert [p.name for p in res.figures] == ["part3_schedules.png"] and res.figures[0].stat().st_size > 10_000
    assert res.summary["schedules"]["Step Decay"]["last"] == 0.0125
    # The figure's curves are the tutorial's functions at every epoch.
    samples = sample([S.parse(s) for s in SPECS.values()], 100, labels=list(SPECS))
    ax = plot_schedules(samples, xlabel="Epoch")
    reference = tutorial_schedules()
    assert [line.get_label() for line in ax.lines] == list(SPECS)
    for line, spec in zip(ax.lines, reference):
        assert np.array_equal(line.get_xdata(), np.arange(100))
        assert np.array_equal(line.get_ydata(), [reference[spec](e) for e in np.arange(100)])
    plt.close(ax.figure)


def test_the_legend_cuts_long_labels_only() -> None:
    import matplotlib.pyplot as plt

    from lrlab.plots.schedules import LEGEND_WIDTH, plot_schedules

    long = "join([" + ", ".join(["constant(0.1)"] * 10) + "], [" + ", ".join(map(str, range(1, 10))) + "])"
    res = sample([S.parse(long), constant(0.1)], 20, labels=[long, "constant(base_lr=0.1)"])
    ax = plot_schedules(res)
    labels = [line.get_label() for line in ax.lines]
    assert labels == [long[: LEGEND_WIDTH - 1] + "\u2026", "constant(base_lr=0.1)"]
    assert len(labels[0]) == LEGEND_WIDTH == 60 and res.labels[0] == long  # the samples keep the whole spec
    plt.close(ax.figure)


def test_the_legend_counts_what_it_does_not_list() -> None:
    import matplotlib.pyplot as plt

    from lrlab.plots.schedules import LEGEND_ENTRIES, plot_schedules

    many = [constant(0.001 * (i + 1)) for i in range(200)]
    ax = plot_schedules(sample(many, 5))
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(ax.lines) == 200 and len(texts) == LEGEND_ENTRIES == 20
    assert texts[0] == "constant(base_lr=0.001)" and texts[-1] == "\u2026 and 181 more"
    plt.close(ax.figure)
    few = plot_schedules(sample(many[:LEGEND_ENTRIES], 5))
    assert len(few.get_legend().get_texts()) == LEGEND_ENTRIES
    plt.close(few.figure)
