"""The report in a real headless Chromium: it renders, every image loads, nothing errors, it is not blank.

Skipped, with the reason, where no Chromium is installed or it cannot start (``.ci/run`` installs
Debian's ``chromium``). The browser is always ended by the fixture, and every wait has a deadline.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from browser import Browser, BrowserError, find_chromium
from lrlab.cli import main

IMAGES = "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    exe = find_chromium()
    if exe is None:
        pytest.skip("chromium not found: .ci/run installs Debian's chromium package")
    try:
        b = Browser(exe, tmp_path / "profile", timeout=30.0)
    except BrowserError as exc:
        pytest.skip(f"chromium cannot start here: {exc}")
    try:
        yield b
    finally:
        b.close()
    assert b.proc.poll() is not None  # the browser is gone


def pixels(png: bytes) -> np.ndarray:
    """The screenshot as ``(H, W, 3)`` floats in [0, 1]."""
    return np.asarray(matplotlib.image.imread(io.BytesIO(png), format="png"))[..., :3]


def colours(img: np.ndarray) -> int:
    """How many distinct colours an image holds."""
    rgb = (img * 255).round().astype(np.uint32).reshape(-1, 3)
    return int(np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]).size)


def run(argv: list[str]) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(argv) == 0
    return buf.getvalue()


@pytest.fixture
def pages(tmp_path: Path) -> dict[str, object]:
    """A ``find --report`` page, and one page from find, sweep and demo results (every figure kind)."""
    find = json.loads(run(["find", "--num-iter", "30", "--out", str(tmp_path / "f"), "--json",
                           "--report", str(tmp_path / "find.html")]))  # fmt: skip
    (tmp_path / "find.json").write_text(json.dumps(find))
    sweep = run(["sweep", "--steps", "4", "--lrs", "1e-2:1:3", "--val-batches", "0", "--out", str(tmp_path / "s"),
                 "--json"])  # fmt: skip
    (tmp_path / "sweep.json").write_text(sweep)
    run(["demo", "--part", "landscapes", "--out", str(tmp_path / "d")])
    files = [tmp_path / "find.json", tmp_path / "sweep.json", tmp_path / "d" / "summary.json"]
    run(["report", *map(str, files), "--out", str(tmp_path / "all.html")])
    return {"find": tmp_path / "find.html", "all": tmp_path / "all.html", "lr": find["suggested_lr"]}


def test_the_report_renders_in_chromium(browser: Browser, pages: dict[str, object], tmp_path: Path) -> None:
    lr = float(pages["lr"])  # type: ignore[arg-type]
    for name in ("find", "all"):
        path = Path(str(pages[name]))
        browser.load(path.resolve().as_uri())
        assert browser.evaluate("document.readyState") == "complete"
        assert browser.evaluate("document.title").startswith("lrlab")
        body = browser.evaluate("document.body.innerText")
        assert f"{lr:.4g}" in body and "Reproduce" in body
        big = browser.evaluate("document.querySelector('#headline-0 .lr').getBoundingClientRect().height")
        assert big > 30  # the LR to use is in big type
        images = browser.evaluate(IMAGES)
        assert len(images) == path.read_text().count("<img ") >= 1
        assert all(complete and w > 0 and h > 0 for complete, w, h in images), images
        png = browser.screenshot()
        (tmp_path / f"{name}.png").write_bytes(png)
        img = pixels(png)
        assert img.shape[0] > 900 and img.shape[1] >= 1000  # the whole page, taller than the window
        assert colours(img) > 200 and (img.min(axis=2) < 0.9).mean() > 0.02  # figures and text, not a blank page
    assert browser.errors == []


def test_the_checks_see_a_broken_page(browser: Browser, tmp_path: Path) -> None:
    """The same checks fail on a page that logs an error, throws, and has a missing image, and on a blank one."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body>"
        '<img src="missing.png"><script>console.error("boom"); undefined_function();</script></body></html>'
    )
    browser.load(page.resolve().as_uri())
    assert [(c, w) for c, w, _ in browser.evaluate(IMAGES)] == [(True, 0)]
    browser.evaluate("new Promise(r => setTimeout(r, 200))")  # let the events arrive
    errors = " | ".join(browser.errors)
    assert "console.error: boom" in errors and "undefined_function is not defined" in errors, errors
    assert "missing.png" in errors  # the failed load, from the Log domain
    browser.load("about:blank")
    assert colours(pixels(browser.screenshot(full_page=False))) == 1
