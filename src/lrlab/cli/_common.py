"""What every subcommand shares: one-line errors, the output folder, progress bars, tables and JSON."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from lrlab._checks import Progress
from lrlab._json import jsonable


class LineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def fail(message: str) -> int:
    """Print one line on stderr and return exit status 2."""
    print(message.splitlines()[0] if message else "error", file=sys.stderr)
    return 2


def add_out_argument(parser: argparse.ArgumentParser, default: str = "lrlab-out") -> None:
    """Add ``--out DIR`` (where figures and data files go)."""
    parser.add_argument("--out", default=default, metavar="DIR", help=f"output folder (default: {default})")


def add_json_argument(parser: argparse._ActionsContainer) -> None:
    """Add ``--json`` (print one JSON object on stdout instead of a table)."""
    parser.add_argument("--json", action="store_true", help="print one JSON object for programs")


def check_out(path: str, name: str = "--out") -> Path:
    """Check, before any work, that ``path`` is or can become a folder this process can write to.

    Nothing is created (a command refused later for another reason leaves no empty
    folder behind); :func:`out_dir` creates the folder when the results are written.

    Raises:
        ValueError: If ``path`` is a file, lies under a file, or its nearest existing
            folder is not writable.
    """
    p = Path(path)
    try:
        if p.exists():
            if not p.is_dir():
                raise ValueError(f"{name} must be a folder, got the file {path!r}")
            nearest = p
        else:
            nearest = next(q for q in p.absolute().parents if q.exists())
            if not nearest.is_dir():
                raise ValueError(
                    f"{name} must be a folder path, got {path!r}, which lies under the file {str(nearest)!r}"
                )
    except OSError as exc:  # a parent that cannot even be looked at
        raise ValueError(f"{name} must be a folder you can reach, got {path!r} ({exc.strerror})") from None
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise ValueError(f"{name} must be a folder you can write to, got {path!r}; {str(nearest)!r} is not writable")
    return p


def out_dir(path: str, name: str = "--out") -> Path:
    """Create (if needed) and return the output folder, when the results are written.

    Raises:
        ValueError: As :func:`check_out`, or if the folder cannot be created after all.
    """
    p = check_out(path, name)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{name} must be a folder you can write to, got {path!r} ({exc.strerror})") from None
    return p


def print_json(obj: Any) -> None:
    """Print ``obj`` as one strict JSON object on stdout."""
    print(json.dumps(jsonable(obj), allow_nan=False))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, markup: bool = False) -> None:
    """Print a readable table on stdout.

    Args:
        title: The line above the table.
        columns: The column headers (the first column is left-aligned, the others right-aligned).
        rows: The cells, formatted by :func:`fmt`.
        markup: Read the title, headers and cells as rich markup. Off by default: rich would take
            ``[...]`` in a cell (a schedule's list, an optimizer's betas) for a style and drop it, so
            every text is escaped and shows as typed.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    def text(value: str) -> str:
        return value if markup else escape(value)

    table = Table(title=text(title), title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(text(col), justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(text(fmt(v)) for v in row))
    Console(soft_wrap=True).print(table)


def fmt(value: Any) -> str:
    """Format a table cell: floats with 6 significant digits, booleans as yes/no."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if not math.isfinite(f):
            return str(f)
        return f"{f:.6g}"
    return str(value)


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr, handed to library code as a ``(done, total)`` callback.

    Args:
        description: What is being done, shown beside the bar.
        enabled: ``False`` yields a callback that does nothing.
    """
    if not enabled:
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.progress import Progress as RichProgress

    console = Console(stderr=True)
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def dist_session(args: argparse.Namespace) -> Iterator[Any]:
    """Join the process group when launched by ``torchrun`` (a no-op otherwise).

    Yields a :class:`lrlab.distributed.DistContext`; only its rank 0 should print or
    write files. The group is left when the command ends, also on an error.
    """
    from lrlab import distributed

    if not distributed.launched():
        yield distributed.DistContext()
        return
    timeout = getattr(args, "dist_timeout", None)
    ctx = distributed.setup(
        getattr(args, "backend", None), distributed.DEFAULT_TIMEOUT_S if timeout is None else timeout
    )
    try:
        yield ctx
    except BaseException:
        distributed.teardown(ctx)
        raise
    distributed.teardown(ctx, wait=True)
