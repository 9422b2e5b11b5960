"""Sweep figures: they draw what the result holds, including diverged and degenerate sweeps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrlab.plots.sweep import plot_sweep, plot_sweep_curves, plot_sweep_final
from lrlab.sweep import SweepResult

NAN = float("nan")


def make(train: list[list[float]], lrs: list[float]) -> SweepResult:
    arr = np.asarray(train, dtype=np.float64)
    return SweepResult(
        lrs=np.asarray(lrs),
        steps=arr.shape[1],
        train_losses=arr,
        val_losses=None,
        val_steps=np.zeros(0, dtype=np.int64),
        optimizer="SGD",
        mode="vmap",
    )


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_curves_one_line_per_copy_best_thick_diverged_dashed():
    r = make([[2.0, 1.5, 1.0], [2.0, 1.0, 0.5], [2.0, 50.0, NAN]], [0.01, 0.1, 1.0])
    ax = plot_sweep_curves(r)
    lines = ax.get_lines()
    assert len(lines) == 3
    widths = {round(line.get_linewidth(), 1) for line in lines}
    assert widths == {1.1, 2.6}
    assert [line.get_linestyle() for line in lines].count("--") == 1
    assert ax.get_ylim()[1] < 50  # the blow-up runs off the top
    assert "best LR 0.1" in ax.get_title()


def test_final_marks_best_and_diverged():
    r = make([[2.0, 1.0], [2.0, 0.5], [2.0, NAN], [2.0, 9.0]], [0.01, 0.1, 1.0, 3.0])
    ax = plot_sweep_final(r)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "best: 0.1" in labels and "diverged (NaN/Inf)" in labels
    assert "ended above the start (off scale)" in labels
    assert ax.get_xscale() == "log"


def test_all_diverged_and_single_copy_still_draw():
    fig = plot_sweep(make([[NAN, NAN], [NAN, NAN]], [0.1, 1.0]))
    assert len(fig.axes) >= 2
    fig = plot_sweep(make([[1.0, 0.5]], [0.1]))
    assert "best LR 0.1" in fig.axes[0].get_title()
