"""Edges of the torch-side API as a new user meets them: clear errors naming the argument, short reprs, and a
flat range test that says it is flat."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import lrlab
from lrlab.finder import LRFinderResult
from lrlab.finder.result import FLAT_DROP


def setup() -> tuple[nn.Module, torch.optim.Optimizer, list[tuple[torch.Tensor, torch.Tensor]]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    w = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    xs = [torch.randn(16, 4) for _ in range(4)]
    data = [(x, x @ w) for x in xs]
    return model, torch.optim.SGD(model.parameters(), lr=0.1), data


def test_a_flat_range_test_warns_on_the_result_and_in_the_cli(tmp_path, capsys) -> None:
    model, opt, data = setup()
    flat = lrlab.find_lr(model, opt, nn.MSELoss(), data, start_lr=1e-9, end_lr=1e-8, num_iter=30)
    assert flat.warnings and f"by more than {FLAT_DROP:.0%}" in flat.warnings[0] and "flat" in flat.warnings[0]
    assert "flat" in repr(flat)
    moving = lrlab.find_lr(model, opt, nn.MSELoss(), data, start_lr=1e-4, end_lr=1.0, num_iter=60)
    assert moving.warnings == ()

    from lrlab.cli import main

    args = ["find", "--start-lr", "1e-9", "--end-lr", "1e-8", "--num-iter", "20", "--json", "--out", str(tmp_path)]
    assert main(args) == 0
    assert "lrlab find: warning: the loss never fell clearly below its start" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: lrlab.suggest(None),
            TypeError,
            r"result must be a range test's result \(an LRFinderResult\), "
            "got NoneType",
        ),
        (lambda: LRFinderResult.from_dict({}), ValueError, r"doc must have every key .*got none for \['lrs'"),
        (lambda: LRFinderResult.from_dict("x"), TypeError, "doc must be a dict"),
    ],
)
def test_reading_results_refuses_what_is_not_one(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_sweep_refuses_a_string_of_lrs_and_too_many() -> None:
    model, opt, data = setup()
    with pytest.raises(TypeError, match=r"lrs must be a sequence of numbers .*got the string '0.1,1'; write lrs="):
        lrlab.sweep_lr(model, opt, nn.MSELoss(), data, lrs="0.1,1", steps=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lrs must hold at most 10,000 learning rates, got 20,000"):
        lrlab.sweep_lr(model, opt, nn.MSELoss(), data, lrs=np.geomspace(1e-3, 1, 20_000), steps=2)


def test_results_print_a_short_summary() -> None:
    model, opt, data = setup()
    result = lrlab.find_lr(model, opt, nn.MSELoss(), data, start_lr=1e-4, end_lr=1.0, num_iter=500)
    sweep = lrlab.sweep_lr(model, opt, nn.MSELoss(), data, lrs=np.geomspace(1e-3, 1, 64), steps=50)
    for obj in (result, sweep):
        text = repr(obj)
        assert len(text) < 300, text
    assert repr(sweep).startswith("SweepResult(64 LRs") and "best_lr=" in repr(sweep)
    assert repr(result).startswith("LRFinderResult(") and "steps" in repr(result)
