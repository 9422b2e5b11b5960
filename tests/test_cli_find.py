"""``lrlab find``: table, JSON schema, files, the IDX folder, and one-line errors."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from lrlab.cli import main
from lrlab.finder import METHODS
from lrlab.tutorial.data import write_idx


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
    args = [
        "find",
        "--num-iter",
        "25",
        "--optimizer",
        "momentum",
        "--batch-size",
        "64",
        "--seed",
        "3",
        "--method",
        "minimum",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "minimum *" in first and "Suggested learning rate (minimum)" in first and "lr_finder.png" in first
    assert main([*args, "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == a


def test_idx_folder_and_cnn(tmp_path, capsys):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (64, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 64, dtype=np.uint8))
    rc = main(
        [
            "find",
            "--data",
            str(tmp_path),
            "--model",
            "cnn",
            "--optimizer",
            "adam",
            "--batch-size",
            "16",
            "--num-iter",
            "8",
            "--start-lr",
            "1e-4",
            "--end-lr",
            "1",
            "--method",
            "tutorial",
            "--out",
            str(tmp_path / "out"),
            "--json",
        ]
    )
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["lrs"]) <= 8 and doc["suggested_lr"] == doc["suggestions"]["tutorial"]["lr"]


def test_rule_that_cannot_read_the_curve(tmp_path, capsys):
    # From LR 30 the loss blows up at once: the test stops after 2 finite points, too few for steepest.
    rc = main(["find", "--num-iter", "20", "--start-lr", "30", "--end-lr", "1e5", "--out", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert rc == 2
    doc = json.loads(captured.out)
    assert doc["stop_reason"] != "completed" and len(doc["lrs"]) < 20
    assert doc["suggested_lr"] is None and doc["suggestions"]["steepest"]["lr"] is None
    assert "needs at least 3 finite points" in doc["suggestions"]["steepest"]["error"]
    errors = [ln for ln in captured.err.splitlines() if "warning:" not in ln]
    assert len(errors) == 1 and errors[0].startswith("lrlab find: error: steepest needs")
    assert (tmp_path / "lr_finder.csv").exists()


def test_num_iter_is_checked_against_what_the_method_needs(tmp_path, capsys):
    assert main(["find", "--num-iter", "2", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--num-iter must be >= 3 for --method steepest, got 2; run more iterations", err), err
    assert not (tmp_path / "a").exists()  # refused before any work: nothing written, no folder made
    assert main(["find", "--num-iter", "2", "--method", "minimum", "--out", str(tmp_path / "b"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["lrs"]) == 2 and doc["suggested_lr"] == doc["suggestions"]["minimum"]["lr"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-lr", "1", "--end-lr", "0.1"], r"--end-lr must be > --start-lr \(1\), got 0.1"),
        (["--start-lr", "0"], r"--start-lr must be .*> 0, got 0"),
        (["--start-lr", "-1"], r"--start-lr must be .*> 0, got -1"),
        (["--start-lr", "nan"], r"--start-lr must be .*finite.*, got nan"),
        (["--end-lr", "inf"], r"--end-lr must be .*finite.*, got inf"),
        (["--num-iter", "1"], r"--num-iter must be .*, got 1"),
        (["--num-iter", "0"], r"--num-iter must be .*, got 0"),
        (["--num-iter", "1000000"], r"--num-iter must be .*100,000.*, got 1,?000,?000"),
        (["--num-iter", "10", "--method", "slide"], r"--num-iter must be >= 18 for --method slide, got 10"),
        (["--batch-size", "0"], r"--batch-size must be .*>= 1, got 0"),
        (["--seed", "-1"], r"--seed must be .*, got -1"),
        (["--seed", "99999999999999999999"], r"--seed must be .*, got 99,?999"),
        (["--device", "meta"], r"--device must be a device that holds data, got 'meta'"),
        (["--smooth", "1"], r"--smooth must be in \[0, 1\), got 1"),
        (["--smooth", "-0.5"], r"--smooth must be in \[0, 1\), got -0.5"),
        (["--dist-timeout", "0"], r"--dist-timeout must be .*> 0, got 0"),
        (["--dist-timeout", "-5"], r"--dist-timeout must be .*> 0, got -5"),
        (["--data", "NOPE"], r"does not exist or is not a folder"),
        (["--method", "best"], r"argument --method: invalid choice: 'best'"),
        (["--model", "resnet"], r"argument --model: invalid choice"),
        (
            ["--device", "nonsense"],
            r"--device must name a torch device \(auto, cpu, cuda, cuda:1 ...\), got 'nonsense'",
        ),
        (["--num-iter", "ten"], r"argument --num-iter: invalid int value: 'ten'"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["find", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()


def test_a_batch_larger_than_the_data_is_the_whole_set_with_a_note(tmp_path, capsys):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (40, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", rng.integers(0, 10, 40, dtype=np.uint8))
    rc = main(
        [
            "find",
            "--data",
            str(tmp_path),
            "--batch-size",
            "1000",
            "--num-iter",
            "3",
            "--method",
            "minimum",
            "--out",
            str(tmp_path / "out"),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "lrlab find: note: --batch-size 1,000 is larger than the 40 training digits; using 40" in captured.err
    assert len(json.loads(captured.out)["lrs"]) == 3


def test_the_results_warnings_go_to_stderr(tmp_path, capsys, monkeypatch):
    import lrlab.finder

    real = lrlab.finder.find_lr

    class Flagged:
        """The real result, with the warnings the finder may attach (e.g. a flat curve)."""

        warnings = ("the loss curve is flat: every LR gave the same loss", "second")

        def __init__(self, result):
            self._result = result

        def __getattr__(self, name):
            return getattr(self._result, name)

    monkeypatch.setattr(lrlab.finder, "find_lr", lambda *a, **k: Flagged(real(*a, **k)))
    assert main(["find", "--num-iter", "10", "--method", "minimum", "--out", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)
    lines = captured.err.splitlines()
    assert "lrlab find: warning: the loss curve is flat: every LR gave the same loss" in lines
    assert "lrlab find: warning: second" in lines


def test_folder_without_mnist_files(tmp_path, capsys):
    (tmp_path / "readme.txt").write_text("not mnist")
    assert main(["find", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "holds no MNIST files" in capsys.readouterr().err
