"""``lrlab schedule``: JSON, CSV, table + figure, --list, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from lrlab.cli import main
from lrlab.schedules import names

WC = "warmup_cosine(base_lr=0.1, warmup=10, total=100, min_lr=0.001)"  # the tutorial's floor


def tutorial_warmup_cosine(epoch: np.int64, base_lr: float = 0.1, warmup: int = 10, t_max: int = 100) -> float:
    """The tutorial's warmup_cosine, restated here independently of lrlab (NumPy scalars,
    as the tutorial evaluates it over ``np.arange(epochs)``)."""
    if epoch < warmup:
        return float(base_lr * epoch / warmup)
    e, t, eta_min = epoch - warmup, t_max - warmup, 0.001
    return float(eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * e / t)) / 2)


TUTORIAL = [tutorial_warmup_cosine(e) for e in np.arange(100)]


def test_json_prints_the_tutorials_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", WC, "--steps", "100", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["steps"] == 100 and len(doc["schedules"]) == 1
    assert doc["schedules"][0]["spec"] == WC
    assert doc["schedules"][0]["lrs"] == TUTORIAL


def test_json_several_specs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "constant(0.1)", "step(0.1, every=2)", "--steps", "5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["spec"] for s in doc["schedules"]] == ["constant(0.1)", "step(0.1, every=2)"]
    assert doc["schedules"][1]["lrs"] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", WC, "--steps", "100", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["step", "lr"] and len(rows) == 101
    assert [int(r[0]) for r in rows[1:]] == list(range(100))
    assert [float(r[1]) for r in rows[1:]] == TUTORIAL
    assert main(["schedule", "constant(0.1)", "cosine(0.1, total=3)", "--steps", "3", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["step", "constant(0.1)", "cosine(0.1, total=3)"]
    assert rows[3][0] == "2" and float(rows[3][1]) == 0.1


def test_table_and_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "constant(0.1)", WC, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "constant(0.1)" in out and "0.00103015" in out  # warmup_cosine's last value
    assert (tmp_path / "schedules.png").stat().st_size > 10_000
    assert f"Figure: {tmp_path / 'schedules.png'}" in out


def test_log_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", WC, "exponential(0.1, k=0.1)", "--log", "--steps", "200", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "schedules.png").exists()
    assert "Figure:" in capsys.readouterr().out


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--list"]) == 0
    out = capsys.readouterr().out
    for name in names():
        assert f"\n{name}(" in out
    assert "warmup_cosine(base_lr, warmup=10, total=100, min_lr=0.0)" in out
    assert main(["schedule", "--list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in doc["schedules"]] == names()
    assert doc["schedules"][1]["parameters"] == ["base_lr", "drop=0.5", "every=30"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cosine(0.1"], "spec: expected ',' or ')' at the end"),
        (["nope(0.1)"], "unknown schedule 'nope'"),
        (["cosine(0.1, T_max=3)"], "unknown parameter 'T_max' for cosine"),
        (["warmup_cosine(base_lr=0.1, warmup=20, total=10)"], "warmup must be <= total (10), got 20"),
        (["cosine(base_lr=0.01, min_lr=0.1)"], "min_lr must be <= base_lr (0.01), got 0.1"),
        (["cosine(base_lr=abc)"], "base_lr must be a number, got 'abc'"),
        (["cosine(0.1)", "--steps", "0"], "--steps must be >= 1, got 0"),
        ([], "give at least one SPEC"),
        (["cosine(0.1)", "--json", "--csv"], "not allowed with argument"),
        (["cosine(0.1)", "--steps", "ten"], "invalid int value: 'ten'"),
        (["cosine(0.1)", "--list"], "--list takes no SPEC (it lists every schedule), got 1"),
        (["--list", "--csv"], "--list prints a list or, with --json, one JSON object; got --csv"),
    ],
)
def test_errors_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_too_many_steps_are_refused_up_front(capsys: pytest.CaptureFixture[str]) -> None:
    from lrlab.schedules.sample import MAX_SAMPLES

    assert main(["schedule", "cosine(0.1)", "--steps", "1000000000"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "--steps must be <= 1,000,000 (the steps evaluated and drawn), got 1,000,000,000" in captured.err
    assert main(["schedule", "constant(0.1)", "--steps", str(MAX_SAMPLES), "--csv"]) == 0
    assert capsys.readouterr().out.count("\n") == MAX_SAMPLES + 1


def test_a_bad_out_is_named_before_the_specs_are_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "nope(0.1)", "--out", "tests/test_cli_schedule.py/x"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["schedule", "nope(0.1)", "--out", "tests/test_cli_schedule.py/x", "--json"]) == 2
    assert "unknown schedule 'nope'" in capsys.readouterr().err  # --json writes no file


def test_the_help_names_the_steps_limit(capsys: pytest.CaptureFixture[str]) -> None:
    from lrlab.schedules.sample import MAX_SAMPLES

    assert main(["schedule", "--help"]) == 0
    assert f"at most {MAX_SAMPLES:,}" in " ".join(capsys.readouterr().out.split())


def test_the_table_shows_lists_in_specs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # one line per row (a narrow terminal wraps the cell)
    # rich would read "[constant(0.1), constant(0.01)]" as a markup tag and drop it.
    spec = "join([constant(0.1), constant(0.01)], boundaries=[50])"
    assert main(["schedule", spec, "multistep(0.1, [30, 60])", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert spec in out and "multistep(0.1, [30, 60])" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["with_warmup(" * 2000 + "constant(0.1)" + ", 1)" * 2000], "spec must nest calls and lists at most 64 deep"),
        (["cosine(0.1" + " " * 10_000 + ")"], "spec must be at most 10000 characters long, got 10011"),
        (["cosine(\u0660.\u0661, total=100)"], "spec must be ASCII text, got '\u0660' (U+0660) at position 7"),
        (["product([" + ", ".join(["constant(1)"] * 100) + "])"], "schedules must hold at most 64 schedules, got 100"),
        (["cosine(0.1)", "--steps", "-5"], "--steps must be >= 1, got -5"),
        (["product([constant(1e200), constant(1e200)])"], "schedules must multiply to a finite learning rate"),
        (["constant(0.1)", "--out", "tests/test_cli_schedule.py"], "--out must be a folder"),
        ([""], "spec: expected a schedule name at the end in ''"),
    ],
    ids=["deep", "long", "arabic-digits", "parts", "negative-steps", "overflow", "out-file", "empty"],
)
def test_bad_specs_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err and len(captured.err) < 400


def test_the_figure_legend_shows_long_specs_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lrlab.plots import schedules as plots

    monkeypatch.setenv("COLUMNS", "300")

    drawn = []
    real = plots.plot_schedules

    def keep(*args: object, **kwargs: object) -> object:
        ax = real(*args, **kwargs)  # type: ignore[arg-type]
        drawn.append([t.get_text() for t in ax.get_legend().get_texts()])
        return ax

    monkeypatch.setattr(plots, "plot_schedules", keep)
    spec = "join([" + ", ".join(f"cosine(0.1, total={10 + i})" for i in range(8)) + "], [10, 20, 30, 40, 50, 60, 70])"
    assert main(["schedule", spec, "constant(0.1)", "--out", str(tmp_path), "--steps", "120"]) == 0
    out = capsys.readouterr().out
    assert drawn == [[spec[:59] + "\u2026", "constant(0.1)"]]
    assert spec in out  # the table keeps the whole spec
    assert main(["schedule", spec, "--json", "--steps", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["schedules"][0]["spec"] == spec
