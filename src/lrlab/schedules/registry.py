"""Schedule names -> factories, for the spec grammar and ``lrlab schedule --list``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lrlab.schedules._base import Schedule, format_value
from lrlab.schedules.basic import constant, exponential, inverse_sqrt, linear, multistep, polynomial, step
from lrlab.schedules.compose import join, product, with_warmup
from lrlab.schedules.cosine import cosine, cosine_restarts, warmup_cosine
from lrlab.schedules.cyclic import cyclic
from lrlab.schedules.onecycle import onecycle
from lrlab.schedules.wsd import wsd

__all__ = ["SCHEDULES", "ScheduleInfo", "build", "describe", "names"]

Factory = Callable[..., Schedule]

# In the order `--list` shows them: the tutorial's five first, then the field's.
SCHEDULES: dict[str, Factory] = {
    "constant": constant,
    "step": step,
    "exponential": exponential,
    "cosine": cosine,
    "warmup_cosine": warmup_cosine,
    "multistep": multistep,
    "linear": linear,
    "polynomial": polynomial,
    "inverse_sqrt": inverse_sqrt,
    "cosine_restarts": cosine_restarts,
    "cyclic": cyclic,
    "onecycle": onecycle,
    "wsd": wsd,
    "with_warmup": with_warmup,
    "join": join,
    "product": product,
}


@dataclass(frozen=True)
class ScheduleInfo:
    """What ``--list`` shows about one schedule.

    Attributes:
        name: The name used in specs.
        parameters: ``name`` or ``name=default`` for each parameter, in order.
        summary: First line of the factory's docstring.
    """

    name: str
    parameters: tuple[str, ...]
    summary: str


def names() -> list[str]:
    """Every schedule name the spec grammar knows."""
    return list(SCHEDULES)


def describe() -> list[ScheduleInfo]:
    """Name, parameters and summary of every registered schedule."""
    out = []
    for name, factory in SCHEDULES.items():
        params = []
        for p in inspect.signature(factory).parameters.values():
            params.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={format_value(p.default)}")
        # The docstring's first paragraph, without reST markup.
        summary = (inspect.getdoc(factory) or "").split("\n\n")[0].replace("\n", " ").replace("``", "")
        out.append(ScheduleInfo(name, tuple(params), summary))
    return out


def build(name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Schedule:
    """Call the factory registered as ``name`` after checking the arguments' names.

    Raises:
        ValueError: For an unknown schedule, an unknown or missing parameter, or too
            many positional arguments.
    """
    kwargs = dict(kwargs or {})
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULES)}")
    factory = SCHEDULES[name]
    sig = inspect.signature(factory)
    known = list(sig.parameters)
    for key in kwargs:
        if key not in sig.parameters:
            raise ValueError(f"unknown parameter {key!r} for {name}; parameters: {', '.join(known)}")
    if len(args) > len(known):
        raise ValueError(f"{name} takes at most {len(known)} parameters ({', '.join(known)}), got {len(args)}")
    for key, _ in zip(known, args):
        if key in kwargs:
            raise ValueError(f"parameter {key!r} of {name} given twice")
    given = set(known[: len(args)]) | set(kwargs)
    missing = [k for k, p in sig.parameters.items() if p.default is inspect.Parameter.empty and k not in given]
    if missing:
        raise ValueError(f"{name} needs the parameter {missing[0]!r}; parameters: {', '.join(known)}")
    return factory(*args, **kwargs)
