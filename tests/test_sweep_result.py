"""SweepResult: the best-LR rule, divergence, params_of, to_dict and concat, on hand-made numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lrlab.sweep import SweepResult
from lrlab.sweep.result import tail_steps

INF, NAN = float("inf"), float("nan")


def make(train: list[list[float]], lrs: list[float] | None = None, val: list[list[float]] | None = None) -> SweepResult:
    arr = np.asarray(train, dtype=np.float64)
    k = arr.shape[0]
    return SweepResult(
        lrs=np.asarray(lrs or [10.0**-i for i in range(k, 0, -1)]),
        steps=arr.shape[1],
        train_losses=arr,
        val_losses=None if val is None else np.asarray(val, dtype=np.float64),
        val_steps=np.asarray([arr.shape[1]] if val is not None else [], dtype=np.int64),
        optimizer="SGD",
        mode="vmap",
        stacked={"w": torch.arange(float(k)).view(k, 1)},
        shared={"frozen": torch.ones(2), "extra": "meta"},
        state_keys={"w": "w", "f": "frozen", "extra": None},
    )


def test_tail_steps() -> None:
    # The last quarter: the one window the sweep's best LR and the confirmation both read.
    assert [tail_steps(s) for s in (1, 7, 8, 25, 100)] == [1, 1, 2, 6, 25]


def test_best_is_lowest_tail_mean_of_train_loss() -> None:
    # Copy 1 ends lowest on the last step alone but copy 2 has the lower mean of the last 2 of 8.
    rows = [[3.0] * 8, [3.0] * 6 + [2.0, 0.5], [3.0] * 6 + [1.0, 1.0]]
    got = make(rows)
    assert tail_steps(8) == 2
    assert got.scores.tolist() == [3.0, 1.25, 1.0]
    assert got.best_index == 2 and got.best_lr == pytest.approx(got.lrs[2])
    assert got.score_name == "mean train loss of the last 2 steps"


def test_validation_decides_when_present() -> None:
    got = make([[1.0, 0.5], [1.0, 0.1]], val=[[0.3], [0.9]])
    assert got.best_index == 0 and got.score_name == "final validation loss"


def test_ties_go_to_the_smaller_lr() -> None:
    got = make([[1.0], [1.0]], lrs=[0.5, 0.05])
    assert got.best_index == 1


def test_diverged_copies_are_never_best() -> None:
    got = make([[1.0, 0.9, 0.8], [1.0, NAN, 0.1], [1.0, INF, 0.0], [1.0, 0.5, 0.7]], val=None)
    assert got.diverged.tolist() == [False, True, True, False]
    assert got.diverged_at.tolist() == [-1, 1, 1, -1]
    assert got.best_index == 3
    bad_val = make([[1.0], [0.5]], val=[[0.2], [NAN]])
    assert bad_val.diverged.tolist() == [False, True] and bad_val.best_index == 0


def test_all_diverged_gives_none() -> None:
    got = make([[NAN], [INF]])
    assert got.best_index is None and got.best_lr is None


def test_params_of_builds_a_state_dict() -> None:
    got = make([[1.0], [2.0], [3.0]])
    sd = got.params_of(2)
    assert list(sd) == ["w", "f", "extra"]
    assert sd["w"].tolist() == [2.0] and sd["f"].tolist() == [1.0, 1.0] and sd["extra"] == "meta"
    sd["w"] += 1  # a clone: the result is unchanged
    assert got.params_of(-1)["w"].tolist() == [2.0]
    with pytest.raises(IndexError, match=r"k must be in \[-3, 3\), got 3"):
        got.params_of(3)


def test_to_dict_is_json_ready() -> None:
    got = make([[1.0, 0.5], [1.0, NAN]])
    d = got.to_dict()
    assert d["best_index"] == 0 and d["diverged"] == [False, True] and d["val_losses"] is None
    assert set(d) >= {"lrs", "train_losses", "scores", "best_lr", "mode", "optimizer", "steps"}
    json.dumps(d)  # plain Python values (NaN allowed by the default encoder)


def test_concat_joins_slices() -> None:
    a, b = make([[1.0], [2.0]], lrs=[0.1, 0.2]), make([[0.5]], lrs=[0.3])
    joined = SweepResult.concat([a, b])
    assert joined.lrs.tolist() == [0.1, 0.2, 0.3]
    assert joined.best_index == 2
    assert joined.params_of(2)["w"].tolist() == [0.0]
    with pytest.raises(ValueError, match="at least one SweepResult"):
        SweepResult.concat([])
    with pytest.raises(ValueError, match="share steps"):
        SweepResult.concat([a, make([[1.0, 2.0]])])


def test_from_dict_rebuilds_every_number_to_dict_wrote() -> None:
    from dataclasses import replace

    base = make([[1.0, NAN, 0.5], [2.0, 1.0, INF]], val=[[0.4], [NAN]])
    result = replace(
        base,
        lr_factors=np.array([0.5, 1.0, 0.25]),
        sharpness_steps=np.array([0, 2]),
        sharpness=np.array([[1.5, 2.5], [3.0, NAN]]),
        edge_constant=38.0,
        sharpness_preconditioned=True,
        max_grad_norm=1.0,
    )
    doc = json.loads(json.dumps(result.to_dict()))  # through JSON: NaN and Inf as written
    back = SweepResult.from_dict(doc)
    assert json.dumps(back.to_dict()) == json.dumps(result.to_dict())
    assert back.best_lr == result.best_lr and back.max_grad_norm == 1.0 and back.sharpness_preconditioned
    nulls = {**doc, "train_losses": [[1.0, None, 0.5], [2.0, 1.0, None]]}  # what a strict JSON writer gives
    assert np.isnan(SweepResult.from_dict(nulls).train_losses[[0, 1], [1, 2]]).all()
    with pytest.raises(ValueError, match=r"train_losses must be K x steps = 2 x 4, got \(2, 3\)"):
        SweepResult.from_dict({**doc, "steps": 4})
    with pytest.raises(ValueError, match="lrs must be a list of numbers, got"):
        SweepResult.from_dict({**doc, "lrs": ["a", "b"]})
