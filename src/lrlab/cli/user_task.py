"""Your own model from the command line: ``lrlab find --task FILE.py`` and ``lrlab sweep --task FILE.py``.

``--task`` names a function: ``path/to/task.py[:FUNCTION]`` or ``package.module[:FUNCTION]``;
FUNCTION defaults to ``make_task``. It takes no arguments and returns a dict (or an object
with these attributes: a dataclass, a ``SimpleNamespace``) holding

* ``model``: a ``torch.nn.Module``, on the device it should train on;
* ``optimizer``: a ``torch.optim.Optimizer`` over the model's parameters, or a factory
  ``params -> optimizer`` (called with ``model.parameters()``, e.g.
  ``functools.partial(torch.optim.AdamW, lr=1e-3)``);
* exactly one of ``criterion`` (``criterion(model(x), y) -> loss`` for ``(x, y)`` batches)
  and ``step_fn`` (``step_fn(model, batch) -> loss``, or an output with ``.loss``);
* ``train_loader``: a DataLoader or any re-iterable of batches;
* optionally ``val_loader`` (scored by ``lrlab sweep``), and ``schedule`` (the shape of your
  LR schedule with peak 1: a spec such as ``"warmup_cosine(1.0, warmup=100, total=2000,
  min_lr=0)"``, a callable ``step -> factor``, or a factory ``optimizer -> LRScheduler``)
  with ``total_steps`` (your run's length), which ``lrlab find --confirm`` uses when
  ``--schedule`` / ``--total-steps`` do not say otherwise.

``lrlab init-task FILE`` writes a commented template that runs as is. With ``--task`` the
tutorial's flags (``--data --model --optimizer --batch-size --device`` and the torchrun
flags) do not apply, and giving one is an error; ``--seed`` seeds Python, NumPy and torch
before the function runs (so a run repeats) and the copies' per-step randomness. Every
problem with the task — the file, the import, the function, what it returns — is one line
on stderr and exit status 2, naming what is wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import inspect
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from lrlab._checks import check_callable, check_int, show
from lrlab.cli._task_import import DEFAULT_FUNCTION, TaskTarget, loading, parse_target, raised

__all__ = [
    "DEFAULT_FUNCTION",
    "KEYS",
    "TASK_HELP",
    "TutorialFlag",
    "UserTask",
    "load_task",
    "run_shape",
    "task_errors",
    "task_from_args",
]

KEYS = ("model", "optimizer", "criterion", "step_fn", "train_loader", "val_loader", "schedule", "total_steps")
REQUIRED = ("model", "optimizer", "train_loader")

TASK_HELP = (
    "your own model instead of the tutorial's: FILE.py[:FUNCTION] or package.module[:FUNCTION] "
    f"(FUNCTION defaults to {DEFAULT_FUNCTION}), a function taking no arguments that returns a dict with "
    "model, optimizer (or a factory params -> optimizer), criterion or step_fn, train_loader, and optionally "
    "val_loader, schedule and total_steps; replaces --data --model --optimizer --batch-size --device "
    "(lrlab init-task FILE writes a template)"
)


class TutorialFlag(argparse.Action):
    """Store a tutorial flag's value and remember that it was typed, so that ``--task`` can refuse it."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: Any = None
    ) -> None:
        setattr(namespace, self.dest, values)
        given = getattr(namespace, "tutorial_flags_given", ())
        namespace.tutorial_flags_given = (*given, self.option_strings[0])


@dataclasses.dataclass(frozen=True)
class UserTask:
    """A checked user task, its optimizer built; the fields of the protocol plus a description."""

    model: Any
    optimizer: Any
    criterion: Any
    step_fn: Any
    train_loader: Any
    val_loader: Any
    schedule: Any
    total_steps: int | None
    description: str
    home: str | None = None


def task_from_args(args: argparse.Namespace) -> UserTask:
    """Refuse the tutorial flags, seed the RNGs from ``--seed``, then load ``--task``.

    Raises:
        ValueError: For a tutorial flag given with ``--task``, a launch by ``torchrun``, a bad
            ``--seed``, or anything :func:`load_task` refuses.
    """
    from lrlab import distributed
    from lrlab.tutorial.task import MAX_SEED

    given = tuple(dict.fromkeys(getattr(args, "tutorial_flags_given", ())))
    if given:
        raise ValueError(
            f"{given[0]} does not apply with --task (your task builds the model, optimizer and data); drop it"
        )
    if distributed.launched():
        raise ValueError("--task runs in one process; launch it without torchrun")
    seed = check_int("--seed", args.seed, minimum=0, maximum=MAX_SEED)
    target = parse_target(args.task)
    _seed_everything(seed)
    return load_task(target)


def _seed_everything(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def load_task(target: TaskTarget | str) -> UserTask:
    """Import the target, call its function and check what it returns.

    Raises:
        ValueError: One line starting ``--task TARGET:`` naming the problem (also for a value
            of the wrong type, so that every task problem reads alike).
    """
    task = parse_target(target) if isinstance(target, str) else target
    with loading(task) as module:
        fn = _function(task, module)
        home = _home_of(module)
        try:
            value = fn()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code, reported in one line
            raise task.fail(f"{task.function}() raised {raised(exc, home)}") from None
        fields = _fields(task, value)
        try:
            return _check(task, fields, home)
        except (TypeError, ValueError) as exc:
            if str(exc).startswith("--task "):
                raise
            raise task.fail(f"{task.function}(): {exc}") from None


def _home_of(module: Any) -> str | None:
    from pathlib import Path

    file = getattr(module, "__file__", None)
    return None if file is None else str(Path(file).resolve().parent)


def _function(task: TaskTarget, module: Any) -> Any:
    where = task.target if task.is_file else f"module {task.target}"
    if not hasattr(module, task.function):
        names = [n for n, v in vars(module).items() if inspect.isfunction(v) and not n.startswith("_")]
        close = difflib.get_close_matches(task.function, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; define {task.function}() or name yours with :FUNCTION"
        raise task.fail(f"{where} has no function {task.function}{hint}")
    fn = getattr(module, task.function)
    if not callable(fn):
        raise task.fail(f"{task.function} in {where} must be a function, got {type(fn).__name__} {show(fn)}")
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a callable without a readable signature: just call it
        return fn
    needed = [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if needed:
        raise task.fail(f"{task.function}() must take no arguments, but it needs: {', '.join(needed)}")
    return fn


def _fields(task: TaskTarget, value: Any) -> dict[str, Any]:
    """What the function returned as ``{key: value}``: a mapping, a dataclass, a namedtuple or an object."""
    returned = f"{task.function}() must return a dict (or an object) with {', '.join(REQUIRED)} ..., got"
    if value is None:
        raise task.fail(f"{returned} None (is a return statement missing?)")
    if isinstance(value, Mapping):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise task.fail(f"{task.function}() must return a dict with text keys, got the key {show(bad[0])}")
        fields = dict(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif isinstance(value, tuple) and hasattr(value, "_asdict"):
        fields = dict(value._asdict())
    elif hasattr(value, "__dict__") and not isinstance(value, type) and any(hasattr(value, k) for k in KEYS):
        fields = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        fields.update({k: getattr(value, k) for k in KEYS if k not in fields and hasattr(value, k)})
    else:
        raise task.fail(f"{returned} {type(value).__name__} {show(value)}")
    unknown = [k for k in fields if k not in KEYS]
    if unknown:
        hints = []
        # A misspelt key stands for one not given: look among the missing required ones first.
        missing = [k for k in REQUIRED if k not in fields]
        free = [k for k in KEYS if k not in fields]
        for k in unknown:
            close = difflib.get_close_matches(k, missing, n=1) or difflib.get_close_matches(k, free, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise task.fail(f"{task.function}() returned unknown keys: {', '.join(hints)}; the keys are {', '.join(KEYS)}")
    missing = [k for k in REQUIRED if fields.get(k) is None]
    if missing:
        raise task.fail(f"{task.function}() must return {', '.join(REQUIRED)}; missing: {', '.join(missing)}")
    has = [k for k in ("criterion", "step_fn") if fields.get(k) is not None]
    if len(has) != 1:
        got = "both" if has else "neither"
        raise task.fail(f"{task.function}() must return exactly one of criterion and step_fn, got {got}")
    return fields


def _check(task: TaskTarget, f: dict[str, Any], home: str | None) -> UserTask:
    """Each value's type; the optimizer factory called. ``TypeError``/``ValueError`` name the key."""
    import torch

    from lrlab.train.checks import check_loader, check_model_and_optimizer

    model, optimizer = f["model"], f["optimizer"]
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__} {show(model)}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        if not callable(optimizer):
            raise TypeError(
                "optimizer must be a torch.optim.Optimizer or a factory params -> optimizer, "
                f"got {type(optimizer).__name__} {show(optimizer)}"
            )
        try:
            optimizer = optimizer(model.parameters())
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code, reported in one line
            raise task.fail(f"the optimizer factory raised {raised(exc, home)}") from None
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer factory must return a torch.optim.Optimizer, got {type(optimizer).__name__}")
    check_model_and_optimizer(model, optimizer)
    for key in ("criterion", "step_fn"):
        check_callable(key, f.get(key), allow_none=True)
    check_loader("train_loader", f["train_loader"])
    if f.get("val_loader") is not None:
        check_loader("val_loader", f["val_loader"])
    total = f.get("total_steps")
    if total is not None:
        check_int("total_steps", total, minimum=1)
    names = f"{type(model).__name__}, {type(optimizer).__name__}"
    return UserTask(
        model=model,
        optimizer=optimizer,
        criterion=f.get("criterion"),
        step_fn=f.get("step_fn"),
        train_loader=f["train_loader"],
        val_loader=f.get("val_loader"),
        schedule=f.get("schedule"),
        total_steps=None if total is None else int(total),
        description=f"{names} ({task.spec})",
        home=home,
    )


@contextmanager
def task_errors(task: UserTask | None) -> Iterator[None]:
    """With a task, an exception its code raises while lrlab trains it becomes one line (a ``ValueError``).

    A shape mismatch in the user's model, a ``KeyError`` in their ``step_fn``: the type,
    the message and the user's line it came from; ``LRLAB_DEBUG=1`` keeps the traceback.
    ``ValueError``, ``TypeError`` and ``OSError`` pass as they are (the CLI shows them in one
    line already). Without a task this does nothing.
    """
    if task is None or os.environ.get("LRLAB_DEBUG"):
        yield
        return
    try:
        yield
    except (ValueError, TypeError, OSError):
        raise
    except Exception as exc:  # noqa: BLE001 - the user's model, loss or loader: reported in one line
        raise ValueError(
            f"training the task raised {raised(exc, task.home)}; LRLAB_DEBUG=1 shows the traceback"
        ) from None


def run_shape(task: UserTask, schedule: Any, total_steps: int | None) -> tuple[Any, int | None]:
    """The schedule and length ``--confirm`` uses: the flags', else the task's; checked before any training.

    Raises:
        ValueError, TypeError: For a schedule without a length, or a shape that is not one
            (its peak not 1, a value negative ...), naming where it came from.
    """
    from lrlab.schedules.shape import shape_factors

    from_flag = schedule is not None
    schedule = schedule if from_flag else task.schedule
    total_steps = total_steps if total_steps is not None else task.total_steps
    if schedule is None:
        return None, total_steps
    name = "--schedule" if from_flag else "the task's schedule"
    if total_steps is None:
        raise ValueError(f"{name} needs the run's length: give --total-steps or total_steps in the task")
    try:
        shape_factors(schedule, total_steps, name=name)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc) if str(exc).startswith(name) else f"{name}: {exc}") from None
    return schedule, total_steps
