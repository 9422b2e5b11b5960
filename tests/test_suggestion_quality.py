"""The public quality suite runs: ``python benchmarks/suggestion_quality.py --quick`` (two small tasks, seed 0,
every method) prints its tables with a row per method, lrlab within its cost budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_suite_runs_every_method(tmp_path: Path) -> None:
    for package in ("torch_lr_finder", "lightning", "prodigyopt", "dadaptation", "dog", "schedulefree"):
        pytest.importorskip(package)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "suggestion_quality.py"), "--quick", "--cache", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    methods = [
        "lrlab",
        "torch-lr-finder",
        "lightning",
        "fastai-valley",
        "fastai-slide",
        "fastai-minimum",
        "fastai-steep",
        "prodigy",
        "d-adaptation",
        "dog",
        "schedule-free",
    ]
    summary = out.split("All tasks and seeds together")[1]
    for method in methods:
        assert f"| mnist-mlp-sgd | {method} |" in out and f"| synth-mlp-adamw | {method} |" in out
        assert f"| {method} |" in summary
    lrlab_row = next(line for line in summary.splitlines() if line.startswith("| lrlab |"))
    assert int(lrlab_row.rstrip(" |").split("|")[-1]) <= 400  # max cost within max(400, total / 10)
    assert "oracle best peak LR 0.681" in out  # the committed oracle, read back
    assert not list(tmp_path.glob("lightning_logs")) and any(tmp_path.glob("*.json"))
