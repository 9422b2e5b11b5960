"""``lrlab report``: one self-contained HTML page from saved results; ``--report`` for the other commands.

Two ways to a page:

* ``lrlab find ... --report page.html`` (also ``sweep`` and ``demo``) writes the page of the run
  just made, beside its usual output. The page holds the figures, every table, the warnings and,
  for ``find --confirm``, the confirmation's figure, band, rounds and cost.
* ``lrlab report RESULT.json [RESULT.json ...] --out page.html`` builds the page later from what
  ``lrlab find --json`` and ``lrlab sweep --json`` printed (or a demo's ``summary.json``, whose
  figures it reads from the same folder). Nothing is run again: a page costs seconds, and it shows
  exactly the numbers the JSON holds. The JSON of ``find`` keeps the curve, each rule's LR and band
  and the stop reason, not the settings (``--num-iter``, ``--smooth``...) or the confirmation's
  curves, so such a page says "recorded" there and leaves out the confirmation's figure.
  Several files make one page, in the order given.

Each page ends with the command line that made it and the versions (lrlab, torch, numpy,
matplotlib, Python, platform). ``--report`` is checked before any work (a folder, a path under a
file or an unwritable folder is one line and exit status 2); under ``torchrun`` rank 0 alone writes.
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

__all__ = ["add_report_argument", "check_report", "command_line", "register", "write_report"]

DEFAULT_OUT = "lrlab-report.html"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="one self-contained HTML page from saved --json results (find, sweep, demo summary.json)",
        description="Build one self-contained HTML page (figures inline, no external resources) from the "
        "JSON that `lrlab find --json` and `lrlab sweep --json` print, or a demo's summary.json (its figures "
        "are read from the same folder). Nothing is run again. To report a run as it is made, give "
        "--report FILE.html to lrlab find, sweep or demo instead.",
    )
    p.add_argument("results", nargs="+", metavar="RESULT.json", help="saved results, shown in this order")
    p.add_argument(
        "--out", default=DEFAULT_OUT, metavar="FILE.html", help=f"the page to write (default: {DEFAULT_OUT})"
    )
    p.add_argument("--title", default=None, metavar="TEXT", help="the page's title (default: what it holds)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrlab.report import page_from_json

    out = check_report(args.out, "--out")
    page = page_from_json(args.results, command=command_line(args), title=args.title)
    write_report(out, page)
    print(f"Report written to {out}")
    return 0


def add_report_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--report FILE.html`` (a self-contained page of the run) to a subcommand."""
    parser.add_argument(
        "--report",
        default=None,
        metavar="FILE.html",
        help="also write one self-contained HTML page of this run (figures inline; shareable as one file)",
    )


def check_report(path: str, name: str = "--report") -> Path:
    """Check, before any work, that ``path`` can become a file this process writes.

    Nothing is created: :func:`write_report` makes the missing folders when the page is written.

    Raises:
        ValueError: If ``path`` is a folder, lies under a file, or its nearest existing folder
            (or the file itself) is not writable.
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise ValueError(f"{name} must be a file path, got the folder {path!r}")
        if p.exists():
            if not os.access(p, os.W_OK):
                raise ValueError(f"{name} must be a file you can write to, got {path!r}, which is read-only")
            return p
        nearest = next(q for q in p.absolute().parents if q.exists())
    except OSError as exc:
        raise ValueError(f"{name} must be a path you can reach, got {path!r} ({exc.strerror})") from None
    if not nearest.is_dir():
        raise ValueError(f"{name} must be a file path, got {path!r}, which lies under the file {str(nearest)!r}")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise ValueError(f"{name} must be a file you can write to, got {path!r}; {str(nearest)!r} is not writable")
    return p


def write_report(path: Path, page: str) -> Path:
    """Write the page (UTF-8), making missing folders above it; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def command_line(args: argparse.Namespace) -> str:
    """The command as typed (``lrlab find --num-iter 50 ...``), noting ``torchrun``'s world size."""
    words = getattr(args, "argv", None)
    line = "lrlab " + (shlex.join(words) if words is not None else str(getattr(args, "command", "")))
    world = os.environ.get("WORLD_SIZE", "1")
    if world != "1":
        line = f"# launched by torchrun, WORLD_SIZE={world}\n" + line
    return line
