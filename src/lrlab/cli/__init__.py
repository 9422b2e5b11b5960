"""The ``lrlab`` command line: one subcommand per capability.

The CLI is the only part of lrlab that prints. Each subcommand lives in its own module
of this package and exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a ``run(args) -> int``. A user's mistake — a ``ValueError`` or
``TypeError`` from the library, a file that cannot be written, or a bad flag — becomes
one line on stderr and exit status 2, never a traceback (set ``LRLAB_DEBUG=1`` to see
the traceback anyway). Piped into ``head``, a command ends quietly when the reader goes.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from lrlab import __version__
from lrlab.cli._common import LineErrorParser, fail

# Subcommand modules, in the order `lrlab --help` lists them.
_COMMANDS: tuple[str, ...] = (
    "landscape",
    "compare",
    "schedule",
    "find",
    "sweep",
    "init_task",
    "demo",
    "report",
)

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Build the ``lrlab`` argument parser with every subcommand registered."""
    parser = LineErrorParser(
        prog="lrlab",
        description="The learning-rate lab: see, measure and choose learning rates.",
    )
    parser.add_argument("--version", action="version", version=f"lrlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=LineErrorParser)
    sub.required = True
    for name in _COMMANDS:
        importlib.import_module(f"lrlab.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv[1:]``.

    Returns:
        0 on success, 2 for a user's mistake (also a file that cannot be written), 130
        when interrupted, 141 when stdout was closed early (``lrlab ... | head``), as a
        command-line tool killed by SIGPIPE would report.
    """
    try:
        status = _run(argv)
        if os.environ.get("WORLD_SIZE", "1") != "1":
            # Under torchrun, free what an error left holding the process group (a DDP model
            # in reference cycles) now: freed at interpreter exit, gloo's threads abort.
            gc.collect()
        # Output still buffered may meet a reader that has gone; flush it here, not at exit.
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's "Note on SIGPIPE": point stdout at devnull so that the interpreter's
        # final flush does not raise again, and end quietly.
        _stdout_to_devnull()
        return 141
    return status


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, or a one-line error
        return int(exc.code or 0)
    # The words as typed, for a report's "how to reproduce this" line.
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        raise
    except (ValueError, TypeError, OSError) as exc:
        if os.environ.get("LRLAB_DEBUG"):
            raise
        return fail(f"lrlab {args.command}: error: {_message(exc)}")
    except KeyboardInterrupt:
        print("lrlab: interrupted", file=sys.stderr)
        return 130


def _message(exc: BaseException) -> str:
    """The one line to show: an OS error as ``FILE: reason`` (no errno), anything else as it reads."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def _stdout_to_devnull() -> None:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
