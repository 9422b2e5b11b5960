"""Import the code behind ``--task`` and call its function, turning every failure into one named line.

Executing the user's file is the point (as ``torchrun script.py`` does). A file path is
imported through :func:`importlib.util.spec_from_file_location` under a fresh module name,
with its folder first on ``sys.path`` while it loads and while its function runs (so it
can import its neighbours); afterwards ``sys.path`` is as it was, and the file's module
and the neighbours it brought in are dropped from ``sys.modules`` again. A module name is
imported as ``import`` would, with the current folder on ``sys.path`` meanwhile (as
``uvicorn app:main`` does), and stays imported.

Every failure is a ``ValueError`` whose one line starts with ``--task TARGET:`` and says
what went wrong and where: a missing file, a module that cannot be found, a syntax error,
an exception on import (its type, message and the line of the user's code it came from).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

__all__ = ["TaskTarget", "parse_target", "loading", "raised", "DEFAULT_FUNCTION"]

# The function looked up when ``--task`` names none.
DEFAULT_FUNCTION = "make_task"

_COUNTER = itertools.count()


class TaskTarget:
    """What ``--task`` names: a ``.py`` file or a module, and the function in it.

    Attributes:
        spec: The text as given, for messages.
        target: The file path or the dotted module name.
        function: The function's name.
        is_file: Whether ``target`` is a file path.
    """

    def __init__(self, spec: str, target: str, function: str, is_file: bool) -> None:
        self.spec, self.target, self.function, self.is_file = spec, target, function, is_file

    def fail(self, message: str) -> ValueError:
        """A ``ValueError`` reading ``--task SPEC: MESSAGE`` (one line)."""
        return ValueError(f"--task {self.spec}: {' '.join(message.split())}")


def parse_target(spec: str) -> TaskTarget:
    """Read ``FILE.py[:FUNCTION]`` or ``package.module[:FUNCTION]``.

    Raises:
        ValueError: If the text is neither form, or the part after ``:`` is not a Python name.
    """
    target, sep, function = spec.rpartition(":")
    if not sep:
        target, function = spec, DEFAULT_FUNCTION
    elif not target or not function.isidentifier():
        raise ValueError(
            f"--task must be FILE.py[:FUNCTION] or package.module[:FUNCTION] with FUNCTION a Python name, got {spec!r}"
        )
    if target.endswith(".py") or os.sep in target or "/" in target or os.path.isfile(target):
        if not target.endswith(".py"):
            raise ValueError(f"--task must name a .py file or an importable module, got {spec!r}")
        return TaskTarget(spec, target, function, True)
    if not all(part.isidentifier() for part in target.split(".")):
        raise ValueError(f"--task must be FILE.py[:FUNCTION] or package.module[:FUNCTION], got {spec!r}")
    return TaskTarget(spec, target, function, False)


@contextmanager
def loading(task: TaskTarget) -> Iterator[ModuleType]:
    """Import the target and yield its module; ``sys.path`` (and, for a file, ``sys.modules``) restored after.

    Raises:
        ValueError: For a missing file or module, a syntax error, or an exception raised on import.
    """
    path = Path(task.target)
    if task.is_file:
        if not path.exists():
            raise task.fail(f"no such file {task.target!r}")
        if not path.is_file():
            raise task.fail(f"{task.target!r} is a folder, not a .py file")
        folder = str(path.resolve().parent)
    else:
        folder = os.getcwd()
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    sys.path.insert(0, folder)
    try:
        yield _import_file(task, path, folder) if task.is_file else _import_module(task)
    finally:
        sys.path[:] = saved_path
        if task.is_file:
            for name in set(sys.modules) - saved_modules:
                file = getattr(sys.modules[name], "__file__", None)
                if name.startswith("_lrlab_task_") or (file and _inside(file, folder)):
                    del sys.modules[name]


def _import_file(task: TaskTarget, path: Path, folder: str) -> ModuleType:
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    name = f"_lrlab_task_{next(_COUNTER)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise task.fail(f"cannot import {task.target!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickle look their module up while it loads
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise task.fail(_syntax(exc)) from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code: any failure is reported in one line
        raise task.fail(f"importing it raised {raised(exc, folder)}") from None
    return module


def _import_module(task: TaskTarget) -> ModuleType:
    try:
        return importlib.import_module(task.target)
    except SyntaxError as exc:
        raise task.fail(_syntax(exc)) from None
    except ModuleNotFoundError as exc:
        if exc.name is not None and (task.target == exc.name or task.target.startswith(exc.name + ".")):
            raise task.fail(
                f"no module named {exc.name!r} (a .py file needs its path, e.g. ./{task.target.split('.')[-1]}.py)"
            ) from None
        raise task.fail(f"importing it raised {raised(exc, _home(task.target))}") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code: any failure is reported in one line
        raise task.fail(f"importing it raised {raised(exc, _home(task.target))}") from None


def _home(module: str) -> str | None:
    """The folder of the module's top-level package, where its user's frames lie (None if unknown)."""
    try:
        spec = importlib.util.find_spec(module.split(".")[0])
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return str(Path(spec.origin).resolve().parent)


def _syntax(exc: SyntaxError) -> str:
    where = f"{_shown(exc.filename)}:{exc.lineno}" if exc.filename else f"line {exc.lineno}"
    return f"syntax error at {where}: {exc.msg}"


def raised(exc: BaseException, home: str | None) -> str:
    """``TYPE: message (at FILE:LINE)``: the exception's first line and the user's line it came from.

    The line is the innermost frame under ``home`` (the task's folder), else the innermost
    frame outside lrlab's own loading code.
    """
    message = str(exc).strip().splitlines()
    text = type(exc).__name__ + (f": {message[0]}" if message else "")
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith("<") and not _inside(f.filename, str(Path(__file__).parent))
    ]
    mine = [f for f in frames if home is not None and _inside(f.filename, home)]
    chosen = mine or frames
    if not chosen:
        return text
    return f"{text} (at {_shown(chosen[-1].filename)}:{chosen[-1].lineno})"


def _inside(file: str, folder: str) -> bool:
    try:
        return Path(file).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError):
        return False


def _shown(file: str) -> str:
    """A path relative to the current folder when it lies below it, else as it is."""
    try:
        rel = os.path.relpath(file)
    except ValueError:
        return file
    return file if rel.startswith("..") else rel
