"""Batched gradient descent: the tutorial's numbers, row independence, divergence rules."""

from __future__ import annotations

import numpy as np
import pytest

from lrlab.lab2d import descent, landscapes

TUTORIAL = landscapes.get("tutorial")


def tutorial_loop(lr: float, start=(-1.0, 1.0), n_steps: int = 100) -> np.ndarray:
    """The tutorial's own per-LR loop, re-typed here as the reference."""
    pos = np.array(start, dtype=float)
    traj = [pos.copy()]
    for _ in range(n_steps):
        x, y = pos
        grad = np.array([-2 * (1 - x) - 40 * x * (y - x**2), 20 * (y - x**2)])
        pos = pos - lr * grad
        traj.append(pos.copy())
        if np.any(np.abs(pos) > 10):
            break
    return np.array(traj)


def test_tutorial_numbers_are_pinned() -> None:
    res = descent.gradient_descent(TUTORIAL, [0.001, 0.01, 0.03, 0.05], steps=100, start=(-1, 1))
    assert res.final_loss[:3] == pytest.approx([3.60109, 0.378504, 0.0211636], rel=5e-6)
    assert res.final_loss[3] == pytest.approx(135445.68, rel=1e-7)
    np.testing.assert_allclose(res.final_position[3], [-10.9708, 4.0399], atol=5e-5)
    assert res.steps.tolist() == [100, 100, 100, 5]
    assert res.diverged.tolist() == [False, False, False, True]


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.03, 0.05])
def test_paths_equal_the_tutorial_loop(lr: float) -> None:
    res = descent.gradient_descent(TUTORIAL, [0.0005, lr, 0.2], steps=100, start=(-1, 1))
    ref = tutorial_loop(lr)
    # Not asserted bitwise: the loop's scalar x**2 goes through libm's pow, which may
    # differ from the vectorised x*x in the last bit on some platforms.
    assert res.trajectory(1).shape == ref.shape
    np.testing.assert_allclose(res.trajectory(1), ref, rtol=1e-12, atol=1e-15)


def test_each_row_stops_on_its_own() -> None:
    res = descent.gradient_descent(TUTORIAL, [0.05, 0.01], steps=50, start=(-1, 1))
    assert res.steps.tolist() == [5, 50]
    # The stopped row repeats its last position; the other keeps moving.
    assert np.all(res.trajectories[0, 5:] == res.final_position[0])
    assert not np.all(res.trajectories[1, 10] == res.trajectories[1, 11])


def test_bound_is_a_parameter() -> None:
    tight = descent.gradient_descent(TUTORIAL, [0.05], steps=100, start=(-1, 1), bound=2.0)
    wide = descent.gradient_descent(TUTORIAL, [0.05], steps=100, start=(-1, 1), bound=1e6)
    assert tight.steps[0] < 5 and tight.diverged[0]
    assert wide.steps[0] > 5


def test_non_finite_counts_as_divergence() -> None:
    res = descent.gradient_descent(TUTORIAL, [10.0], steps=100, start=(-1, 1), bound=np.finfo(float).max)
    assert res.diverged[0]
    assert res.steps[0] < 100


def test_batch_of_starts() -> None:
    starts = np.array([[-1.0, 1.0], [0.5, 0.5], [1.0, 1.0]])
    res = descent.descend(TUTORIAL, descent.plain_gd(0.01), starts, steps=20)
    for k in range(3):
        single = descent.gradient_descent(TUTORIAL, [0.01], steps=20, start=starts[k])
        np.testing.assert_array_equal(res.final_position[k], single.final_position[0])
    np.testing.assert_array_equal(res.final_position[2], [1.0, 1.0])  # starts at the minimum


def test_record_false_keeps_no_paths() -> None:
    res = descent.gradient_descent(TUTORIAL, [0.01], steps=10, record=False)
    assert res.trajectories is None
    with pytest.raises(ValueError, match="record=True"):
        res.trajectory(0)


def test_progress_callback_reaches_the_end() -> None:
    seen: list[tuple[int, int]] = []
    descent.gradient_descent(TUTORIAL, [0.01], steps=300, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (300, 300)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lrs": [0.0]}, r"lr must be finite and > 0, got 0"),
        ({"lrs": [-0.1]}, r"lr must be finite and > 0, got -0.1"),
        ({"lrs": [float("nan")]}, r"lr must be finite and > 0, got nan"),
        ({"lrs": []}, r"lr must be a non-empty list"),
        ({"steps": 0}, r"steps must be .*, got 0"),
        ({"start": (1.0, float("inf"))}, r"start must be finite"),
        ({"start": (1.0, 2.0, 3.0)}, r"start must be two numbers"),
        ({"start": (1.0, 12.0)}, r"start must lie inside the bound \(\|x\|, \|y\| <= 10\), got \(1, 12\); move"),
        ({"bound": 0.0}, r"bound must be .*> 0, got 0"),
        ({"bound": -1.0}, r"bound must be .*> 0, got -1"),
        ({"bound": float("inf")}, r"bound must be .*finite.*, got inf"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    args = {"lrs": [0.01], "steps": 10, "start": (-1.0, 1.0), "bound": 10.0} | kwargs
    lrs = args.pop("lrs")
    with pytest.raises(ValueError, match=match):
        descent.gradient_descent(TUTORIAL, lrs, **args)


def test_steps_must_be_an_integer() -> None:
    with pytest.raises(TypeError, match=r"steps must be an int.*got .*2\.5"):
        descent.gradient_descent(TUTORIAL, [0.01], steps=2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["tutorial", "himmelblau", "saddle"])
def test_fast_path_equals_the_generic_optimizer_path(name: str) -> None:
    land = landscapes.get(name)
    grid = np.geomspace(1e-4, 0.5, 300)
    fast = descent.gradient_descent(land, grid, steps=200)
    generic = descent.descend(land, descent.plain_gd(grid), land.start, steps=200, lrs=grid)
    np.testing.assert_array_equal(fast.steps, generic.steps)
    np.testing.assert_array_equal(fast.diverged, generic.diverged)
    np.testing.assert_array_equal(fast.final_position, generic.final_position)
    np.testing.assert_array_equal(fast.trajectories, generic.trajectories)
    assert fast.diverged.any() and not fast.diverged.all()
    k = int(np.argmax(fast.diverged))
    assert np.all(fast.trajectories[k, fast.steps[k] :] == fast.final_position[k])


def test_a_registered_name_stands_for_its_landscape() -> None:
    by_name = descent.gradient_descent("tutorial", [0.01, 0.05], steps=50)
    by_object = descent.gradient_descent(TUTORIAL, [0.01, 0.05], steps=50)
    np.testing.assert_array_equal(by_name.final_position, by_object.final_position)
    generic = descent.descend("tutorial", descent.plain_gd(0.01), (-1, 1), steps=5)
    assert generic.landscape == "tutorial"


@pytest.mark.parametrize(
    ("landscape", "exc", "match"),
    [
        ("nowhere", ValueError, r"landscape must be a Landscape or one of 'tutorial', .*, got 'nowhere'"),
        (3.0, TypeError, r"landscape must be a Landscape or one of .*, got float"),
        (None, TypeError, r"landscape must be a Landscape or one of .*, got NoneType"),
    ],
)
def test_landscape_of_the_wrong_kind(landscape, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        descent.gradient_descent(landscape, [0.01], steps=5)
    with pytest.raises(exc, match=match):
        descent.descend(landscape, descent.plain_gd(0.01), (-1, 1), steps=5)


def test_descend_needs_an_init_update_pair() -> None:
    with pytest.raises(TypeError, match=r"optimizer must be an init/update pair .*, got 'adam'"):
        descent.descend(TUTORIAL, "adam", (-1, 1), steps=5)  # type: ignore[arg-type]


def test_trajectory_index_is_checked() -> None:
    res = descent.gradient_descent(TUTORIAL, [0.01, 0.03, 0.05], steps=10)
    np.testing.assert_array_equal(res.trajectory(-1), res.trajectory(2))
    with pytest.raises(IndexError, match=r"k must be in \[0, 2\] \(or -3..-1 from the end\) for 3 runs, got 99"):
        res.trajectory(99)
    with pytest.raises(IndexError, match="got -4"):
        res.trajectory(-4)
    with pytest.raises(TypeError, match="k must be an int"):
        res.trajectory(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": 10**9}, r"steps must be .*1,000,000.*, got 1,?000,?000,?000"),
        # 200,000 LRs x 1,001 recorded positions: 3 GiB of paths.
        (
            {"lrs": np.geomspace(1e-4, 0.1, 200_000), "steps": 1000},
            r"runs x \(steps \+ 1\) must be <= .* recorded positions \(2 GiB\) with record=True, got 200,000 x 1,001 "
            r"\(3.0 GiB\); pass record=False",
        ),
        (
            {"lrs": np.geomspace(1e-4, 0.1, 100_000), "steps": 1_000_000, "record": False},
            r"runs x steps must be <= 1e\+10 row-steps, got 100,000 x 1,000,000",
        ),
    ],
)
def test_sizes_too_big_to_hold_or_finish_are_refused_up_front(kwargs: dict, match: str) -> None:
    args = {"lrs": [0.01]} | kwargs
    with pytest.raises(ValueError, match=match):
        descent.gradient_descent(TUTORIAL, args.pop("lrs"), **args)
    if "lrs" not in kwargs:
        with pytest.raises(ValueError, match=match):
            descent.descend(TUTORIAL, descent.plain_gd(0.01), (-1, 1), **args)


def test_too_many_learning_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrlab.lab2d import _args

    monkeypatch.setattr(_args, "MAX_RUNS", 10)
    with pytest.raises(ValueError, match="lr must hold at most 10 learning rates, got 11"):
        descent.gradient_descent(TUTORIAL, np.full(11, 0.01), steps=5)
    with pytest.raises(ValueError, match="runs must be at most 10"):
        descent.descend(TUTORIAL, descent.plain_gd(0.01), np.zeros((11, 2)), steps=5)


def test_lrs_and_starts_of_the_wrong_kind() -> None:
    with pytest.raises(TypeError, match="lr must be a number or a list of numbers, got 'fast'"):
        descent.gradient_descent(TUTORIAL, "fast", steps=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="start must be two numbers"):
        descent.gradient_descent(TUTORIAL, [0.01], steps=5, start="origin")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="record must be True or False"):
        descent.gradient_descent(TUTORIAL, [0.01], steps=5, record="yes")  # type: ignore[arg-type]


def test_result_prints_a_short_summary() -> None:
    res = descent.gradient_descent(TUTORIAL, np.geomspace(1e-4, 0.1, 1200), steps=100)
    text = repr(res)
    assert len(text) < 300, text
    assert text.startswith("DescentResult(landscape='tutorial', runs=1200, lrs=0.0001..0.1, max_steps=100")
    assert f"diverged={int(res.diverged.sum())}/1200" in text and "paths=yes" in text
    assert "paths=no" in repr(descent.gradient_descent(TUTORIAL, [0.01], steps=5, record=False))
    assert "lrs=none" in repr(descent.descend(TUTORIAL, descent.plain_gd(0.01), (-1, 1), steps=5))


def test_every_start_of_a_batch_must_lie_inside_the_bound() -> None:
    with pytest.raises(ValueError, match=r"start must lie inside the bound \(\|x\|, \|y\| <= 10\), got \(20, -1\)"):
        descent.descend(TUTORIAL, descent.plain_gd(0.01), [[0.0, 0.0], [20.0, -1.0]], steps=5)
    assert descent.descend(
        TUTORIAL, descent.plain_gd(0.01), [[0.0, 0.0], [20.0, -1.0]], steps=5, bound=25.0
    ).steps.tolist() == [5, 1]
