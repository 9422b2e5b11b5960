"""``--max-grad-norm`` on ``lrlab find`` and ``lrlab sweep``: checked first, passed on, and it clips."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lrlab.confirm
from lrlab.cli import main

FIND = ["find", "--num-iter", "20", "--seed", "3", "--batch-size", "64", "--json"]
SWEEP = ["sweep", "--lrs", "0.01,0.3", "--steps", "8", "--val-batches", "0", "--seed", "3", "--batch-size", "64"]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_find_clips_and_a_norm_that_never_binds_changes_nothing(tmp_path, capsys):
    out = ["--out", str(tmp_path)]
    plain = _json(capsys, [*FIND, *out])
    clipped = _json(capsys, [*FIND, *out, "--max-grad-norm", "0.01"])
    loose = _json(capsys, [*FIND, *out, "--max-grad-norm", "1e12"])
    assert loose["losses"] == plain["losses"]
    assert clipped["losses"] != plain["losses"]


def test_sweep_clips_and_says_so_in_its_json(tmp_path, capsys):
    out = ["--out", str(tmp_path), "--json"]
    plain = _json(capsys, [*SWEEP, *out])
    clipped = _json(capsys, [*SWEEP, *out, "--max-grad-norm", "0.01"])
    assert plain["max_grad_norm"] is None and clipped["max_grad_norm"] == 0.01
    assert clipped["train_losses"][0][0] == plain["train_losses"][0][0]  # the first loss is before any step
    assert clipped["train_losses"] != plain["train_losses"]


def test_find_confirm_passes_it_to_suggest_lr(tmp_path, capsys, monkeypatch):
    seen: dict[str, Any] = {}

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise ValueError("stopped by the test")

    monkeypatch.setattr(lrlab.confirm, "suggest_lr", spy)
    rc = main([*FIND, "--confirm", "--max-grad-norm", "0.5", "--out", str(tmp_path)])
    assert rc == 2 and "stopped by the test" in capsys.readouterr().err
    assert seen["max_grad_norm"] == 0.5


@pytest.mark.parametrize("command", ["find", "sweep"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_bad_max_grad_norm_is_one_line_and_exit_2(tmp_path, capsys, command, value):
    rc = main([command, f"--max-grad-norm={value}", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    want = f"lrlab {command}: error: --max-grad-norm must be a finite number > 0, got {float(value)}"
    assert err == want
    assert not (tmp_path / "o").exists()
