"""One self-contained HTML page: a title, the LR to use in big type, sections, and how to reproduce it.

The page needs nothing beside it: figures are PNGs inside ``data:`` URIs, the CSS is inline, there is
no script, no font and no link to fetch. Opened from a mail attachment or a CI artifact, it reads the
same as on the machine that made it.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lrlab.plots._html import escape, table

__all__ = ["Headline", "Section", "png_file_img", "render_page", "versions"]

# Distributions whose versions decide what a run gives (numbers can move between torch releases).
_PACKAGES = ("lrlab", "torch", "numpy", "matplotlib")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2330;
background:#fff;margin:0 auto;max-width:1100px;padding:24px 32px 48px;line-height:1.45}
h1{font-size:1.7em;margin:0 0 4px}h2{font-size:1.3em;border-bottom:2px solid #e3e7ef;padding-bottom:4px;
margin-top:2em}h3{font-size:1.05em;margin:1.4em 0 .4em}
.sub{color:#5b6475;margin:0 0 18px}
.summary{background:#f3f6fb;border:1px solid #d6deeb;border-radius:8px;padding:14px 20px;margin:14px 0 8px}
.headline{margin:6px 0}.headline .what{font-weight:600;font-size:1.05em}
.headline .note{display:block;color:#5b6475;font-size:.92em;margin-top:2px}
.lr{font-size:2.6em;font-weight:700;color:#0b5cad;margin-right:.4em;font-variant-numeric:tabular-nums}
.note{color:#5b6475;font-size:.95em}
.warn{background:#fff6e0;border-left:4px solid #e0a100;padding:6px 12px;margin:6px 0}
table.lrlab{border-collapse:collapse;margin:8px 0 14px;font-size:.92em;font-variant-numeric:tabular-nums}
table.lrlab th,table.lrlab td{border:1px solid #d6deeb;padding:3px 10px;text-align:right}
table.lrlab th{background:#f3f6fb}table.lrlab td:first-child,table.lrlab th:first-child{text-align:left}
table.lrlab caption{text-align:left;font-weight:600;padding:4px 0}
tr.chosen td{background:#e6f0fb;font-weight:600}.kv table.lrlab td,.kv table.lrlab th{text-align:left}
figure{margin:10px 0 18px}figure img{max-width:100%;height:auto;border:1px solid #eef1f6}
figcaption{color:#5b6475;font-size:.9em}
pre{background:#f6f8fa;border:1px solid #e3e7ef;border-radius:6px;padding:10px 14px;white-space:pre-wrap;
word-break:break-all}
"""


@dataclass(frozen=True)
class Headline:
    """One line of the summary box: a learning rate in big type, what it is, and a note.

    Attributes:
        lr: The learning rate to use (``None``: none could be read; the note says why).
        what: What the number is (``"suggested LR (steepest)"``).
        note: A short line beside it (the band, the stop reason).
    """

    lr: float | None
    what: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A titled part of the page; ``body`` is HTML that the section builders have escaped."""

    title: str
    body: str
    anchor: str = ""


def versions() -> dict[str, str]:
    """What reproduces the numbers: lrlab, torch, numpy, matplotlib, Python and the platform.

    Read from the installed distributions' metadata, so torch is not imported for this.
    """
    out: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = sys.version.split()[0]
    out["platform"] = platform.platform()
    return out


def fmt_lr(lr: float | None) -> str:
    """An LR as people read it: 4 significant digits, ``n/a`` for none."""
    return "n/a" if lr is None or not math.isfinite(lr) else f"{lr:.4g}"


def png_file_img(path: Path, alt: str) -> str:
    """An ``<img>`` holding a PNG file inline (for figures already written to disk, as the demo's are).

    Raises:
        ValueError: If the file is missing or is not a PNG.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"figure must be a readable PNG file, got {str(path)!r} ({exc.strerror})") from None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"figure must be a PNG file, got {str(path)!r}")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return f'<img alt="{escape(alt)}" src="{uri}" style="max-width:100%">'


def render_page(
    title: str,
    headlines: Sequence[Headline],
    sections: Sequence[Section],
    command: str,
    *,
    versions_: Mapping[str, str] | None = None,
    now: _dt.datetime | None = None,
) -> str:
    """The whole page as one HTML string.

    Args:
        title: The page's title (also the ``<title>``).
        headlines: The summary box's lines, the LR to use first.
        sections: The body, in order.
        command: The command line that made this page (shown under "Reproduce").
        versions_: Name -> version; :func:`versions` by default.
        now: When the page was made (UTC now by default).
    """
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    vers = dict(versions() if versions_ is None else versions_)
    lines = []
    for i, h in enumerate(headlines):
        exact = "" if h.lr is None or not math.isfinite(h.lr) else f' data-lr="{h.lr!r}"'
        note = f' <span class="note">{escape(h.note)}</span>' if h.note else ""
        lines.append(
            f'<p class="headline" id="headline-{i}"><span class="lr"{exact}>{escape(fmt_lr(h.lr))}</span>'
            f'<span class="what">{escape(h.what)}</span>{note}</p>'
        )
    summary = f'<div class="summary" id="summary">{"".join(lines)}</div>' if lines else ""
    body = "".join(
        f'<section id="{escape(s.anchor or f"section-{i}")}"><h2>{escape(s.title)}</h2>{s.body}</section>'
        for i, s in enumerate(sections)
    )
    reproduce = (
        '<section id="reproduce"><h2>Reproduce</h2><p>The command that made this page:</p>'
        f'<pre id="command">{escape(command)}</pre>'
        + '<div class="kv">'
        + table(["package", "version"], list(vers.items()), caption="Versions")
        + "</div></section>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="sub">Made {escape(stamp)} by lrlab {escape(vers.get("lrlab", "?"))}.</p>'
        f"{summary}{body}{reproduce}</body></html>\n"
    )
