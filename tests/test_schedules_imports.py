"""The import graph of lrlab.schedules: every ``import`` statement, also inside functions
and under ``TYPE_CHECKING``, points one way (factories -> _base, spec -> _base), with no cycle."""

from __future__ import annotations

import ast
import copy
import pickle
from pathlib import Path

import pytest

import lrlab.schedules as S
from lrlab.schedules import _base

PACKAGE = "lrlab.schedules"
ROOT = Path(S.__file__).parent
MODULES = {(PACKAGE if p.stem == "__init__" else f"{PACKAGE}.{p.stem}"): p for p in sorted(ROOT.glob("*.py"))}
FACTORY_MODULES = ("basic", "compose", "cosine", "cyclic", "onecycle", "wsd")


def imported(module: str, source: str) -> set[str]:
    """The modules of lrlab.schedules that ``module`` imports anywhere in ``source``."""
    tree = ast.parse(source)
    package = module if module == PACKAGE else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):  # every node: module level, function bodies, if TYPE_CHECKING blocks
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # ``from lrlab.schedules import torch`` imports the submodule; ``... import parse`` the package.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            # ``import lrlab.schedules.spec.x`` stands for its longest prefix that is a module of ours.
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


GRAPH = {module: imported(module, path.read_text(encoding="utf-8")) for module, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_walker_sees_imports_inside_functions_and_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lrlab.schedules.spec import parse\n"
        "def f():\n    from . import registry\n    import lrlab.schedules.wsd as w\n"
    )
    assert imported(f"{PACKAGE}._base", source) == {f"{PACKAGE}.spec", f"{PACKAGE}.registry", f"{PACKAGE}.wsd"}
    # The package's own lazy torch import is an edge too (from its __init__).
    assert f"{PACKAGE}.torch" in GRAPH[PACKAGE]


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_every_module_is_walked() -> None:
    assert {f"{PACKAGE}.{m}" for m in ("_base", "spec", "registry", "sample", "torch", *FACTORY_MODULES)} <= set(GRAPH)


def test_the_import_graph_has_no_cycle() -> None:
    assert find_cycle(GRAPH) is None, GRAPH


def test_the_arrows_point_down() -> None:
    assert GRAPH[f"{PACKAGE}._base"] == set()  # the floor imports nothing of the package
    assert GRAPH[f"{PACKAGE}.spec"] == {f"{PACKAGE}._base"}
    for name in FACTORY_MODULES:
        assert GRAPH[f"{PACKAGE}.{name}"] == {f"{PACKAGE}._base"}, name
    assert GRAPH[f"{PACKAGE}.sample"] == {f"{PACKAGE}._base"}
    assert GRAPH[f"{PACKAGE}.torch"] == {f"{PACKAGE}._base"}


def test_every_listed_schedule_is_registered() -> None:
    from lrlab.schedules.registry import SCHEDULES

    assert _base.FACTORIES == SCHEDULES  # same names, same functions (the order is --list's)


@pytest.mark.parametrize(
    "schedule",
    [
        S.multistep(0.1, milestones=[3, 9], gamma=0.5),
        S.exponential(0.1, gamma=0.9),
        S.inverse_sqrt(0.1, warmup_steps=4),  # timescale=None is a parameter too
        S.join([S.with_warmup(S.cosine(0.1, total=20), 5), S.product([S.constant(0.5), S.step(0.2)])], [30]),
    ],
    ids=repr,
)
def test_pickling_calls_the_factory_without_parsing(schedule: S.Schedule, monkeypatch: pytest.MonkeyPatch) -> None:
    from lrlab.schedules import spec

    def no_parsing(*args: object) -> None:
        raise AssertionError("pickling parsed a spec")

    monkeypatch.setattr(spec, "parse", no_parsing)
    monkeypatch.setattr(spec, "_Parser", no_parsing)
    for clone in (pickle.loads(pickle.dumps(schedule)), copy.deepcopy(schedule)):
        assert repr(clone) == repr(schedule) and clone is not schedule
        assert clone(list(range(60))).tolist() == schedule(list(range(60))).tolist()


def test_rebuilding_an_unknown_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"name must be a registered schedule \(constant, .*\), got 'nope'"):
        _base.rebuild("nope", {})
