"""The LR-sensitivity sweep: one pass equals separate runs; zones are ordered."""

from __future__ import annotations

import numpy as np
import pytest

from lrlab.lab2d import descent, landscapes, sensitivity

TUTORIAL = landscapes.get("tutorial")


def test_one_pass_equals_separate_runs() -> None:
    grid = sensitivity.default_grid(1000, 1e-4, 0.1)
    res = sensitivity.sensitivity(TUTORIAL, grid, steps=100, start=(-1, 1))
    assert res.lrs.size == 1000
    for k in (0, 321, 640, 999):
        single = descent.gradient_descent(TUTORIAL, [grid[k]], steps=100, start=(-1, 1))
        assert res.final_loss[k] == single.final_loss[0]
        assert res.diverged[k] == single.diverged[0]


def test_zones_go_slow_good_unstable_diverging_on_the_tutorial() -> None:
    res = sensitivity.sensitivity(TUTORIAL, sensitivity.default_grid(), steps=100, start=(-1, 1))
    order = {z: i for i, z in enumerate(sensitivity.ZONES)}
    ranks = [order[z] for z in res.zones]
    assert ranks == sorted(ranks)  # contiguous, in this order
    good = res.band("good")
    assert good is not None and good[0] < 0.03 < good[1]
    assert res.band("slow")[1] > 0.01  # the tutorial's 0.001 and 0.01 are slow
    assert 0.045 < res.first_diverging_lr < 0.05  # and its 0.05 diverges
    assert res.zones[-1] == "diverging"
    assert good[0] <= res.best_lr <= good[1]


def test_unbounded_landscape_has_no_good_zone() -> None:
    res = sensitivity.sensitivity(landscapes.get("saddle"), sensitivity.default_grid(200))
    assert res.band("good") is None


def test_custom_optimizer_factory_is_used() -> None:
    grid = np.array([0.001, 0.01])
    calls: list[np.ndarray] = []

    def factory(lrs: np.ndarray) -> descent.Optimizer:
        calls.append(lrs)
        return descent.plain_gd(lrs)

    res = sensitivity.sensitivity(TUTORIAL, grid, steps=5, optimizer=factory, optimizer_name="mine")
    assert res.optimizer == "mine" and len(calls) == 1
    np.testing.assert_array_equal(calls[0], grid)


def test_to_dict_is_complete() -> None:
    d = sensitivity.sensitivity(TUTORIAL, sensitivity.default_grid(50), steps=10).to_dict()
    assert {"best_lr", "good_band", "first_diverging_lr", "lrs", "final_loss", "zones"} <= set(d)
    assert len(d["lrs"]) == 50


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"good_tol": 0.0}, r"good_tol must be in \(0, 1\), got 0"),
        ({"good_tol": 1.5}, r"good_tol must be in \(0, 1\), got 1.5"),
    ],
)
def test_bad_tolerance(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sensitivity.sensitivity(TUTORIAL, [0.01], **kwargs)


def test_bad_grid() -> None:
    with pytest.raises(ValueError, match=r"num must be .*, got 1"):
        sensitivity.default_grid(1)
    with pytest.raises(ValueError, match="0 < low < high"):
        sensitivity.default_grid(10, 1.0, 0.1)
    res = sensitivity.sensitivity(TUTORIAL, [0.01, 0.02], steps=5)
    with pytest.raises(ValueError, match="zone must be one of"):
        res.band("fast")


def test_every_run_diverging_has_no_best() -> None:
    res = sensitivity.sensitivity(TUTORIAL, [1.0, 2.0, 5.0], steps=50)
    assert res.diverged.all() and res.best_index is None
    assert np.isnan(res.best_lr) and np.isnan(res.best_loss)
    assert res.band("diverging") == (1.0, 5.0)
    from lrlab.plots.landscapes import plot_sensitivity

    plot_sensitivity(res)  # draws without a best line


def test_default_optimizer_runs_on_the_fast_path_with_the_generic_paths_numbers(monkeypatch) -> None:
    grid = sensitivity.default_grid()  # the 1,200-LR sweep
    generic = sensitivity.sensitivity(TUTORIAL, grid, steps=100, optimizer=descent.plain_gd)

    def no_generic_loop(*args, **kwargs):
        raise AssertionError("the default sweep must not run the generic init/update loop")

    monkeypatch.setattr(sensitivity, "descend", no_generic_loop)
    fast = sensitivity.sensitivity(TUTORIAL, grid, steps=100)
    np.testing.assert_allclose(fast.final_loss, generic.final_loss, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(fast.diverged, generic.diverged)
    assert fast.zones == generic.zones and fast.best_lr == generic.best_lr
    assert fast.diverged.any() and not fast.diverged.all()


def test_a_name_stands_for_its_landscape_and_the_result_prints_short() -> None:
    res = sensitivity.sensitivity("tutorial", sensitivity.default_grid(), steps=100, start=(-1, 1))
    text = repr(res)
    assert len(text) < 300, text
    assert text.startswith("SensitivityResult(landscape='tutorial', optimizer='gd', lrs=1200 from 1e-05 to 1, ")
    assert f"best_lr={res.best_lr:.4g}" in text and "good_band=0.0" in text
    none = repr(sensitivity.sensitivity(TUTORIAL, [1.0, 2.0], steps=20))
    assert "best_lr=nan, good_band=none, first_diverging_lr=1" in none
