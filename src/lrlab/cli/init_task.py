"""``lrlab init-task FILE``: write a commented task file to fill in, runnable as it stands.

The template is :mod:`lrlab.cli.task_template` (a tiny synthetic classification problem),
so ``lrlab init-task task.py && lrlab find --task task.py`` works at once. An existing file
is kept unless ``--force`` is given; that refusal, like a folder that cannot be written, is
one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from lrlab.cli._task_import import DEFAULT_FUNCTION

TEMPLATE = "task_template.py"


def template_text() -> str:
    """The template's source, as it is shipped inside the package."""
    return resources.files("lrlab.cli").joinpath(TEMPLATE).read_text(encoding="utf-8")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init-task",
        help="write a task file for --task: your model, optimizer, loss and data",
        description=f"Write a commented Python file whose {DEFAULT_FUNCTION}() returns a model, optimizer, "
        "criterion (or step_fn), train_loader and optionally val_loader, schedule and total_steps, for "
        "lrlab find --task FILE and lrlab sweep --task FILE. As written it trains a small MLP on a synthetic "
        "3-class problem; replace its parts with yours.",
    )
    p.add_argument("file", metavar="FILE", help="where to write the task (a .py file)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.suffix != ".py":
        raise ValueError(f"FILE must end in .py (lrlab find --task imports it), got {args.file!r}")
    if path.is_dir():
        raise ValueError(f"FILE must be a file path, got the folder {args.file!r}")
    if path.exists() and not args.force:
        raise ValueError(f"{args.file} exists; pass --force to overwrite it")
    path.write_text(template_text(), encoding="utf-8")
    print(f"Wrote {path}; try: lrlab find --task {path}")
    return 0
