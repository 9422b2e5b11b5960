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

A spec is ASCII text (numbers are written with the digits 0-9) of at most
``MAX_LENGTH`` characters, with calls and lists nested at most ``MAX_NESTING`` deep and
no value longer than ``MAX_ATOM`` characters; anything else is refused before it is
read. Names are looked up among the factories registered in ``_base`` (every factory
module registers its own), so this module imports nothing but ``_base``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lrlab._checks import show
from lrlab.schedules._base import ATOM, FACTORIES, MAX_DEPTH, Schedule, format_value, read_atom

__all__ = ["MAX_ATOM", "MAX_LENGTH", "MAX_NESTING", "ATOM", "build", "format_value", "parse", "read_atom"]

# Longest spec read: a long join of long parts is a few hundred characters.
MAX_LENGTH = 10_000
# Calls and lists nested in a spec. Each schedule level costs at most a call and a list
# (``join([...])``), so this admits the deepest schedule there is (MAX_DEPTH levels) and keeps
# the parser's recursion far from Python's limit.
MAX_NESTING = 2 * MAX_DEPTH
# Longest single value (a number or a word): 2**62 has 19 digits, a float's repr at most 24.
MAX_ATOM = 100

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class _Call:
    """A parsed ``name(args, key=value)``; built into a Schedule once the whole spec is read."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]


def build(name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Schedule:
    """Call the factory registered as ``name`` after checking the arguments' names.

    Raises:
        ValueError: For an unknown schedule, an unknown or missing parameter, or too
            many positional arguments.
    """
    kwargs = dict(kwargs or {})
    if name not in FACTORIES:
        raise ValueError(f"unknown schedule {show(name)}; known: {', '.join(FACTORIES)}")
    factory = FACTORIES[name]
    sig = inspect.signature(factory)
    known = list(sig.parameters)
    for key in kwargs:
        if key not in sig.parameters:
            raise ValueError(f"unknown parameter {show(key)} for {name}; parameters: {', '.join(known)}")
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


def _build(value: Any) -> Any:
    if isinstance(value, list):
        return [_build(v) for v in value]
    if isinstance(value, _Call):
        return build(value.name, [_build(a) for a in value.args], {k: _build(v) for k, v in value.kwargs.items()})
    return value


def _nesting(text: str) -> int:
    """How deep calls and lists nest in ``text``, read as the parser reads it (quoted strings skipped)."""
    depth = deepest = 0
    pos = 0
    while pos < len(text):
        c = text[pos]
        if c in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]":
            depth = max(depth - 1, 0)
        elif c in "'\"":
            end = text.find(c, pos + 1)
            if end < 0:
                break
            pos = end
        pos += 1
    return deepest


def _check_text(spec: str) -> None:
    """Refuse a spec that is not ASCII, nested too deep or too long, before the parser reads it."""
    if not spec.isascii():
        pos, char = next((i, c) for i, c in enumerate(spec) if not c.isascii())
        raise ValueError(
            f"spec must be ASCII text, got {char!r} (U+{ord(char):04X}) at position {pos} in {show(spec)}; "
            "write numbers with the digits 0-9"
        )
    # The nesting is named first (a 2,000-deep spec is also long); it is only measured in
    # text short enough to scan quickly.
    depth = _nesting(spec) if len(spec) <= 100 * MAX_LENGTH else 0
    if depth > MAX_NESTING:
        raise ValueError(f"spec must nest calls and lists at most {MAX_NESTING} deep, got {depth}")
    if len(spec) > MAX_LENGTH:
        raise ValueError(f"spec must be at most {MAX_LENGTH} characters long, got {len(spec)}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ValueError:
        rest = self.text[self.pos :].strip()
        where = f"at position {self.pos} (near {rest[:12]!r})" if rest else "at the end"
        return ValueError(f"spec: {what} {where} in {show(self.text)}")

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
        if len(m.group()) > MAX_ATOM:
            raise self.fail(f"a value must be at most {MAX_ATOM} characters long, got {len(m.group())}")
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
        ValueError: If the spec is malformed, longer than ``MAX_LENGTH``, not ASCII,
            nested deeper than ``MAX_NESTING``, names an unknown schedule or parameter,
            or a parameter's value breaks the schedule's rules.
        TypeError: If a value has the wrong type (``total=abc``).

    Examples:
        >>> parse("step(base_lr=0.1, every=30)")
        step(base_lr=0.1, drop=0.5, every=30)
        >>> parse("with_warmup(" * 100 + "constant(0.1)" + ", 1)" * 100)
        Traceback (most recent call last):
        ...
        ValueError: spec must nest calls and lists at most 64 deep, got 101
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string, got {show(spec)}")
    _check_text(spec)
    p = _Parser(spec)
    tree = p.spec()
    if p.peek():
        raise p.fail("unexpected text after the spec")
    return _build(tree)
