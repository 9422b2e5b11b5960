"""suggest_lr: the band rule, the one-standard-error pick, the cost, untouched inputs, bad input."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import lrlab
from lrlab.confirm import Confirmation, band_of, pick, suggest_lr
from lrlab.finder import LRFinderResult, suggest
from lrlab.sweep import SweepResult


def curve(lrs: np.ndarray, smoothed: np.ndarray) -> LRFinderResult:
    return LRFinderResult(lrs=lrs, losses=smoothed, smoothed=smoothed, val_losses=None, stop_reason="completed",
                          start_lr=float(lrs[0]), end_lr=float(lrs[-1]), num_iter=lrs.size)


def sweep(train: list[list[float]], lrs: list[float]) -> SweepResult:
    arr = np.asarray(train, dtype=np.float64)
    return SweepResult(lrs=np.asarray(lrs), steps=arr.shape[1], train_losses=arr, val_losses=None,
                       val_steps=np.zeros(0, dtype=np.int64), optimizer="SGD", mode="vmap")


def test_band_runs_from_a_tenth_of_steepest_to_the_minimum() -> None:
    lrs = np.geomspace(1e-5, 10, 61)
    x = np.log10(lrs)
    smoothed = 2.0 - 1.5 / (1 + np.exp(-3 * (x + 1.5))) + np.where(x > 0, 3 * x**2, 0.0)  # falls fastest at 10^-1.5
    low, high = band_of(curve(lrs, smoothed))
    steep = suggest(curve(lrs, smoothed), "steepest").lr
    assert steep == pytest.approx(10**-1.5, rel=0.15)
    assert low == pytest.approx(steep / 10)
    assert high == pytest.approx(lrs[np.argmin(smoothed[: 61 - 3])])


def test_band_spans_at_most_three_decades() -> None:
    lrs = np.geomspace(1e-8, 10, 91)
    x = np.log10(lrs)
    # A sharp early drop (a fluke at 1e-7) and the real descent around 1e-2.
    smoothed = 3.0 - 0.5 / (1 + np.exp(-40 * (x + 7))) - 0.5 / (1 + np.exp(-3 * (x + 2))) + np.where(x > 0, x**2, 0)
    result = curve(lrs, smoothed)
    assert suggest(result, "steepest").lr < 1e-6
    low, high = band_of(result)
    assert low == pytest.approx(high / 1000)


def test_band_when_steepest_cannot_read_the_curve() -> None:
    lrs = np.array([1e-3, 1e-2])
    with pytest.raises(ValueError):
        suggest(curve(lrs, np.array([2.0, 1.0])), "steepest")
    low, high = band_of(curve(lrs, np.array([2.0, 1.0])))
    assert (low, high) == pytest.approx((1e-4, 1e-2))


def test_pick_is_the_vertex_of_the_parabola_through_the_best_and_its_neighbours() -> None:
    lrs = [0.001, 0.01, 0.1, 1.0]
    x = np.log10(lrs)
    # A parabola in log10(lr) with its minimum at 10**-1.8 (between the grid points).
    rows = [[5.0] * 12 + [1.0 + 0.5 * (xi + 1.8) ** 2] * 4 for xi in x]
    got = pick(sweep(rows, lrs))
    assert got.how == "interpolated" and got.best_index == 1
    assert got.lr == pytest.approx(10**-1.8, rel=1e-9)
    # A steep wall on the right pulls the vertex to the left of the best copy.
    rows[2] = [5.0] * 12 + [3.0] * 4
    assert pick(sweep(rows, lrs)).lr < 0.01


def test_pick_at_an_end_is_the_smallest_lr_within_one_paired_se_of_the_best() -> None:
    best_tail = [1.00, 1.04, 0.96, 1.00]
    rows = [
        [3.0] * 12 + [2.0, 2.0, 2.0, 2.0],  # too slow
        [3.0] * 12 + [1.03, 1.01, 0.97, 1.03],  # differences 0.03, -0.03, 0.01, 0.03: mean 0.01
        [3.0] * 12 + best_tail,  # best, at the end: no usable right neighbour
        [3.0] * 12 + [float("nan")] * 4,
    ]
    got = pick(sweep(rows, [0.01, 0.03, 0.1, 0.3]))
    diff = np.array([0.03, -0.03, 0.01, 0.03])
    assert got.stderr[1] == pytest.approx(np.std(diff, ddof=1) / 2) and got.stderr[2] == 0
    assert got.scores[1] - got.scores[2] == pytest.approx(0.01)
    assert 0.01 < got.stderr[1]
    assert (got.best_index, got.lr, got.how) == (2, 0.03, "one-se")
    rows[1] = [3.0] * 12 + [1.03, 1.07, 0.99, 1.03]  # +0.03 at every step: clearly worse
    assert pick(sweep(rows, [0.01, 0.03, 0.1, 0.3])).lr == 0.1


def test_pick_drops_diverged_and_worsening_copies() -> None:
    rows = [[2.0, 2.0, 1.9, 1.9], [2.0, 0.1, float("nan"), 0.1], [2.0, 3.0, 3.0, 3.0], [2.0, 1.5, 1.4, 1.4]]
    got = pick(sweep(rows, [0.01, 0.1, 1.0, 0.05]))
    assert (got.best_index, got.lr, got.how) == (3, 0.05, "one-se")
    none = pick(sweep([[1.0, float("inf")], [1.0, 2.0]], [0.1, 1.0]))
    assert (none.lr, none.best_index, none.how) == (None, None, "fallback")  # one name for an empty pick


def regression() -> tuple[nn.Module, torch.optim.Optimizer, list[Any]]:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    w = torch.randn(6, 1, generator=g)
    data = []
    for _ in range(8):
        x = torch.randn(32, 6, generator=g)
        data.append((x, x @ w + 0.1 * torch.randn(32, 1, generator=g)))
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
    return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), data


def test_suggest_lr_end_to_end_leaves_everything_untouched() -> None:
    model, opt, data = regression()
    state, opt_state, rng = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()), torch.get_rng_state()
    seen: list[tuple[int, int]] = []
    conf = suggest_lr(model, opt, nn.MSELoss(), data, start_lr=1e-5, end_lr=10, num_iter=60, num_lrs=5,
                      sweep_steps=20, seed=0, progress=lambda d, t: seen.append((d, t)))
    assert isinstance(conf, Confirmation)
    assert conf.band[0] <= conf.lr <= conf.band[1]
    assert conf.cost_steps == conf.range_test.steps + 5 * 20
    assert conf.sweep.lrs.size == 5 and conf.sweep.steps == 20
    np.testing.assert_allclose(conf.sweep.lrs, np.geomspace(*conf.band, 5))
    assert conf.how in ("interpolated", "one-se") and conf.best_index is not None
    assert seen[-1][0] == seen[-1][1] == conf.cost_steps
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert opt.state_dict() == opt_state and torch.equal(torch.get_rng_state(), rng)
    doc = conf.to_dict()
    assert doc["lr"] == conf.lr and doc["cost_steps"] == conf.cost_steps and len(doc["scores"]) == 5
    assert lrlab.suggest_lr is suggest_lr


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_lrs": 1}, ValueError, r"num_lrs must be >= 2, got 1"),
        ({"num_lrs": 4.0}, TypeError, r"num_lrs must be an int, got float"),
        ({"sweep_steps": 3}, ValueError, r"sweep_steps must be >= 4, got 3"),
        ({"range_test_options": {"num_iter": 5}}, ValueError, r"must not repeat suggest_lr's own arguments"),
        ({"start_lr": 1.0, "end_lr": 0.1}, ValueError, r"start_lr"),
    ],
)
def test_bad_input(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    model, opt, data = regression()
    with pytest.raises(error, match=match):
        suggest_lr(model, opt, nn.MSELoss(), data, **kwargs)


def test_cli_find_confirm(tmp_path, capsys) -> None:
    import json

    from lrlab.cli import main

    args = ["find", "--confirm", "--num-iter", "40", "--batch-size", "16", "--out", str(tmp_path)]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc)[-2:] == ["suggested_lr", "cost_steps"]
    assert doc["cost_steps"] == len(doc["lrs"]) + 6 * 48
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"Confirmed learning rate: {doc['suggested_lr']:.4g} (picked from 6 LRs" in out
    assert f"cost {doc['cost_steps']} steps" in out
