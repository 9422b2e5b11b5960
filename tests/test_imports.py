"""The import graph of the whole package: every ``import`` statement of src/lrlab (also inside functions and
under ``TYPE_CHECKING``) points one way; there is no cycle anywhere, a package's ``__init__`` included."""

from __future__ import annotations

import ast
from pathlib import Path

import lrlab

ROOT = Path(lrlab.__file__).parent


def _name(path: Path) -> str:
    parts = ("lrlab", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imported(module: str, source: str) -> set[str]:
    """The modules of lrlab that ``module`` imports anywhere in ``source``."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # ``from pkg import sub`` imports the submodule; ``from pkg import name`` the package.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
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


def test_the_walker_finds_a_cycle_through_a_package_init() -> None:
    graph = {"a": {"a.b"}, "a.b": {"a"}, "c": set()}
    assert find_cycle(graph) == ["a", "a.b", "a"]
    assert imported("lrlab.confirm.suggest", "def f():\n    from lrlab.confirm import rule, suggest_lr\n") == {
        "lrlab.confirm.rule",
        "lrlab.confirm",
    }


def test_no_import_cycle_in_the_package() -> None:
    graph = {m: imported(m, p.read_text(encoding="utf-8")) for m, p in MODULES.items()}
    assert len(graph) > 80
    assert find_cycle(graph) is None


def test_the_layers_point_down() -> None:
    graph = {m: imported(m, p.read_text(encoding="utf-8")) for m, p in MODULES.items()}

    def reaches(src: str, dst: str) -> bool:
        return any(
            t == dst or t.startswith(dst + ".") for m in graph if m == src or m.startswith(src + ".") for t in graph[m]
        )

    for low in ("lrlab.train", "lrlab.finder", "lrlab.sweep", "lrlab.schedules", "lrlab.optim", "lrlab.lab2d"):
        assert not reaches(low, "lrlab.cli") and not reaches(low, "lrlab.plots") and not reaches(low, "lrlab.confirm")
    assert not reaches("lrlab.finder", "lrlab.sweep") and not reaches("lrlab.sweep", "lrlab.finder")
    for pure in ("lrlab.optim", "lrlab.lab2d"):
        assert not reaches(pure, "lrlab.train")
