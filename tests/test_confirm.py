"""suggest_lr: the rule's pieces (budget, window, scores, vertex, band), the schedule forms, untouched inputs,
bad input, and the CLI's --confirm --schedule --total-steps."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR, OneCycleLR

import lrlab
from lrlab.confirm import Confirmation, rule, suggest_lr

# ------------------------------------------------------------------ the rule, as numbers


def test_default_budget_is_400_or_a_tenth_of_the_run() -> None:
    assert rule.default_budget(1000) == 400 and rule.default_budget(8001) == 801 and rule.default_budget(None) == 400


def test_plan_spends_at_most_the_budget_and_never_trains_longer_than_the_run() -> None:
    for budget, total in [(400, 1000), (400, 96), (801, 8001), (400, 30), (5000, 10**6)]:
        plan = rule.make_plan(budget, 100, total)
        assert plan.cost <= budget
        assert all(r.horizon <= total for r in plan.rounds)
        assert plan.rounds[0].horizon <= plan.rounds[-1].horizon
    with pytest.raises(ValueError, match=r"budget_steps must leave at least \d+ steps after the range test's 100"):
        rule.make_plan(150, 100, 1000)


def test_screen_window_spans_decades_below_and_above_the_edge() -> None:
    low, high = rule.screen_window(2.0)
    assert math.log10(2.0 / low) == pytest.approx(rule.SCREEN_BELOW)
    assert math.log10(high / 2.0) == pytest.approx(rule.SCREEN_ABOVE)


def test_scores_drop_copies_that_diverged_or_blew_up() -> None:
    losses = np.array([[2.0, 1.5, 1.0, 0.8], [2.0, 1.0, np.inf, 0.5], [2.0, 2.5, 3.5, 4.0], [2.0, 2.1, 2.3, 2.4]])
    got = rule.score_copies(losses)
    assert got[0] == 0.8 and got[1] == np.inf and got[2] == np.inf and got[3] == 2.4


def test_locate_reads_the_vertex_and_the_safe_side_of_a_wall() -> None:
    lrs = 10.0 ** np.arange(-4.0, 0.5, 0.5)
    x = np.log10(lrs)
    lr, how = rule.locate(lrs, 1.0 + (x + 2.2) ** 2)
    assert how == "vertex" and lr == pytest.approx(10**-2.2, rel=1e-9)
    walled = np.where(x > -1.8, 50.0, 1.0 + (x + 2.2) ** 2)  # a cliff just above the best
    lr_w, _ = rule.locate(lrs, walled)
    assert lr_w < 10**-2.0
    assert rule.locate(lrs, np.where(x < -3.9, 0.0, 1.0))[1] == "low-end"
    assert rule.locate(lrs, -x)[1] == "high-end"
    assert rule.locate(lrs, np.full(lrs.size, np.inf)) == (pytest.approx(math.nan, nan_ok=True), "none")
    diverged_neighbour = 1.0 + (x + 2.0) ** 2
    diverged_neighbour[5] = np.inf
    assert rule.locate(lrs, diverged_neighbour) == (pytest.approx(10**-2.0), "best")


def test_good_band_holds_the_pick_and_the_near_best_copies() -> None:
    lrs = np.array([0.01, 0.1, 1.0, 10.0])
    lo, hi = rule.good_band(lrs, np.array([2.0, 1.02, 1.0, np.inf]), 0.8)
    assert lo < 0.1 and 0.8 <= hi <= 1.0


def test_horizon_factor_is_one_at_the_full_length() -> None:
    cosine = lrlab.schedules.parse("cosine(1.0, total=500, min_lr=0.0)")(np.arange(500))
    assert rule.horizon_factor(500, 500, cosine) == 1.0 and rule.horizon_factor(900, 500, cosine) == 1.0
    assert rule.horizon_factor(50, 500) == 1.0 and rule.horizon_factor(50, 500, np.ones(500)) == 1.0  # constant
    assert rule.decay(cosine) == pytest.approx(0.5, abs=2e-3)
    expected = (50 / 500) ** (rule.HORIZON_EXPONENT * rule.decay(cosine))
    assert rule.horizon_factor(50, 500, cosine) == pytest.approx(expected) and expected < 1


# ------------------------------------------------------------------ end to end


def regression(seed: int = 0) -> tuple[nn.Module, torch.optim.Optimizer, list[Any]]:
    torch.manual_seed(seed)
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
    sched = LambdaLR(opt, lambda t: 1.0)  # the user's own scheduler: it must come back as it was
    sched_state = copy.deepcopy(sched.state_dict())
    state, opt_state, rng = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()), torch.get_rng_state()
    seen: list[tuple[int, int]] = []
    conf = suggest_lr(
        model,
        opt,
        nn.MSELoss(),
        data,
        schedule="warmup_cosine(1.0, warmup=50, total=600)",
        total_steps=600,
        seed=0,
        num_iter=60,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert isinstance(conf, Confirmation)
    assert conf.band[0] <= conf.lr <= conf.band[1] and conf.lr > 0
    assert conf.cost_steps == conf.range_test.steps + sum(r.cost for r in conf.rounds)
    assert conf.rounds[-1].held_out == rule.HELD_OUT_BATCHES and conf.rounds[-1].sweep.val_losses is not None
    assert conf.cost_steps <= conf.budget_steps == 400 and conf.wall_s > 0
    assert seen[-1][0] == conf.cost_steps
    assert conf.schedule == "warmup_cosine(1.0, warmup=50, total=600)" and conf.total_steps == 600
    assert conf.lr_factors is not None and conf.lr_factors.shape == (600,) and conf.lr_factors.max() == 1.0
    for r in conf.rounds:  # every round ran the schedule compressed to its horizon
        assert r.sweep.lr_factors is not None and r.sweep.steps == r.horizon and r.sweep.lr_factors.max() == 1.0
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert opt.state_dict() == opt_state and torch.equal(torch.get_rng_state(), rng)
    assert sched.state_dict() == sched_state and opt.param_groups[0]["lr"] == 0.01
    doc = conf.to_dict()
    assert doc["lr"] == conf.lr and doc["cost_steps"] == conf.cost_steps and len(doc["rounds"]) == len(conf.rounds)
    json.dumps(doc)
    assert len(repr(conf)) < 300 and "Peak LR" in conf._repr_html_()
    assert lrlab.suggest_lr is suggest_lr


def test_the_three_schedule_forms_give_the_same_suggestion() -> None:
    total = 300
    spec = "cosine(1.0, total=300)"
    shape = lrlab.schedules.parse(spec)
    runs = []
    for form in (spec, shape, lambda t: float(shape(t)), lambda o: LambdaLR(o, lambda t: float(shape(t)))):
        model, opt, data = regression()
        runs.append(
            suggest_lr(model, opt, nn.MSELoss(), data, schedule=form, total_steps=total, seed=1, num_iter=60).lr
        )
    assert runs[0] == runs[1] == runs[2] == runs[3]


def test_a_onecycle_factory_replays_its_momentum() -> None:
    model, opt, data = regression()
    conf = suggest_lr(
        model,
        opt,
        nn.MSELoss(),
        data,
        total_steps=400,
        seed=0,
        num_iter=60,
        schedule=lambda o: OneCycleLR(o, max_lr=o.param_groups[0]["lr"], total_steps=400),
    )
    assert all(r.sweep.momenta is not None for r in conf.rounds)
    assert opt.param_groups[0]["momentum"] == 0.9 and opt.param_groups[0]["lr"] == 0.01
    fig = conf.plot()
    assert len(fig.axes) == 3


def test_constant_lr_without_a_length_still_works() -> None:
    model, opt, data = regression()
    conf = suggest_lr(model, opt, nn.MSELoss(), data, seed=0, num_iter=60)
    assert conf.schedule == "constant" and conf.total_steps is None and conf.horizon_factor == 1.0
    assert conf.lr_factors is None and all(r.sweep.lr_factors is None for r in conf.rounds)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"schedule": "cosine(0.1, total=100)", "total_steps": 100}, ValueError, r"schedule must have peak 1"),
        (
            {"schedule": lambda t: 1.0 - t / 50, "total_steps": 100},
            ValueError,
            r"schedule must give a finite factor >= 0 at every step, got -0.02 at step 51",
        ),
        ({"schedule": lambda t: float("nan"), "total_steps": 10}, ValueError, r"got nan at step 0"),
        (
            {"schedule": lambda o: "not a scheduler", "total_steps": 10},
            TypeError,
            "schedule must return a torch LRScheduler",
        ),
        ({"schedule": "cosine(1.0, total=100)"}, ValueError, "total_steps must be given with a schedule"),
        ({"total_steps": 0}, ValueError, r"total_steps must be in \[1, 100,000,000\], got 0"),
        ({"total_steps": 10.5}, TypeError, "total_steps must be an int, got float"),
        ({"budget_steps": 120}, ValueError, "budget_steps must leave at least"),
        ({"range_test_options": {"num_iter": 5}}, ValueError, r"must not repeat suggest_lr's own arguments"),
        ({"start_lr": 1.0, "end_lr": 0.1}, ValueError, r"end_lr must be > start_lr"),
        ({"progress": 3}, TypeError, "progress must be callable"),
        ({"total_steps": 10**12}, ValueError, r"total_steps must be in \[1, 100,000,000\], got 1,000,000,000,000"),
        ({"schedule": "cosine(1.0, total=9)", "total_steps": 10**12}, ValueError, r"total_steps must be in \[1,"),
    ],
)
def test_bad_input_fails_before_anything_trains(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    model, opt, data = regression()
    state = copy.deepcopy(model.state_dict())
    with pytest.raises(error, match=match):
        suggest_lr(model, opt, nn.MSELoss(), data, **kwargs)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


# ------------------------------------------------------------------ the command line


def test_a_shuffling_dataloader_leaves_the_global_rng_alone() -> None:
    from torch.utils.data import DataLoader, TensorDataset

    model, opt, data = regression()
    x = torch.cat([b[0] for b in data])
    y = torch.cat([b[1] for b in data])
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)  # draws its seed from torch's RNG
    rng = torch.get_rng_state()
    suggest_lr(
        model, opt, nn.MSELoss(), loader, schedule="cosine(1.0, total=300)", total_steps=300, seed=0, num_iter=40
    )
    assert torch.equal(torch.get_rng_state(), rng)


def test_a_one_shot_loader_is_refused_up_front() -> None:
    model, opt, data = regression()
    with pytest.raises(ValueError, match=r"train_loader must be re-iterable .* got a one-shot iterator"):
        suggest_lr(model, opt, nn.MSELoss(), iter(data))


def test_cli_find_confirm_with_a_schedule(tmp_path, capsys) -> None:
    from lrlab.cli import main

    spec = "warmup_cosine(1.0, warmup=20, total=300, min_lr=0)"
    args = [
        "find",
        "--confirm",
        "--schedule",
        spec,
        "--total-steps",
        "300",
        "--num-iter",
        "40",
        "--batch-size",
        "64",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schedule"] == spec and doc["total_steps"] == 300
    assert doc["band"][0] <= doc["suggested_lr"] <= doc["band"][1]
    assert doc["cost_steps"] <= 400 and doc["cost_steps"] == doc["confirm"]["cost_steps"]
    assert (tmp_path / "suggest_lr.png").exists()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"Suggested peak learning rate: {doc['suggested_lr']:.4g}" in out and "Copies trained under" in out


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        (["--schedule", "cosine(1.0, total=100)"], "--schedule must come with --confirm"),
        (["--confirm", "--schedule", "cosine(1.0, total=100)"], "--total-steps must be given with --schedule"),
        (["--confirm", "--schedule", "cosine(0.5, total=100)", "--total-steps", "100"], "--schedule must have peak 1"),
        (["--confirm", "--schedule", "cosine(1.0", "--total-steps", "100"], "--schedule: spec"),
        (["--confirm", "--total-steps", "0"], "--total-steps must be in"),
        (["--confirm", "--budget-steps", "-5"], "--budget-steps must be in"),
    ],
)
def test_cli_run_flags_are_checked_up_front(flags: list[str], match: str, capsys) -> None:
    from lrlab.cli import main

    assert main(["find", *flags]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1
