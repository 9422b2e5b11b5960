"""``lrlab demo``: every part writes its figures and summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrlab.cli import main
from lrlab.tutorial import demo


def test_part1_reproduces_the_tutorial(tmp_path: Path) -> None:
    res = demo.run_part("landscapes", tmp_path)
    assert [p.name for p in res.figures] == ["part1_lr_grid.png", "part1_sensitivity.png", "part1_curvature.png"]
    losses = [r["final_loss"] for r in res.summary["runs"]]
    assert losses[:3] == pytest.approx([3.60109, 0.378504, 0.0211636], rel=5e-6)
    assert res.summary["runs"][3]["diverged"]
    assert repr(res) == (
        "PartResult('landscapes': Part 1: learning rate on 2D landscapes, "
        "figures=['part1_lr_grid.png', 'part1_sensitivity.png', 'part1_curvature.png'], 10 rows)"
    )


def test_cli_demo_one_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--part", "landscapes"]) == 0
    out = capsys.readouterr().out
    assert "Part 1" in out and "3.60109" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["landscapes"]["figures"] == ["part1_lr_grid.png", "part1_sensitivity.png", "part1_curvature.png"]


def test_unknown_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--part", "nope"]) == 2
    assert "--part must be one of" in capsys.readouterr().err
    with pytest.raises(ValueError, match="part must be one of"):
        demo.run_part("nope", tmp_path)


def test_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["demo", "--out", str(f), "--part", "landscapes"]) == 2
    assert "--out must be a folder" in capsys.readouterr().err
