"""The shareable HTML page: its structure, ``--report`` on find/sweep/demo, ``lrlab report`` from JSON, bad input."""

from __future__ import annotations

import base64
import io
import json
import platform
import re
import shlex
import sys
from contextlib import redirect_stdout
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest

import lrlab
from lrlab.cli import main
from lrlab.finder import METHODS
from lrlab.report import page_from_json, sweep_from_dict

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Everything the tests read off a page: title, images, every URL-bearing attribute, headlines."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.imgs: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.data_lr: list[float] = []
        self.command = ""
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        self._in.append("title" if tag == "title" else "command" if a.get("id") == "command" else tag)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("src", "href", "srcset", "poster", "action", "data"):
            if key in a and not (tag == "span" and key == "data"):
                self.urls.append((tag, key, a[key]))
        if "data-lr" in a:
            self.data_lr.append(float(a["data-lr"]))

    def handle_endtag(self, tag: str) -> None:
        if self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        elif self._in and self._in[-1] == "command":
            self.command += data


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def check_page(path: Path, argv: list[str]) -> tuple[str, _Page]:
    """What every page must be: self-contained, its images PNGs inline, command and versions shown."""
    text = path.read_text(encoding="utf-8")
    page = parse(text)
    assert text.startswith("<!DOCTYPE html>") and page.title.startswith("lrlab")
    assert "http://" not in text and "https://" not in text and "url(" not in text
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert page.imgs, "a page without a figure"
    for tag, key, url in page.urls:
        assert tag == "img" and key == "src" and url.startswith("data:image/png;base64,"), (tag, key, url[:40])
    for src in page.imgs:
        png = base64.b64decode(src.removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(PNG_MAGIC)
        pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100 and pixels.std() > 0.01
    assert page.command.strip() == "lrlab " + shlex.join(argv)
    versions = {
        "lrlab": lrlab.__version__,
        "torch": metadata.version("torch"),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name, version in versions.items():
        assert re.search(rf"<td>{re.escape(name)}</td><td>{re.escape(version)}</td>", text), name
    return text, page


def run_cli(argv: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(argv)
    return rc, buf.getvalue()


@pytest.fixture(scope="module")
def find_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("find")
    argv = ["find", "--num-iter", "30", "--out", str(d), "--json", "--report", str(d / "page.html")]
    rc, out = run_cli(argv)
    assert rc == 0
    (d / "find.json").write_text(out)
    return {"argv": argv, "doc": json.loads(out), "page": d / "page.html", "json": d / "find.json"}


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("sweep")
    argv = ["sweep", "--steps", "4", "--lrs", "1e-2,0.3,1e30", "--val-batches", "0", "--out", str(d), "--json"]
    argv += ["--report", str(d / "sub" / "page.html")]  # a missing folder is made
    rc, out = run_cli(argv)
    assert rc == 0
    (d / "sweep.json").write_text(out)
    return {"argv": argv, "doc": json.loads(out), "page": d / "sub" / "page.html", "json": d / "sweep.json"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("demo")
    argv = ["demo", "--part", "landscapes", "--out", str(d), "--report", str(d / "page.html")]
    rc, out = run_cli(argv)
    assert rc == 0 and f"Report written to {d / 'page.html'}" in out
    return {"argv": argv, "out": d, "page": d / "page.html"}


def test_find_report_holds_every_rule_the_chosen_one_and_the_stop_reason(find_run: dict[str, Any]) -> None:
    doc = find_run["doc"]
    text, page = check_page(find_run["page"], find_run["argv"])
    assert page.data_lr == [doc["suggested_lr"]]  # the LR to use, in big type, exactly the JSON's
    assert len(page.imgs) == 1
    for name in METHODS:
        rule = doc["suggestions"][name]
        row = re.search(rf"<tr( class=\"chosen\")?><td>{name}</td><td>([^<]*)</td>", text)
        assert row is not None, name
        assert (row.group(1) is not None) == (name == "steepest")  # the rule behind suggested_lr is marked
        assert row.group(2) == ("n/a" if rule["lr"] is None else f"{rule['lr']:.4g}")
    lo, hi = doc["suggestions"]["steepest"]["lr_range"]
    assert f"band {lo:.3g} .. {hi:.3g}" in text
    assert f"<td>stopped because</td><td>{doc['stop_reason']}</td>" in text


def test_find_confirm_report_holds_the_band_rounds_and_cost(tmp_path: Path) -> None:
    argv = ["find", "--num-iter", "30", "--confirm", "--budget-steps", "200", "--out", str(tmp_path), "--json"]
    argv += ["--report", str(tmp_path / "page.html")]
    rc, out = run_cli(argv)
    assert rc == 0
    doc = json.loads(out)
    text, page = check_page(tmp_path / "page.html", argv)
    assert page.data_lr == [doc["suggested_lr"]] and doc["suggested_lr"] == doc["confirm"]["lr"]
    assert len(page.imgs) == 2  # the confirmation's figure and the range test's
    lo, hi = doc["band"]
    assert f"<td>band (about as good)</td><td>{lo:.3g} .. {hi:.3g}</td>" in text
    assert f"<td>cost</td><td>{doc['cost_steps']:,} training steps of 200 allowed</td>" in text
    for r in doc["confirm"]["rounds"]:
        assert f"<td>{len(r['lrs'])} x {r['horizon']} steps</td>" in text
    assert text.index('id="confirm"') < text.index('id="finder"')


def test_sweep_report_holds_every_lr_the_best_and_the_diverged(sweep_run: dict[str, Any]) -> None:
    doc = sweep_run["doc"]
    text, page = check_page(sweep_run["page"], sweep_run["argv"])
    assert page.data_lr == [doc["best_lr"]]
    assert doc["diverged"] == [False, False, True]  # LR 1e30 blows up: the page must say so
    assert re.search(r"<td>1e\+30</td><td>inf</td><td>nan</td><td>diverged at step \d+</td>", text)
    assert f'<tr class="chosen"><td>{doc["best_lr"]:.4g} (best)</td>' in text
    assert "<td>diverged</td><td>1 of 3</td>" in text


def test_demo_report_embeds_each_figure_file_exactly(demo_run: dict[str, Any]) -> None:
    text, page = check_page(demo_run["page"], demo_run["argv"])
    names = json.loads((demo_run["out"] / "summary.json").read_text())["landscapes"]["figures"]
    files = [demo_run["out"] / name for name in names]
    assert len(files) >= 2
    assert [base64.b64decode(s.split(",", 1)[1]) for s in page.imgs] == [f.read_bytes() for f in files]
    from lrlab.tutorial.demo import PARTS

    title = next(t for k, t, _ in PARTS if k == "landscapes")
    section = text[text.index('id="demo-landscapes"') : text.index('id="reproduce"')]
    assert f"<h2>{title}</h2>" in section and section.count("<tr><td>") >= 3  # the part's summary rows


def test_report_from_find_json_shows_the_same_suggestions(find_run: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "from_json.html"
    argv = ["report", str(find_run["json"]), "--out", str(out)]
    rc, printed = run_cli(argv)
    assert rc == 0 and printed.strip() == f"Report written to {out}"
    text, page = check_page(out, argv)
    doc = find_run["doc"]
    assert page.data_lr == [doc["suggested_lr"]]
    for name in METHODS:
        lr = doc["suggestions"][name]["lr"]
        assert f"<td>{name}</td><td>{'n/a' if lr is None else f'{lr:.4g}'}</td>" in text
    assert f"<td>steps recorded</td><td>{len(doc['lrs'])}</td>" in text  # not settings the JSON lacks
    assert "smoothing" not in text


def test_report_from_several_files_keeps_their_order(
    find_run: dict[str, Any], sweep_run: dict[str, Any], demo_run: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "all.html"
    files = [str(sweep_run["json"]), str(find_run["json"]), str(demo_run["out"] / "summary.json")]
    argv = ["report", *files, "--out", str(out), "--title", "lrlab: our <LR> study"]
    rc, _ = run_cli(argv)
    assert rc == 0
    text, page = check_page(out, argv)
    assert page.title == "lrlab: our <LR> study" and "&lt;LR&gt;" in text  # escaped
    assert page.data_lr == [sweep_run["doc"]["best_lr"], find_run["doc"]["suggested_lr"]]
    assert len(page.imgs) == 2 + len(
        json.loads((demo_run["out"] / "summary.json").read_text())["landscapes"]["figures"]
    )
    assert text.index('id="sweep"') < text.index('id="finder"') < text.index('id="demo-landscapes"')


def test_sweep_from_dict_rebuilds_what_the_page_shows(sweep_run: dict[str, Any]) -> None:
    doc = sweep_run["doc"]
    result = sweep_from_dict(doc)
    assert result.best_lr == doc["best_lr"] and result.diverged.tolist() == doc["diverged"]
    assert [None if not np.isfinite(s) else s for s in result.scores.tolist()] == doc["scores"]
    np.testing.assert_array_equal(result.train_losses[:2], np.array(doc["train_losses"][:2], dtype=float))
    with pytest.raises(ValueError, match="best_lr must match the saved curves"):
        sweep_from_dict({**doc, "best_lr": 123.0})
    with pytest.raises(ValueError, match="train_losses must be K x steps"):
        sweep_from_dict({**doc, "steps": 5})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("{not json", "RESULT must be a JSON file"),
        ('{"lr": 0.1}', "RESULT must be the --json output of lrlab find or lrlab sweep"),
        ("[1, 2]", "got a JSON list"),
        (
            '{"lrs": [0.1], "losses": [1], "smoothed": [1], "suggestions": [], "stop_reason": "completed"}',
            "suggestions must be an object",
        ),
    ],
    ids=["missing", "not-json", "wrong-keys", "a-list", "bad-suggestions"],
)
def test_report_bad_json_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "result.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path), "--out", str(tmp_path / "page.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lrlab report: error: ") and message in err, err
    assert not (tmp_path / "page.html").exists()
    with pytest.raises((OSError, ValueError)):  # the library raises what the CLI showed
        page_from_json([path], command="lrlab report")


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any model built or demo part run fails the test: a bad --report is refused before that."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("work started before --report was checked")

    import lrlab.tutorial
    import lrlab.tutorial.demo

    monkeypatch.setattr(lrlab.tutorial, "build_task", boom)
    monkeypatch.setattr(lrlab.tutorial.demo, "run_part", boom)


@pytest.mark.parametrize("command", [["find"], ["sweep"], ["demo", "--part", "landscapes"]], ids=lambda c: c[0])
@pytest.mark.parametrize("where", ["under-a-file", "a-folder", "read-only-folder"])
def test_bad_report_path_is_refused_before_any_work(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_work: None,
    command: list[str],
    where: str,
) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    report = {
        "under-a-file": tmp_path / "file" / "page.html",
        "a-folder": tmp_path / "folder",
        "read-only-folder": tmp_path / "folder" / "page.html",
    }[where]
    if where == "read-only-folder":
        import lrlab.cli.report

        # Root may write anywhere, so os.access is the one place to make a folder read-only for this test.
        real = lrlab.cli.report.os.access
        monkeypatch.setattr(
            lrlab.cli.report.os, "access", lambda p, m: False if Path(p) == report.parent else real(p, m)
        )
    out = tmp_path / "out"
    assert main([*command, "--out", str(out), "--report", str(report)]) == 2
    err = capsys.readouterr().err
    expected = {
        "under-a-file": "lies under the file",
        "a-folder": "--report must be a file path, got the folder",
        "read-only-folder": "is not writable",
    }[where]
    assert err.count("\n") == 1 and err.startswith(f"lrlab {command[0]}: error: --report must be") and expected in err
    assert not out.exists()
