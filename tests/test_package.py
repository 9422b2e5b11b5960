"""Package-level promises: a light import, lazy public names, the CLI entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lrlab
from lrlab.cli import main


def test_import_is_light() -> None:
    code = (
        "import sys, lrlab, lrlab.landscapes, lrlab.descent, lrlab.sensitivity; "
        "heavy = [m for m in ('torch', 'matplotlib') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lrlab.nope  # noqa: B018


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert lrlab.__version__ in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert "landscape" in capsys.readouterr().out


def test_the_version_is_written_once_and_agrees_with_the_installed_metadata(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from importlib.metadata import version

    installed = version("lrlab")
    assert lrlab.__version__ == installed
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lrlab {installed}"
    proc = subprocess.run([sys.executable, "-m", "lrlab", "--version"], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == f"lrlab {installed}"
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lrlab.__version__"}


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "lrlab", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "lrlab" in proc.stdout


# Old import path -> the module that now holds it (see lrlab/__init__.py).
MOVED = {
    "lrlab.landscapes": "lrlab.lab2d.landscapes",
    "lrlab.descent": "lrlab.lab2d.descent",
    "lrlab.sensitivity": "lrlab.lab2d.sensitivity",
    "lrlab.compare": "lrlab.lab2d.compare",
    "lrlab.data": "lrlab.tutorial.data",
    "lrlab.data.idx": "lrlab.tutorial.data.idx",
    "lrlab.models": "lrlab.tutorial.models",
    "lrlab.demo": "lrlab.tutorial.demo",
    "lrlab.demo.part1_landscapes": "lrlab.tutorial.demo.part1_landscapes",
    "lrlab.demo.part2_optimizers": "lrlab.tutorial.demo.part2_optimizers",
    "lrlab.demo.part3_schedules": "lrlab.tutorial.demo.part3_schedules",
    "lrlab.demo.part4_finder": "lrlab.tutorial.demo.part4_finder",
}

# In a fresh interpreter, so that the old name is imported before the new one (and the
# other way round): both orders must end with one module object under two names.
_ALIAS_CHECK = """
import importlib, sys
old, new, first = sys.argv[1:]
a = importlib.import_module(old if first == "old" else new)
b = importlib.import_module(new if first == "old" else old)
assert a is b, (a, b)
assert sys.modules[old] is sys.modules[new] is a
assert a.__name__ == new and a.__spec__.name == new, (a.__name__, a.__spec__.name)
parent, _, child = old.rpartition(".")
assert getattr(importlib.import_module(parent), child) is a
exec(f"from {parent} import {child} as c")
assert c is a
same_file = {id(m) for m in list(sys.modules.values()) if getattr(m, "__file__", None) == a.__file__}
assert len(same_file) == 1, "the file was loaded twice"
print("ok")
"""


@pytest.mark.parametrize("first", ["old", "new"])
@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_import_paths_give_the_same_module_objects(old: str, first: str) -> None:
    proc = subprocess.run([sys.executable, "-c", _ALIAS_CHECK, old, MOVED[old], first], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_old_names_import_their_objects() -> None:
    import lrlab.tutorial.data
    from lrlab.compare import tune
    from lrlab.data.idx import read_idx
    from lrlab.demo.part4_finder import train_and_evaluate
    from lrlab.descent import DescentResult
    from lrlab.lab2d.compare import tune as new_tune
    from lrlab.lab2d.descent import DescentResult as NewResult
    from lrlab.tutorial.demo import part4_finder

    assert tune is new_tune and DescentResult is NewResult
    assert read_idx is lrlab.tutorial.data.idx.read_idx and train_and_evaluate is part4_finder.train_and_evaluate


@pytest.mark.parametrize("name", ["landscapes", "descent", "sensitivity", "compare", "data", "models", "demo"])
def test_old_names_are_attributes_of_lrlab(name: str) -> None:
    module = getattr(lrlab, name)
    assert module is sys.modules[f"lrlab.{name}"] and module.__name__ == lrlab._MOVED[f"lrlab.{name}"]
    assert name in dir(lrlab)


def test_an_unknown_module_under_an_old_name_is_not_found() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"lrlab\.demo\.part9"):
        import lrlab.demo.part9  # noqa: F401
    import importlib.util

    assert importlib.util.find_spec("lrlab.demo.part9") is None
    assert importlib.util.find_spec("lrlab.descent") is not None


def test_all_lists_the_library_and_every_name_resolves() -> None:
    assert {"cli", "demo"}.isdisjoint(lrlab.__all__)
    assert {
        "lab2d",
        "tutorial",
        "optim",
        "schedules",
        "train",
        "finder",
        "sweep",
        "confirm",
        "distributed",
        "plots",
        "find_lr",
        "suggest",
        "sweep_lr",
        "suggest_lr",
        "LRFinderResult",
        "SweepResult",
    } <= set(lrlab.__all__)
    for name in lrlab.__all__:
        assert getattr(lrlab, name) is not None, name
    for package in (lrlab.lab2d, lrlab.tutorial):
        for name in package.__all__:
            assert getattr(package, name) is not None, (package.__name__, name)
        assert sorted(package.__all__) == dir(package)
    with pytest.raises(AttributeError, match=r"module 'lrlab\.lab2d' has no attribute 'nope'"):
        lrlab.lab2d.nope  # noqa: B018
    with pytest.raises(AttributeError, match=r"module 'lrlab\.tutorial' has no attribute 'nope'"):
        lrlab.tutorial.nope  # noqa: B018


def test_train_is_public_and_loads_torch_only_when_used() -> None:
    code = (
        "import sys, lrlab; before = 'torch' in sys.modules; "
        "print(before, 'train' in lrlab.__all__, 'train' in dir(lrlab), "
        "lrlab.train is sys.modules['lrlab.train'], 'torch' in sys.modules, callable(lrlab.train.to_device))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "True", "True", "True", "True"]


def test_sensitivity_and_compare_are_attributes() -> None:
    code = (
        "import lrlab; print(lrlab.sensitivity.__name__, lrlab.compare.__name__, "
        "callable(lrlab.sensitivity.sensitivity), callable(lrlab.compare.compare))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["lrlab.lab2d.sensitivity", "lrlab.lab2d.compare", "True", "True"]


def test_new_packages_and_the_builder_module_are_light() -> None:
    code = (
        "import sys, lrlab, lrlab.lab2d, lrlab.tutorial, lrlab.tutorial.task, lrlab.tutorial.data, lrlab.cli; "
        "from lrlab.lab2d import compare, sensitivity; lrlab.cli.build_parser(); "
        "heavy = [m for m in ('torch', 'matplotlib') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    bare = "import sys, lrlab; print(sorted(m for m in ('numpy', 'torch', 'matplotlib') if m in sys.modules))"
    assert (
        subprocess.run([sys.executable, "-c", bare], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )
