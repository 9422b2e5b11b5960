"""Comparing and tuning optimizers on landscapes, and the figures drawn from the results."""

from __future__ import annotations

import numpy as np
import pytest

from lrlab.lab2d import landscapes
from lrlab.lab2d.compare import TUTORIAL_SPECS, Comparison, Tuning, compare, default_lrs, tune
from lrlab.lab2d.descent import descend
from lrlab.optim import adam
from lrlab.optim.spec import parse_spec

TUTORIAL = {"sgd": 3.60109, "momentum": 0.515235, "rmsprop": 0.911073, "adam": 0.000234841}


def test_compare_reproduces_the_tutorial() -> None:
    c = compare("tutorial", TUTORIAL_SPECS, steps=100, start=(-1, 1))
    assert isinstance(c, Comparison) and c.start == (-1.0, 1.0) and c.max_steps == 100
    for run in c.runs:
        assert run.final_loss == pytest.approx(TUTORIAL[run.spec.name], rel=1e-5, abs=0)
        assert run.path.shape == (101, 2) and run.steps == 100 and not run.diverged
        np.testing.assert_array_equal(run.path[0], [-1.0, 1.0])
        np.testing.assert_array_equal(run.path[-1], run.final_position)
    doc = c.runs[3].to_dict()
    assert doc["optimizer"] == "adam" and doc["params"]["lr"] == 0.1 and doc["params"]["beta1"] == 0.9
    assert set(doc) == {"optimizer", "params", "final_loss", "final_position", "steps", "diverged"}


def test_compare_defaults_and_divergence() -> None:
    land = landscapes.get("tutorial")
    c = compare(land, ["sgd:lr=0.05", parse_spec("adam:lr=0.01")], steps=50)
    assert c.start == tuple(float(v) for v in land.start)
    blown, fine = c.runs
    assert blown.diverged and blown.steps < 50 and blown.path.shape == (blown.steps + 1, 2)
    assert max(abs(blown.final_position[0]), abs(blown.final_position[1])) > 10 or not np.isfinite(blown.final_loss)
    assert not fine.diverged and fine.steps == 50


def test_tune_finds_best_lr_in_one_vectorised_pass_per_optimizer() -> None:
    calls: list[tuple[int, int]] = []
    t = tune(
        "tutorial",
        ["sgd", "adam:beta1=0.8"],
        steps=100,
        start=(-1, 1),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert isinstance(t, Tuning) and t.lrs.size == 241 and t.lrs[0] == pytest.approx(1e-5)
    sgd_res, adam_res = t.results
    # The best LR is the argmin over the grid of the very runs descend would give.
    loss = np.where(sgd_res.curve.diverged, np.inf, sgd_res.curve.final_loss)
    assert sgd_res.best_lr == t.lrs[np.argmin(loss)] and sgd_res.best_loss == loss.min()
    k = int(np.argmin(np.where(adam_res.curve.diverged, np.inf, adam_res.curve.final_loss)))
    one = descend(landscapes.get("tutorial"), adam(float(t.lrs[k]), betas=(0.8, 0.999)), (-1, 1), steps=100)
    assert adam_res.best_loss == pytest.approx(float(one.final_loss[0]), rel=1e-12)
    # Plain GD on the tutorial function works best just below its divergence edge (~0.035).
    assert 0.02 < sgd_res.best_lr < 0.05
    assert adam_res.band_decades > 1.0 > sgd_res.band_decades > 0
    lo, hi = adam_res.good_band
    assert lo <= adam_res.best_lr * 10 and lo < hi
    assert calls[-1] == (200, 200) and all(b == 200 for _, b in calls)
    best = t.best_specs()
    assert best[1].lr == adam_res.best_lr and best[1].params["beta1"] == 0.8


def test_good_segments_and_band_are_contiguous_runs() -> None:
    t = tune("tutorial", ["nadam"], lrs=np.geomspace(1e-3, 5, 120), steps=100, start=(-1, 1))
    res = t.results[0]
    zones = res.curve.zones
    for first, last in res.good_segments:
        assert all(z == "good" for z in zones[first : last + 1])
        assert first == 0 or zones[first - 1] != "good"
        assert last == len(zones) - 1 or zones[last + 1] != "good"
    widest = max(b - a for a, b in res.good_segments)
    lo, hi = res.good_band
    assert np.searchsorted(t.lrs, hi) - np.searchsorted(t.lrs, lo) == widest


def test_all_diverged_gives_nan_best() -> None:
    t = tune("tutorial", ["sgd"], lrs=[5.0, 10.0], steps=20, start=(-1, 1))
    res = t.results[0]
    assert res.all_diverged and np.isnan(res.best_lr) and np.isnan(res.best_loss)
    assert res.good_band is None and res.band_decades == 0.0
    assert t.best_specs()[0] is res.spec


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: compare("tutorial", []), ValueError, "optimizers must name at least one optimizer, got none"),
        (lambda: compare("tutorial", "adam"), TypeError, "optimizers must be a list of specs"),
        (lambda: compare("tutorial", ["adam:lr=-1"]), ValueError, r"lr must be finite and >= 0, got -1.0"),
        (lambda: compare("tutorial", ["foo"]), ValueError, r"unknown optimizer 'foo'"),
        (lambda: compare("nowhere", ["adam"]), ValueError, "nowhere"),
        (lambda: compare("tutorial", ["adam"], steps=0), ValueError, "steps must be .*, got 0"),
        (lambda: compare("tutorial", ["adam"], start=(1, 2, 3)), ValueError, "start must be two numbers"),
        (lambda: compare("tutorial", ["adam"], bound=-1), ValueError, "bound must be .*> 0, got -1"),
        (lambda: tune("tutorial", ["adam"], lrs=[0.1, -0.1]), ValueError, "lrs must be finite and > 0"),
        (lambda: tune("tutorial", ["adam"], good_tol=2), ValueError, r"good_tol must be in \(0, 1\)"),
        (lambda: default_lrs(1), ValueError, "num must be .*, got 1"),
        (lambda: default_lrs(10, 1.0, 0.1), ValueError, "the LR grid needs 0 < low < high"),
    ],
)
def test_bad_input(call, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_figures_and_gif(tmp_path) -> None:
    from PIL import Image

    from lrlab.plots import optimizers as plots
    from lrlab.plots._figure import save

    c = compare("tutorial", [*TUTORIAL_SPECS, "sgd:lr=0.05"], steps=30, start=(-1, 1))
    ax = plots.plot_paths(c)
    labels = ax.get_legend_handles_labels()[1]
    assert "adam(lr=0.1): final loss " + f"{c.runs[3].final_loss:.4g}" in labels
    assert any("diverged after" in lab for lab in labels)
    save(ax.figure, tmp_path / "paths.png")
    t = tune("tutorial", ["sgd", "adam"], lrs=np.geomspace(1e-4, 1, 40), steps=30, start=(-1, 1))
    fig = plots.tuning_figure(t)
    top, bottom = fig.axes
    assert top.get_xscale() == "log" and [tk.get_text() for tk in bottom.get_yticklabels()] == ["adam", "sgd"]
    save(fig, tmp_path / "tune.png")
    gif = plots.animate_paths(c, tmp_path / "paths.gif", max_frames=8)
    with Image.open(gif) as im:
        assert im.n_frames == 8
    with pytest.raises(ValueError, match="fps must be >= 1 and max_frames >= 2, got fps=0"):
        plots.animate_paths(c, tmp_path / "x.gif", fps=0)
    assert (tmp_path / "paths.png").stat().st_size > 10_000 and (tmp_path / "tune.png").stat().st_size > 10_000


def test_demo_part2(tmp_path) -> None:
    from lrlab.tutorial import demo

    res = demo.run_part("optimizers", tmp_path)
    assert res.key == "optimizers" and res.title == "Part 2: optimizers from scratch"
    assert [p.name for p in res.figures] == [
        "part2_optimizers.png",
        "part2_optimizers.gif",
        "part2_tuning.png",
        "part2_tuned_paths.png",
    ]
    assert all(p.exists() for p in res.figures)
    losses = {r["optimizer"]: r["final_loss"] for r in res.summary["runs"]}
    assert losses == pytest.approx(TUTORIAL, rel=1e-5, abs=0)
    tuned = res.summary["tuning"]["optimizers"]
    assert [t["optimizer"] for t in tuned] == [
        "sgd",
        "momentum",
        "nesterov",
        "rmsprop",
        "adam",
        "adamw",
        "adagrad",
        "nadam",
        "radam",
    ]
    assert res.summary["tuning"]["num_lrs"] >= 200
    assert dict(res.rows)["adam(lr=0.1)"] == "final loss 0.000234841"
    demo.write_summary([res], tmp_path)  # strict JSON: no NaN sneaks in


def test_unbounded_landscape_has_no_good_band_and_plots_negative_losses() -> None:
    from lrlab.plots import optimizers as plots

    t = tune("saddle", ["sgd", "adam"], lrs=np.geomspace(1e-3, 1, 20), steps=50)
    assert all(r.good_band is None for r in t.results)
    assert any(r.best_loss < 0 for r in t.results)
    fig = plots.tuning_figure(t)
    assert fig.axes[0].get_yscale() == "symlog"
    assert fig.axes[1].get_title().startswith("No minimum")


def test_results_print_short_summaries() -> None:
    c = compare("tutorial", TUTORIAL_SPECS, steps=100, start=(-1, 1))
    t = tune(
        "tutorial",
        ["sgd", "adam", "nadam", "radam", "adagrad", "rmsprop", "momentum"],
        steps=20,
        lrs=np.geomspace(1e-3, 1, 30),
    )
    texts = [repr(c), repr(c.runs[0]), repr(t), repr(t.results[0]), repr(c.landscape)]
    assert all(len(s) < 300 for s in texts), texts
    assert repr(c) == (
        "Comparison(landscape='tutorial', start=(-1, 1), max_steps=100, bound=10, runs=4: sgd, momentum, rmsprop, adam)"
    )
    assert repr(c.runs[0]) == "OptimizerRun(sgd(lr=0.001): final_loss=3.60109, 100 steps)"
    assert repr(t).startswith("Tuning(landscape='tutorial', lrs=30 from 0.001 to 1, max_steps=20, best_lr: sgd ")
    assert "(+2 more)" in repr(t)
    assert repr(t.results[1]).startswith("TunedOptimizer(adam: best_lr=")
