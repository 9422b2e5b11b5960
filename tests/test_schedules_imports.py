"""The import graph of lrlab.schedules: every ``import`` statement, also inside functions
and under ``TYPE_CHECKING``, points one way (factories -> _base, spec -> _base), with no cycle."""

from __future__ import annotations

import copy
import pickle

import pytest

import lrlab.schedules as S
from lrlab.schedules import _base
from test_imports import MODULES as ALL_MODULES
from test_imports import find_cycle
from test_imports import imported as imported_anywhere

PACKAGE = "lrlab.schedules"
MODULES = {m: p for m, p in ALL_MODULES.items() if m == PACKAGE or m.startswith(PACKAGE + ".")}
FACTORY_MODULES = ("basic", "compose", "cosine", "cyclic", "onecycle", "wsd")


def imported(module: str, source: str) -> set[str]:
    """The modules of lrlab.schedules that ``module`` imports anywhere in ``source`` (the package-wide walker)."""
    return {t for t in imported_anywhere(module, source) if t in MODULES}


GRAPH = {module: imported(module, path.read_text(encoding="utf-8")) for module, path in MODULES.items()}


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
