"""plots.finder: the range-test figure draws what the result and suggestions hold."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection

from lrlab.finder import METHODS, LRFinderResult, lr_sequence, suggest
from lrlab.plots._figure import save
from lrlab.plots.finder import plot_finder


def _result(val: bool = False) -> LRFinderResult:
    lrs = lr_sequence(1e-6, 1.0, 60)
    x = np.log10(lrs)
    sm = 2.3 - 1.5 / (1 + np.exp(-(x + 2) * 3)) + np.where(x > -0.5, 4 * (x + 0.5) ** 2, 0)
    raw = sm + 0.05 * np.random.default_rng(0).standard_normal(60)
    return LRFinderResult(
        lrs=lrs,
        losses=raw,
        smoothed=sm,
        val_losses=raw + 0.1 if val else None,
        stop_reason="completed",
        start_lr=1e-6,
        end_lr=1.0,
        num_iter=60,
        monitor="val" if val else "train",
    )


def test_figure_marks_every_suggestion_and_shades_the_range(tmp_path):
    r = _result()
    sugg = {m: suggest(r, m) for m in METHODS}
    ax = plot_finder(r, sugg)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for m in METHODS:
        assert any(lbl.startswith(f"{m}: {sugg[m].lr:.3g}") for lbl in labels)
    assert ax.get_xscale() == "log"
    spans = [p for p in ax.patches] + [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(spans) == 1  # steepest's range only
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["loss (smoothed)"].get_ydata(), r.smoothed)
    assert save(ax.figure, tmp_path / "f.png").stat().st_size > 10_000


def test_figure_without_suggestions_and_with_validation():
    ax = plot_finder(_result(val=True), None, shade=None)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "validation loss (smoothed)" in labels and "validation loss (raw)" in labels
    assert not ax.patches
