"""``lrlab find`` on two processes: one JSON object, files written once, ranks agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dist_workers
from dist_harness import free_port, run_ranks


def test_only_rank_0_prints_and_writes(tmp_path: Path) -> None:
    results = run_ranks(dist_workers.cli_find, str(tmp_path))
    assert [s for s, _ in results] == ["ok", "ok"], results
    a, b = (v for _, v in results)
    assert a["rc"] == b["rc"] == 0
    assert b["stdout"] == "" and b["wrote"] is None
    assert a["wrote"] == ["lr_finder.csv", "lr_finder.png"]
    doc = json.loads(a["stdout"])
    assert doc["world_size"] == 2
    assert doc["suggested_lr_by_rank"] == [doc["suggested_lr"]] * 2


def test_torchrun_find_json(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(free_port()),
           "-m", "lrlab", "find", "--data", "mnist", "--num-iter", "30", "--json", "--out", str(tmp_path / "out")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1  # one JSON object, from rank 0
    doc = json.loads(lines[0])
    assert len(doc["losses"]) == 30 and doc["world_size"] == 2
    assert doc["suggested_lr_by_rank"][0] == doc["suggested_lr_by_rank"][1] == doc["suggested_lr"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["lr_finder.csv", "lr_finder.png"]


def test_torchrun_sweep_equals_one_process(tmp_path: Path, capsys) -> None:
    from lrlab.cli import main

    args = ["sweep", "--lrs", "0.01:1:5", "--steps", "8", "--json"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(free_port()),
           "-m", "lrlab", *args, "--out", str(tmp_path / "ddp")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    spread = json.loads(lines[0])
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    single = json.loads(capsys.readouterr().out)
    assert spread["train_losses"] == single["train_losses"] and spread["best_lr"] == single["best_lr"]
