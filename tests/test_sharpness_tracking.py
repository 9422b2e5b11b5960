"""Sharpness tracked during the range test: the probes, an undisturbed run, the result's round trip,
the ``edge`` rule, the two-panel figure and ``lrlab find --sharpness``."""

from __future__ import annotations

import copy
import json

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

import lrlab
from lrlab.cli import main
from lrlab.finder import LRFinderResult, find_lr, lr_sequence, suggest
from lrlab.hessian.track import TRACK_TOL

matplotlib.use("Agg")
MSE = nn.MSELoss()


def _task(opt_cls=torch.optim.SGD, **opt_kw):
    torch.manual_seed(0)
    x = torch.randn(96, 3, dtype=torch.float64)
    y = torch.tanh(x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64))
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    data = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 96, 16)]
    return model, opt_cls(model.parameters(), lr=0.1, **opt_kw), data


def test_probes_do_not_disturb_the_run_and_the_first_equals_a_direct_measurement():
    model, opt, data = _task()
    kw = {"start_lr": 1e-3, "end_lr": 5.0, "num_iter": 23}
    plain = find_lr(model, opt, MSE, data, **kw)
    before = [p.detach().clone() for p in model.parameters()]
    tracked = find_lr(model, opt, MSE, data, **kw, track_sharpness=5)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    np.testing.assert_array_equal(plain.losses, tracked.losses)  # same batches, same steps, bitwise
    n = tracked.steps
    assert tracked.sharpness_steps.tolist() == list(range(0, n, 5))
    assert tracked.edge_constant == 2.0 and not tracked.sharpness_preconditioned
    # The first probe: after one step at start_lr on the first batch, measured on that batch.
    twin = copy.deepcopy(model)
    twin_opt = torch.optim.SGD(twin.parameters(), lr=1e-3)
    MSE(twin(data[0][0]), data[0][1]).backward()
    twin_opt.step()
    direct = lrlab.sharpness(twin, MSE, data[0], optimizer=twin_opt, tol=TRACK_TOL)
    assert tracked.sharpness[0] == pytest.approx(direct.lambda_max, rel=1e-9)
    np.testing.assert_allclose(tracked.sharpness_threshold, 2.0 / tracked.lrs[tracked.sharpness_steps])


def test_adam_tracks_the_preconditioned_sharpness_against_38_over_lr():
    model, opt, data = _task(torch.optim.Adam)
    r = find_lr(model, opt, MSE, data, start_lr=1e-4, end_lr=1.0, num_iter=12, track_sharpness=4)
    assert r.sharpness_preconditioned and r.edge_constant == pytest.approx(38.0)
    assert r.sharpness.size == len(range(0, r.steps, 4)) and np.isfinite(r.sharpness).all()
    assert "sharpness at" in repr(r)


def test_to_dict_round_trip_and_old_documents():
    model, opt, data = _task()
    r = find_lr(model, opt, MSE, data, start_lr=1e-3, end_lr=1.0, num_iter=10, track_sharpness=3)
    doc = json.loads(json.dumps(r.to_dict()))
    back = LRFinderResult.from_dict(doc)
    np.testing.assert_array_equal(back.sharpness, r.sharpness)
    np.testing.assert_array_equal(back.sharpness_steps, r.sharpness_steps)
    assert back.edge_constant == r.edge_constant and back.sharpness_preconditioned is False
    old = {k: v for k, v in doc.items() if "sharpness" not in k and k != "edge_constant"}
    assert LRFinderResult.from_dict(old).sharpness is None
    with pytest.raises(ValueError, match="sharpness and sharpness_steps must be given together"):
        LRFinderResult(**{**_curve_kwargs(), "sharpness": [1.0]})


def _curve_kwargs(n: int = 31):
    lrs = lr_sequence(1e-3, 1.0, n)
    losses = np.linspace(2.0, 1.0, n)
    return {
        "lrs": lrs,
        "losses": losses,
        "smoothed": losses,
        "val_losses": None,
        "stop_reason": "completed",
        "start_lr": 1e-3,
        "end_lr": 1.0,
        "num_iter": n,
    }


def test_edge_rule_finds_where_a_constant_sharpness_meets_two_over_lr():
    # lambda = 10 everywhere: the threshold 2/lr reaches it at lr = 0.2; the rule gives half of that.
    steps = np.arange(0, 31, 3)
    r = LRFinderResult(**_curve_kwargs(), sharpness_steps=steps, sharpness=np.full(steps.size, 10.0), edge_constant=2.0)
    s = suggest(r, "edge")
    assert s.lr_range[1] == pytest.approx(0.2, rel=1e-9) and s.lr == pytest.approx(0.1, rel=1e-9)
    assert suggest(r, "edge", factor=1.0).lr == pytest.approx(0.2, rel=1e-9)
    with pytest.raises(ValueError, match="factor must be in"):
        suggest(r, "edge", factor=0.0)
    low = LRFinderResult(
        **_curve_kwargs(), sharpness_steps=steps, sharpness=np.full(steps.size, 1.0), edge_constant=2.0
    )
    with pytest.raises(ValueError, match="never reached 2/lr"):
        suggest(low, "edge")
    with pytest.raises(ValueError, match="track_sharpness"):
        suggest(LRFinderResult(**_curve_kwargs()), "edge")
    none = LRFinderResult(**_curve_kwargs(), sharpness_steps=steps, sharpness=np.full(steps.size, 10.0))
    with pytest.raises(ValueError, match="needs a stability threshold"):
        suggest(none, "edge")


def test_track_sharpness_is_checked_before_any_work():
    model, opt, data = _task()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="track_sharpness must be >= 1, got 0"):
        find_lr(model, opt, MSE, data, track_sharpness=0)
    with pytest.raises(TypeError, match="track_sharpness must be an int"):
        find_lr(model, opt, MSE, data, track_sharpness="10")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_the_figure_gets_a_second_panel():
    from lrlab.plots.finder import plot_finder
    from lrlab.plots.sharpness import plot_sharpness

    steps = np.arange(0, 31, 3)
    r = LRFinderResult(**_curve_kwargs(), sharpness_steps=steps, sharpness=np.full(steps.size, 10.0), edge_constant=2.0)
    ax = plot_finder(r, {"edge": suggest(r, "edge")})
    assert len(ax.figure.axes) == 2 and ax.figure.axes[1].get_yscale() == "log"
    assert any("2/LR" in t.get_text() for t in ax.figure.axes[1].get_legend().get_texts())
    assert len(plot_finder(LRFinderResult(**_curve_kwargs())).figure.axes) == 1
    with pytest.raises(ValueError, match="tracked sharpness"):
        plot_sharpness(LRFinderResult(**_curve_kwargs()))


def test_the_edge_rule_is_among_every_suggestion_only_when_the_sharpness_was_tracked():
    from lrlab.finder.suggest import METHODS, every_suggestion

    steps = np.arange(0, 31, 3)
    tracked = LRFinderResult(
        **_curve_kwargs(), sharpness_steps=steps, sharpness=np.full(steps.size, 10.0), edge_constant=2.0
    )
    found, errors = every_suggestion(tracked)
    assert set(found) | set(errors) == {*METHODS, "edge"} and found["edge"] == suggest(tracked, "edge")
    assert tracked.suggestions() == found  # what result.plot() marks is what the CLI prints
    plain = LRFinderResult(**_curve_kwargs())
    assert "edge" not in plain.suggestions() and set(every_suggestion(plain)[0]) | set(
        every_suggestion(plain)[1]
    ) == set(METHODS)


def test_cli_find_sharpness_json_and_checks(tmp_path, capsys):
    rc = main(["find", "--num-iter", "20", "--sharpness", "5", "--out", str(tmp_path), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    sharp = doc["sharpness"]
    assert sharp["steps"] == [0, 5, 10, 15][: len(sharp["steps"])] and len(sharp["lambda_max"]) == len(sharp["steps"])
    assert sharp["edge_constant"] == 2.0 and "edge" in doc["suggestions"]
    assert (tmp_path / "lr_finder.png").stat().st_size > 10_000
    assert main(["find", "--sharpness", "0", "--out", str(tmp_path)]) == 2
    assert "--sharpness must be in [1, 100,000], got 0" in capsys.readouterr().err
    assert main(["find", "--method", "edge", "--out", str(tmp_path)]) == 2
    assert "--method edge needs --sharpness" in capsys.readouterr().err


def test_sweep_tracks_every_copy_identically_on_both_paths_and_leaves_the_run_alone():
    import warnings

    model, opt, data = _task(torch.optim.Adam)
    kw = {"lrs": [0.01, 0.1, 1.0], "steps": 9, "seed": 0}
    plain = lrlab.sweep_lr(model, opt, MSE, data, **kw)
    fused = lrlab.sweep_lr(model, opt, MSE, data, **kw, track_sharpness=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seq = lrlab.sweep_lr(model, opt, MSE, data, **kw, track_sharpness=4, mode="sequential")
    assert fused.mode == "vmap" and seq.mode == "sequential"
    np.testing.assert_array_equal(plain.train_losses, fused.train_losses)
    assert fused.sharpness.shape == (3, 3) and fused.sharpness_steps.tolist() == [0, 4, 8]
    assert fused.sharpness_preconditioned and fused.edge_constant == pytest.approx(38.0)
    np.testing.assert_allclose(fused.sharpness, seq.sharpness, rtol=1e-6)
    np.testing.assert_allclose(fused.sharpness_threshold, 38.0 / np.array([[0.01], [0.1], [1.0]]) * np.ones((1, 3)))
    # The sequential path reads the copy's real torch.optim.Adam: check its last probe of copy 0 directly.
    twin = copy.deepcopy(model)
    twin_opt = torch.optim.Adam(twin.parameters(), lr=0.01)
    for t in range(9):
        twin_opt.zero_grad()
        MSE(twin(data[t % len(data)][0]), data[t % len(data)][1]).backward()
        twin_opt.step()
    direct = lrlab.sharpness(twin, MSE, data[0], optimizer=twin_opt, iters=200, tol=1e-10)
    assert seq.sharpness[0, -1] == pytest.approx(direct.lambda_max, rel=1e-3)
    doc = fused.to_dict()
    assert doc["sharpness_steps"] == [0, 4, 8] and len(doc["sharpness"]) == 3
    with pytest.raises(ValueError, match="track_sharpness must be >= 1, got 0"):
        lrlab.sweep_lr(model, opt, MSE, data, **kw, track_sharpness=0)


def test_cli_sweep_sharpness(tmp_path, capsys):
    rc = main(["sweep", "--lrs", "0.01,0.1,1", "--steps", "6", "--sharpness", "3", "--out", str(tmp_path), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sharpness_steps"] == [0, 3] and np.asarray(doc["sharpness"]).shape == (3, 2)
    assert (tmp_path / "sweep_sharpness.png").stat().st_size > 10_000
    assert main(["sweep", "--lrs", "0.1", "--sharpness", "-1", "--out", str(tmp_path)]) == 2
    assert "--sharpness must be in [1," in capsys.readouterr().err
