"""Package-level promises: a light import, lazy public names, the CLI entry."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lrlab
from lrlab.cli import main


def test_import_is_light() -> None:
    code = ("import sys, lrlab, lrlab.landscapes, lrlab.descent, lrlab.sensitivity; "
            "heavy = [m for m in ('torch', 'matplotlib') if m in sys.modules]; print(heavy)")
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


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "lrlab", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "lrlab" in proc.stdout
