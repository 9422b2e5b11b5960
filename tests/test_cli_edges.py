"""The CLI's edges: --out checked before any work, write errors, pipes closed early, fast refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lrlab.cli import _common, main
from lrlab.cli._common import check_out, out_dir


def test_check_out_accepts_a_folder_or_a_path_that_can_become_one(tmp_path: Path) -> None:
    assert check_out(str(tmp_path)) == tmp_path
    deep = tmp_path / "a" / "b"
    assert check_out(str(deep)) == deep and not (tmp_path / "a").exists()  # nothing created yet
    assert out_dir(str(deep)).is_dir()


def test_check_out_refuses_files_paths_under_files_and_unwritable_folders(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "somefile"
    f.write_text("x")
    with pytest.raises(ValueError, match=r"--out must be a folder, got the file '.*somefile'"):
        check_out(str(f))
    with pytest.raises(
        ValueError,
        match=r"--out must be a folder path, got '.*somefile/sub', which lies under the "
        r"file '.*somefile'",
    ):
        check_out(str(f / "sub"))
    # Tests run as root, where chmod does not stop writes: ask os.access instead.
    ro = tmp_path / "ro"
    ro.mkdir()
    monkeypatch.setattr(_common.os, "access", lambda path, mode: Path(path) != ro)
    with pytest.raises(
        ValueError,
        match=r"--out must be a folder you can write to, got '.*ro/new'; '.*ro' is not "
        r"writable",
    ):
        check_out(str(ro / "new"))
    with pytest.raises(ValueError, match="--out must be a folder you can write to"):
        out_dir(str(ro))


def test_out_dir_turns_a_failed_mkdir_into_one_message(tmp_path: Path, monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(ValueError, match=r"--out must be a folder you can write to, got '.*new' \(Permission denied\)"):
        out_dir(str(tmp_path / "new"))


WRITERS = [
    ["landscape", "--lr", "0.01"],
    ["compare", "--steps", "5"],
    ["find", "--num-iter", "5"],
    ["sweep", "--steps", "2", "--lrs", "0.1"],
    ["demo", "--part", "schedules"],
]


@pytest.mark.parametrize("argv", WRITERS, ids=lambda a: a[0])
def test_every_writing_subcommand_checks_out_first(tmp_path: Path, capsys, monkeypatch, argv: list[str]) -> None:
    f = tmp_path / "somefile"
    f.write_text("x")
    for out, message in [(f, "--out must be a folder, got the file"), (f / "sub", "which lies under the file")]:
        assert main([*argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    monkeypatch.setattr(_common.os, "access", lambda path, mode: False)
    assert main([*argv, "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err
    assert f"lrlab {argv[0]}: error: --out must be a folder you can write to" in err and err.count("\n") == 1
    assert not (tmp_path / "new").exists()


def test_a_write_that_fails_anyway_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    import lrlab.plots._figure

    def disk_full(fig, path, dpi=110):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(lrlab.plots._figure, "save", disk_full)
    assert main(["landscape", "--lr", "0.01", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"lrlab landscape: error: {tmp_path / 'landscape_tutorial.png'}: No space left on device\n"


def _closed_pipe(argv: list[str], cwd: Path, read_lines: int = 0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m lrlab ARGV | head -READ_LINES``: read that much, then close the pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrlab", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    head = [proc.stdout.readline() for _ in range(read_lines)]
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    rc = proc.wait(timeout=120)
    return subprocess.CompletedProcess(argv, rc, "".join(head), err)


@pytest.mark.parametrize(
    ("argv", "read_lines", "codes"),
    [
        (["schedule", "cosine(base_lr=0.1, total=200000)", "--steps", "200000", "--csv"], 5, (141,)),
        (["find", "--num-iter", "10", "--json"], 0, (141,)),
        (["--help"], 0, (0, 141)),  # argparse itself swallows the error of writing its help
    ],
    ids=["schedule-csv-head-5", "find-json", "help"],
)
def test_a_pipe_closed_early_ends_quietly(
    tmp_path: Path, argv: list[str], read_lines: int, codes: tuple[int, ...]
) -> None:
    done = _closed_pipe(argv, tmp_path, read_lines)
    assert done.returncode in codes, (done.returncode, done.stderr[-2000:])
    assert done.stderr == "", done.stderr[-2000:]
    if read_lines:
        assert done.stdout.splitlines()[0] == "step,lr" and len(done.stdout.splitlines()) == read_lines


# Bad numeric flags of find and sweep: refused before torch is imported, the data loaded
# or a model built; run in a fresh interpreter so that sys.modules tells.
_REFUSALS = """
import sys, time
from lrlab.cli import main
cases = [a.split() for a in sys.argv[1:]]
for argv in cases:
    t0 = time.perf_counter()
    rc = main(argv)
    print(rc, 'torch' in sys.modules, round(time.perf_counter() - t0, 3), flush=True)
"""


def test_bad_flags_are_refused_fast_and_before_torch(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x")
    cases = [
        "find --num-iter 0",
        "find --num-iter 2",
        "find --start-lr -1",
        "find --end-lr 0",
        "find --smooth 1.5",
        "find --batch-size 0",
        "find --seed -1",
        "find --dist-timeout 0",
        "find --out somefile",
        "find --data NOPE",
        "sweep --steps 0",
        "sweep --lrs 1:2",
        "sweep --lrs 1e-3:1:100000000",
        "sweep --val-batches -1",
        "sweep --batch-size 0",
        "sweep --out somefile/sub",
    ]
    proc = subprocess.run(
        [sys.executable, "-c", _REFUSALS, *cases], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert len(rows) == len(cases), proc.stderr[-2000:]
    errors = proc.stderr.splitlines()
    assert len(errors) == len(cases) and all(": error: " in e for e in errors), errors
    assert "--start-lr" in errors[2] and "--num-iter" in errors[0] and "--method steepest" in errors[1]
    for case, (rc, torch_loaded, seconds) in zip(cases, rows):
        assert rc == "2" and torch_loaded == "False", case
        assert float(seconds) < 1.0, (case, seconds)  # today's --num-iter 0 took 5.5 s
    assert not any(p.name == "lrlab-out" for p in tmp_path.iterdir())


def test_tables_show_brackets_as_typed(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    cells = [("multistep(0.1, milestones=[30, 60])", "[bold]x[/bold]"), ("[red]", 1.5)]
    _common.print_table("Spec [1] of [red]", ["spec [a]", "note"], cells)
    out = capsys.readouterr().out
    for text in ("multistep(0.1, milestones=[30, 60])", "[bold]x[/bold]", "[red]", "Spec [1] of [red]", "spec [a]"):
        assert text in out, text
    assert "\\[" not in out  # escaped once: no backslash shows
    _common.print_table("t", ["a", "b"], [("[bold]x[/bold]", 1)], markup=True)
    out = capsys.readouterr().out
    assert "x" in out and "[bold]" not in out
