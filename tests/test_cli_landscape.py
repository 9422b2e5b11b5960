"""``lrlab landscape`` through ``main([...])``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lrlab.cli import main


def test_json_reproduces_the_tutorial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "landscape",
            "--function",
            "tutorial",
            "--lr",
            "0.001",
            "0.01",
            "0.03",
            "0.05",
            "--steps",
            "100",
            "--start",
            "-1",
            "1",
            "--json",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["function"] == "tutorial"
    assert [r["lr"] for r in doc["runs"]] == [0.001, 0.01, 0.03, 0.05]
    assert [round(r["final_loss"], 6) for r in doc["runs"][:3]] == [3.601091, 0.378504, 0.021164]
    last = doc["runs"][3]
    assert last["diverged"] and last["steps"] == 5 and round(last["final_loss"], 2) == 135445.68
    assert [round(v, 4) for v in last["final_position"]] == [-10.9708, 4.0399]
    assert "sensitivity" not in doc
    assert (tmp_path / "landscape_tutorial.png").stat().st_size > 10_000


def test_without_lr_draws_the_sensitivity_curve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["landscape", "--function", "booth", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "LR sensitivity" in out and "diverging" in out
    assert (tmp_path / "sensitivity_booth.png").exists()


def test_json_with_sensitivity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["landscape", "--steps", "20", "--json", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["sensitivity"]["lrs"]) >= 1000
    assert len(doc["runs"]) == 4


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--function", "nope"], r"function must be one of 'tutorial', "),
        (["--lr", "0"], r"--lr must be finite and > 0, got 0"),
        (["--lr", "nan"], r"--lr must be finite and > 0, got nan"),
        (["--steps", "0"], r"--steps must be .*, got 0"),
        (["--steps", "1000000000"], r"--steps must be .*1,000,000.*, got 1,?000,?000,?000"),
        (["--start", "1", "inf"], r"start must be finite"),
        (["--bound", "-2"], r"--bound must be .*> 0, got -2"),
        (["--steps", "ten"], r"invalid int value"),
        (["--start", "1"], r"expected 2 arguments"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["landscape", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err), err
    assert err.count("\n") == 1 and "Traceback" not in err
