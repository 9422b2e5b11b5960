"""``lrlab find``: table, JSON schema, files, the IDX folder, and one-line errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from lrlab.cli import main
from lrlab.data import write_idx
from lrlab.finder import METHODS


def test_json_schema_and_files(tmp_path, capsys):
    rc = main(["find", "--num-iter", "30", "--out", str(tmp_path), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["lrs", "losses", "smoothed", "stop_reason", "suggestions", "suggested_lr"]
    assert len(doc["lrs"]) == len(doc["losses"]) == len(doc["smoothed"]) <= 30
    assert doc["lrs"][0] == 1e-7 and doc["stop_reason"] in ("completed", "diverged", "non-finite")
    assert set(doc["suggestions"]) == set(METHODS)
    assert doc["suggested_lr"] == doc["suggestions"]["steepest"]["lr"]
    with open(tmp_path / "lr_finder.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(doc["lrs"])
    np.testing.assert_allclose([float(r["lr"]) for r in rows], doc["lrs"], rtol=0)
    np.testing.assert_allclose([float(r["smoothed"]) for r in rows], doc["smoothed"], rtol=0)
    assert (tmp_path / "lr_finder.png").stat().st_size > 10_000


def test_table_output_is_reproducible_with_a_seed(tmp_path, capsys):
    args = ["find", "--num-iter", "25", "--optimizer", "momentum", "--batch-size", "64", "--seed", "3",
            "--method", "minimum", "--out", str(tmp_path)]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "minimum *" in first and "Suggested learning rate (minimum)" in first and "lr_finder.png" in first
    assert main(args + ["--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(args + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out) == a


def test_idx_folder_and_cnn(tmp_path, capsys):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (64, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 64, dtype=np.uint8))
    rc = main(["find", "--data", str(tmp_path), "--model", "cnn", "--optimizer", "adam", "--batch-size", "16",
               "--num-iter", "8", "--start-lr", "1e-4", "--end-lr", "1", "--method", "tutorial",
               "--out", str(tmp_path / "out"), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["lrs"]) <= 8 and doc["suggested_lr"] == doc["suggestions"]["tutorial"]["lr"]


def test_rule_that_cannot_read_the_curve(tmp_path, capsys):
    rc = main(["find", "--num-iter", "2", "--out", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert rc == 2
    doc = json.loads(captured.out)
    assert doc["suggested_lr"] is None and doc["suggestions"]["steepest"]["lr"] is None
    assert "needs at least 3 finite points" in doc["suggestions"]["steepest"]["error"]
    assert captured.err.count("\n") == 1 and captured.err.startswith("lrlab find: error: steepest needs")
    assert (tmp_path / "lr_finder.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-lr", "1", "--end-lr", "0.1"], "end_lr must be finite and > start_lr"),
        (["--start-lr", "0"], "start_lr must be a finite number > 0"),
        (["--num-iter", "1"], "num_iter must be >= 2, got 1"),
        (["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
        (["--smooth", "1"], "smooth must be in [0, 1)"),
        (["--data", "NOPE"], "does not exist or is not a folder"),
        (["--method", "best"], "argument --method: invalid choice: 'best'"),
        (["--model", "resnet"], "argument --model: invalid choice"),
        (["--device", "nonsense"], "--device must name a torch device, got 'nonsense'"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["find", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_folder_without_mnist_files(tmp_path, capsys):
    (tmp_path / "readme.txt").write_text("not mnist")
    assert main(["find", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "holds no MNIST files" in capsys.readouterr().err
