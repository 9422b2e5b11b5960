"""Schedule names -> factories in the order ``lrlab schedule --list`` shows them, and what it shows.

The factories register themselves by name in ``_base`` (where the spec grammar and
unpickling find them); this module lists them for people. :func:`build` is the spec
grammar's, re-exported here where it used to live.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from lrlab.schedules._base import Schedule, format_value
from lrlab.schedules.basic import constant, exponential, inverse_sqrt, linear, multistep, polynomial, step
from lrlab.schedules.compose import join, product, with_warmup
from lrlab.schedules.cosine import cosine, cosine_restarts, warmup_cosine
from lrlab.schedules.cyclic import cyclic
from lrlab.schedules.onecycle import onecycle
from lrlab.schedules.spec import build
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
