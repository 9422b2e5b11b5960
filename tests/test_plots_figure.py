"""The figure helpers every plotting module shares: saving what ``ax.figure`` gives."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure, SubFigure

from lrlab.plots._figure import save


def test_save_writes_and_closes_a_figure(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save(ax.figure, tmp_path / "a" / "fig.png")
    assert path.read_bytes().startswith(b"\x89PNG") and not plt.fignum_exists(fig.number)


def _two_panels() -> tuple[Figure, SubFigure]:
    fig = plt.figure(figsize=(8, 3))
    left, right = fig.subfigures(1, 2)
    left.subplots().plot([0, 1])
    right.subplots().plot([1, 0])
    return fig, right


def test_save_of_a_subfigure_writes_its_whole_figure(tmp_path: Path) -> None:
    fig, right = _two_panels()
    path = save(right, tmp_path / "sub.png")
    assert not plt.fignum_exists(fig.number)
    whole, _ = _two_panels()
    reference = save(whole, tmp_path / "whole.png")
    assert plt.imread(path).shape == plt.imread(reference).shape
