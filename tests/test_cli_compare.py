"""``lrlab compare`` through ``main([...])``."""

from __future__ import annotations

import json
import re

import pytest

from lrlab.cli import main

DONE_WHEN = [
    "compare",
    "--function",
    "tutorial",
    "--optimizer",
    "sgd:lr=0.001",
    "momentum:lr=0.001",
    "rmsprop:lr=0.01,alpha=0.9",
    "adam:lr=0.1",
    "--steps",
    "100",
    "--start",
    "-1",
    "1",
    "--json",
]


def test_json_prints_the_tutorial_numbers(tmp_path, capsys) -> None:
    assert main([*DONE_WHEN, "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["function"] == "tutorial" and set(doc) == {"function", "runs"}
    expected = [("sgd", 3.60109), ("momentum", 0.515235), ("rmsprop", 0.911073), ("adam", 0.000234841)]
    assert [r["optimizer"] for r in doc["runs"]] == [n for n, _ in expected]
    for run, (_, loss) in zip(doc["runs"], expected):
        assert set(run) == {"optimizer", "params", "final_loss", "final_position", "steps", "diverged"}
        assert run["final_loss"] == pytest.approx(loss, rel=1e-5, abs=0)
        assert run["steps"] == 100 and run["diverged"] is False and len(run["final_position"]) == 2
    assert doc["runs"][2]["params"] == {
        "lr": 0.01,
        "alpha": 0.9,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    }
    assert doc["runs"][1]["params"] == {"lr": 0.001, "beta": 0.9}


def test_tune_json_adds_best_lr_and_loss(tmp_path, capsys) -> None:
    argv = [
        "compare",
        "--optimizer",
        "sgd:lr=0.05",
        "--optimizer",
        "adam",
        "--tune",
        "--steps",
        "50",
        "--num-lrs",
        "60",
        "--lr-range",
        "1e-4",
        "1",
        "--json",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    sgd, adam_run = runs
    assert sgd["diverged"] is True  # the run at its own lr; the tuning finds a better one
    assert 1e-4 <= sgd["best_lr"] <= 0.05 and sgd["best_loss"] < 1
    assert 1e-4 <= adam_run["best_lr"] <= 1 and adam_run["best_loss"] < adam_run["final_loss"]
    assert set(adam_run) == {
        "optimizer",
        "params",
        "final_loss",
        "final_position",
        "steps",
        "diverged",
        "best_lr",
        "best_loss",
    }
    assert {p.name for p in tmp_path.iterdir()} == {
        "compare_tutorial.png",
        "tune_tutorial.png",
        "compare_tutorial_tuned.png",
    }


def test_table_figures_and_gif(tmp_path, capsys) -> None:
    argv = [
        "compare",
        "--function",
        "himmelblau",
        "--optimizer",
        "adam:lr=0.05",
        "nesterov:lr=0.001",
        "--steps",
        "20",
        "--animate",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Optimizers on himmelblau" in out and "adam(lr=0.05)" in out and "nesterov(lr=0.001)" in out
    assert "Tuned" not in out
    assert (tmp_path / "compare_himmelblau.png").exists() and (tmp_path / "compare_himmelblau.gif").exists()


def test_tune_table(tmp_path, capsys) -> None:
    argv = [
        "compare",
        "--optimizer",
        "rmsprop:alpha=0.9",
        "--tune",
        "--steps",
        "30",
        "--num-lrs",
        "30",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Tuned over 30 LRs" in out and "rmsprop(alpha=0.9)" in out and "good band" in out


def test_default_optimizers_are_the_tutorials(tmp_path, capsys) -> None:
    assert main(["compare", "--steps", "5", "--json", "--out", str(tmp_path)]) == 0
    names = [r["optimizer"] for r in json.loads(capsys.readouterr().out)["runs"]]
    assert names == ["sgd", "momentum", "rmsprop", "adam"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--optimizer", "adma:lr=0.1"], r"unknown optimizer 'adma'"),
        (["--optimizer", "adam:beta=0.9"], r"unknown hyperparameter 'beta' for adam"),
        (["--optimizer", "adam:lr=-0.1"], r"lr must be finite and >= 0, got -0.1"),
        (["--optimizer", "adam:beta1=1.0"], r"beta1 must be in \[0, 1\), got 1.0"),
        (["--optimizer", "rmsprop:eps=0"], r"eps must be > 0, got 0.0"),
        (["--optimizer", "sgd:nesterov=true"], r"Nesterov momentum requires momentum > 0"),
        (["--optimizer", "adam:lr"], r"each hyperparameter must be key=value, got 'lr'"),
        (["--optimizer", "adam:lr=abc"], r"lr must be a number, got 'abc'"),
        (["--function", "nowhere"], r"nowhere"),
        (["--steps", "0"], r"--steps must be .*, got 0"),
        (["--bound", "0"], r"--bound must be .*> 0, got 0"),
        (["--tune", "--num-lrs", "1"], r"--num-lrs must be .*, got 1"),
        (["--tune", "--lr-range", "0", "1"], r"--lr-range must be .*> 0, got 0"),
        (["--tune", "--lr-range", "1", "0.1"], r"--lr-range must be LOW HIGH with LOW < HIGH, got 1 0.1"),
        (["--steps", "ten"], r"invalid int value: 'ten'"),
        (["--start", "1"], r"expected 2 arguments"),
        (["--start", "100", "100"], r"start must lie inside the bound \(\|x\|, \|y\| <= 10\), got \(100, 100\)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args: list[str], match: str) -> None:
    assert main(["compare", *args, "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and "\n" not in err and "Traceback" not in err
    assert err.startswith("lrlab compare: error:")
    assert re.search(match, err), err
