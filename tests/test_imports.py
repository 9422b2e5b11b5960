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


# A result's notebook views: the one arrow allowed upward (ARCHITECTURE.md), a lazy import of lrlab.plots.
VIEWS = ("plot", "_repr_html_")


def _view_imports(tree: ast.AST) -> set[int]:
    """The ids of the import statements inside a method (of a class) named in :data:`VIEWS`."""
    return {
        id(inner)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in VIEWS
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Import, ast.ImportFrom))
    }


def imported(module: str, source: str, *, views: bool = False) -> set[str]:
    """The modules of lrlab that ``module`` imports anywhere in ``source``.

    Imports of ``lrlab.plots`` inside a ``plot`` or ``_repr_html_`` method are left out unless ``views``.
    """
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    tree = ast.parse(source)
    lazy_views = set() if views else _view_imports(tree)
    for node in ast.walk(tree):
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
            if name and name != module and not (id(node) in lazy_views and name.startswith("lrlab.plots")):
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


def test_the_walker_leaves_out_only_a_view_importing_plots() -> None:
    view = "class R:\n    def plot(self):\n        from lrlab.plots.sweep import plot_sweep\n"
    assert imported("lrlab.sweep.result", view) == set()
    assert imported("lrlab.sweep.result", view, views=True) == {"lrlab.plots.sweep"}
    other = "class R:\n    def draw(self):\n        from lrlab.plots.sweep import plot_sweep\n"
    assert imported("lrlab.sweep.result", other) == {"lrlab.plots.sweep"}
    function = "def plot():\n    from lrlab.plots.sweep import plot_sweep\n"
    assert imported("lrlab.sweep.result", function) == {"lrlab.plots.sweep"}
    upward = "class R:\n    def plot(self):\n        from lrlab.cli import main\n"
    assert imported("lrlab.sweep.result", upward) == {"lrlab.cli"}


def test_below_plots_matplotlib_is_never_imported_at_module_level() -> None:
    """A result's view imports lrlab.plots (and so matplotlib) when it is called, never when its module loads."""
    for module, path in MODULES.items():
        if module.startswith(("lrlab.plots", "lrlab.cli", "lrlab.tutorial", "lrlab.report")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {
            alias.name if isinstance(node, ast.Import) else node.module or ""
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        assert not any(name.startswith(("matplotlib", "lrlab.plots")) for name in top), module


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

    for low in (
        "lrlab.train",
        "lrlab.hessian",
        "lrlab.finder",
        "lrlab.sweep",
        "lrlab.schedules",
        "lrlab.optim",
        "lrlab.lab2d",
    ):
        assert not reaches(low, "lrlab.cli") and not reaches(low, "lrlab.plots") and not reaches(low, "lrlab.confirm")
    assert not reaches("lrlab.finder", "lrlab.sweep") and not reaches("lrlab.sweep", "lrlab.finder")
    # The Hessian tools sit on the ground floor: the range test and the sweep use them, not the reverse.
    assert not reaches("lrlab.hessian", "lrlab.finder") and not reaches("lrlab.hessian", "lrlab.sweep")
    for pure in ("lrlab.optim", "lrlab.lab2d"):
        assert not reaches(pure, "lrlab.train")


def test_only_the_cli_imports_the_report() -> None:
    """The report reads results and draws with lrlab.plots; only the CLI builds pages; the report runs nothing."""
    graph = {m: imported(m, p.read_text(encoding="utf-8")) for m, p in MODULES.items()}
    for module, targets in graph.items():
        if not module.startswith(("lrlab.report", "lrlab.cli")):
            assert not any(t.startswith("lrlab.report") for t in targets), module
    upward = ("lrlab.cli", "lrlab.tutorial", "lrlab.integrations", "lrlab.confirm.suggest", "lrlab.finder.loop")
    for module, targets in graph.items():
        if module.startswith("lrlab.report"):
            assert not any(t.startswith(upward) for t in targets), (module, targets)
    assert any(t.startswith("lrlab.report") for t in graph["lrlab.cli.report"] | graph["lrlab.cli.find"])


def _top_names(source: str) -> set[str]:
    """The top-level package of every ``import`` anywhere in ``source`` (absolute imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_integrations_know_the_trainers() -> None:
    """transformers and lightning are imported inside lrlab.integrations only (and the CLI above it), and the
    integrations build on the library's core: confirm, finder, sweep, train, schedules, distributed, _checks."""
    frameworks = {"transformers", "lightning", "pytorch_lightning"}
    allowed = ("lrlab.confirm", "lrlab.finder", "lrlab.sweep", "lrlab.train", "lrlab.schedules", "lrlab.distributed")
    allowed += ("lrlab._checks",)
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        if module.startswith("lrlab.integrations"):
            outside = {
                t
                for t in imported(module, source)
                if not t.startswith("lrlab.integrations") and not any(t == a or t.startswith(a + ".") for a in allowed)
            }
            assert not outside, (module, outside)
        elif not module.startswith("lrlab.cli"):
            assert not _top_names(source) & frameworks, module
            assert not any(t.startswith("lrlab.integrations") for t in imported(module, source)), module
