"""The spec grammar: ``warmup_cosine(base_lr=0.1, warmup=10, total=100)`` -> Schedule.

A small recursive-descent parser; nothing is ever ``eval``-ed::

    spec   := NAME [ "(" [ arg ("," arg)* [","] ] ")" ]
    arg    := [ NAME "=" ] value
    value  := spec | list | STRING | ATOM
    list   := "[" [ value ("," value)* [","] ] "]"

An ATOM is a run of characters other than blanks, quotes and ``,()[]=``: an int
(``100``), a float (``0.1``, ``1e-3``), ``true``/``false``/``none`` (any case), or
else a bare word (``triangular2``, ``1-sqrt``). A STRING is quoted with ``'`` or ``"``.
An ATOM followed by ``(`` is a nested schedule (``with_warmup(cosine(0.1), 10)``).
Every schedule's ``repr`` is a spec that parses back into the same schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lrlab.schedules._base import ATOM, Schedule, read_atom

__all__ = ["parse"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class _Call:
    """A parsed ``name(args, key=value)``; built into a Schedule once the whole spec is read."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]


def _build(value: Any) -> Any:
    if isinstance(value, list):
        return [_build(v) for v in value]
    if isinstance(value, _Call):
        from lrlab.schedules.registry import build

        return build(value.name, [_build(a) for a in value.args], {k: _build(v) for k, v in value.kwargs.items()})
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ValueError:
        rest = self.text[self.pos :].strip()
        where = f"at position {self.pos} (near {rest[:12]!r})" if rest else "at the end"
        return ValueError(f"spec: {what} {where} in {self.text!r}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str, what: str = "") -> None:
        if self.peek() != char:
            raise self.fail(f"expected {what or repr(char)}")
        self.pos += 1

    def spec(self) -> _Call:
        self.skip()
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a schedule name")
        self.pos = m.end()
        return self.call(m.group())

    def call(self, name: str) -> _Call:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if self.peek() == "(":
            self.pos += 1
            while self.peek() != ")":
                self.skip()
                m = _NAME.match(self.text, self.pos)
                after = m and self.text[m.end() :].lstrip()[:1]
                if m and after == "=":
                    key = m.group()
                    if key in kwargs:
                        raise self.fail(f"parameter {key!r} given twice")
                    self.pos = m.end()
                    self.expect("=")
                    kwargs[key] = self.value()
                elif kwargs:
                    raise self.fail("positional argument after keyword arguments")
                else:
                    args.append(self.value())
                if self.peek() != ")":
                    self.expect(",", "',' or ')'")
            self.pos += 1
        return _Call(name, args, kwargs)

    def value(self) -> Any:
        c = self.peek()
        if c == "[":
            self.pos += 1
            items = []
            while self.peek() != "]":
                items.append(self.value())
                if self.peek() != "]":
                    self.expect(",", "',' or ']'")
            self.pos += 1
            return items
        if c in ("'", '"'):
            end = self.text.find(c, self.pos + 1)
            if end < 0:
                raise self.fail("unterminated string")
            word = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return word
        m = ATOM.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a value")
        self.pos = m.end()
        if self.peek() == "(":
            if not _NAME.fullmatch(m.group()):
                raise self.fail(f"{m.group()!r} is not a schedule name")
            return self.call(m.group())
        return read_atom(m.group())


def parse(spec: str) -> Schedule:
    """Build the schedule a spec string describes.

    Args:
        spec: e.g. ``"cosine(base_lr=0.1, total=100)"``, ``"multistep(0.1,
            milestones=[30, 60])"`` or ``"join([constant(0.01), cosine(0.1, total=90)],
            boundaries=[10])"``.

    Returns:
        The schedule; ``repr`` of it is a normalised spec with every parameter.

    Raises:
        ValueError: If the spec is malformed, names an unknown schedule or parameter,
            or a parameter's value breaks the schedule's rules.
        TypeError: If a value has the wrong type (``total=abc``).

    Examples:
        >>> parse("step(base_lr=0.1, every=30)")
        step(base_lr=0.1, drop=0.5, every=30)
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string, got {spec!r}")
    p = _Parser(spec)
    tree = p.spec()
    if p.peek():
        raise p.fail("unexpected text after the spec")
    return _build(tree)
