"""``lrlab sweep``: table, JSON, files, the --lrs grammar and one-line errors."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from lrlab.cli import main
from lrlab.cli.sweep import parse_lrs


def test_json_and_files(tmp_path, capsys):
    rc = main(["sweep", "--steps", "4", "--lrs", "1e-2:1:3", "--val-batches", "1", "--out", str(tmp_path), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(doc["lrs"], [1e-2, 1e-1, 1.0])
    assert doc["mode"] == "vmap" and doc["optimizer"] == "SGD" and doc["steps"] == 4
    assert np.asarray(doc["train_losses"]).shape == (3, 4)
    assert np.asarray(doc["val_losses"]).shape == (3, 1) and doc["val_steps"] == [4]
    assert doc["best_lr"] == doc["lrs"][doc["best_index"]]
    assert doc["best_index"] == int(np.argmin(np.asarray(doc["val_losses"])[:, -1]))
    with open(tmp_path / "sweep.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["lr"]) for r in rows] == doc["lrs"]
    assert [int(r["best"]) for r in rows].index(1) == doc["best_index"]
    assert (tmp_path / "sweep.png").stat().st_size > 10_000


def test_table_without_validation_and_sequential_adam(tmp_path, capsys):
    args = [
        "sweep",
        "--steps",
        "3",
        "--lrs",
        "0.001,0.01",
        "--optimizer",
        "adam",
        "--val-batches",
        "0",
        "--mode",
        "sequential",
        "--batch-size",
        "32",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 copies x 3 steps (sequential)" in out
    assert "Best learning rate:" in out and "mean train loss of the last 1 steps" in out
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["optimizer"] == "Adam" and doc["val_losses"] is None


def test_parse_lrs():
    np.testing.assert_allclose(parse_lrs("1e-3:1e-1:3"), [1e-3, 1e-2, 1e-1])
    np.testing.assert_allclose(parse_lrs("0.5"), [0.5])
    np.testing.assert_allclose(parse_lrs("1:1:1"), [1.0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lrs", "1:2"], "--lrs must be A:B:K"),
        (["--lrs", "a,b"], "--lrs must be A:B:K"),
        (["--lrs", "1e-3:1:0"], "--lrs needs K >= 1 learning rates, got 0"),
        (["--lrs", "0:1:4"], "--lrs needs positive finite A and B"),
        (["--lrs", "0.1,-1"], "--lrs must all be finite and > 0, got '0.1,-1'"),
        (["--lrs", "inf"], "--lrs must all be finite and > 0, got 'inf'"),
        (["--lrs", "1e-3:1:100000000"], "--lrs must give at most 4,096 learning rates"),
        (["--lrs", ",".join(["0.1"] * 5000)], "--lrs must give at most 4,096 learning rates"),
        (["--steps", "0"], r"--steps must be .*, got 0$"),
        (["--steps", "10000000"], r"--steps must be .*100,000.*, got 10,?000,?000$"),
        (["--val-batches", "-1"], r"--val-batches must be .*>= 0, got -1$"),
        (["--batch-size", "0"], r"--batch-size must be .*>= 1, got 0$"),
        (["--seed", "-3"], r"--seed must be .*, got -3$"),
        (["--dist-timeout", "0"], r"--dist-timeout must be .*> 0, got 0"),
        (["--device", "gpu"], r"--device must name a torch device .*, got 'gpu'$"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    rc = main(["sweep", *args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2
    assert re.search(message, err.strip()) and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_a_batch_larger_than_the_data_is_clamped_with_a_note(tmp_path, capsys):
    rc = main(
        [
            "sweep",
            "--steps",
            "2",
            "--lrs",
            "0.01,0.1",
            "--batch-size",
            "10000",
            "--val-batches",
            "0",
            "--out",
            str(tmp_path),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    note = "lrlab sweep: note: --batch-size 10,000 is larger than the 4,000 training digits; using 4,000"
    assert note in captured.err
    assert "batch 4000" in json.loads(captured.out)["task"]
