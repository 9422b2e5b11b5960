"""``torchrun -m lrlab find|sweep`` end to end: one JSON object, files written once, ranks agree.

(That rank 1 neither prints nor writes is shown in test_distributed.py, where each rank
is given its own --out.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dist_harness import free_port


def test_torchrun_find_json(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        str(free_port()),
        "-m",
        "lrlab",
        "find",
        "--data",
        "mnist",
        "--num-iter",
        "30",
        "--json",
        "--out",
        str(tmp_path / "out"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[:3000]  # the ranks speak before torchrun sums up
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1  # one JSON object, from rank 0
    doc = json.loads(lines[0])
    assert len(doc["losses"]) == 30 and doc["world_size"] == 2
    assert doc["suggested_lr_by_rank"][0] == doc["suggested_lr_by_rank"][1] == doc["suggested_lr"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["lr_finder.csv", "lr_finder.png"]


def test_torchrun_sweep_equals_one_process(tmp_path: Path, capsys) -> None:
    from lrlab.cli import main

    args = ["sweep", "--lrs", "0.01:1:5", "--steps", "8", "--json"]
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        str(free_port()),
        "-m",
        "lrlab",
        *args,
        "--out",
        str(tmp_path / "ddp"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[:3000]  # the ranks speak before torchrun sums up
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    spread = json.loads(lines[0])
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    single = json.loads(capsys.readouterr().out)
    assert spread["train_losses"] == single["train_losses"] and spread["best_lr"] == single["best_lr"]
