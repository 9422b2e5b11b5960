"""The notebook views of every result: ``plot(ax=None)``, a short ``repr`` and ``_repr_html_``.

Single-panel results (range test, descent, sensitivity, comparison) return the ``Axes`` they drew on;
multi-panel ones (sweep, tuning, confirmation) return the ``Figure`` and take one ``Axes`` per panel.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrlab.confirm.result import Confirmation, Round
from lrlab.finder import LRFinderResult
from lrlab.lab2d import compare, descent, landscapes, sensitivity
from lrlab.sweep import SweepResult


def finder_result(n: int = 100) -> LRFinderResult:
    """A range test's curve: flat, a fall around 1e-2, a blow-up past 1 (no training needed)."""
    lrs = np.geomspace(1e-6, 10, n)
    x = np.log10(lrs)
    losses = 2.3 - 1.6 / (1 + np.exp(-2.5 * (x + 2))) + 0.02 * np.sin(7 * x) + np.where(x > 0, 3 * x**2, 0.0)
    return LRFinderResult(lrs, losses, losses, None, "completed", 1e-6, 10.0, n)


def sweep_result(k: int = 6, steps: int = 20, factors: bool = False) -> SweepResult:
    lrs = np.geomspace(1e-3, 3, k)
    t = np.arange(1, steps + 1)
    rate = np.minimum(lrs, 0.5)[:, None]
    losses = 2.3 * np.exp(-rate * t / 5) + 0.1
    losses[-1, steps // 2 :] = np.inf  # the largest LR diverges half-way
    return SweepResult(
        lrs=lrs,
        steps=steps,
        train_losses=losses,
        val_losses=None,
        val_steps=np.zeros(0, dtype=int),
        optimizer="SGD",
        mode="vmap",
        lr_factors=np.linspace(1, 0.1, steps) if factors else None,
    )


def confirmation() -> Confirmation:
    rounds = []
    for horizon in (8, 16):
        sweep = sweep_result(steps=horizon, factors=True)
        rounds.append(Round(horizon, sweep, sweep.scores, float(sweep.best_lr or np.nan), "vertex"))
    total = 200
    return Confirmation(
        lr=0.3,
        band=(0.2, 0.45),
        schedule="cosine(1.0, total=200)",
        total_steps=total,
        budget_steps=400,
        cost_steps=244,
        wall_s=1.5,
        range_test=finder_result(),
        rounds=tuple(rounds),
        how="vertex",
        lr_factors=0.5 * (1 + np.cos(np.pi * np.arange(total) / total)),
    )


def descent_result() -> descent.DescentResult:
    return descent.gradient_descent("tutorial", [0.001, 0.01, 0.03, 0.05], steps=100, start=(-1, 1))


def sensitivity_result() -> sensitivity.SensitivityResult:
    return sensitivity.sensitivity("tutorial", np.geomspace(1e-4, 0.1, 200), steps=100)


def comparison() -> compare.Comparison:
    return compare.compare("tutorial", ["sgd:lr=0.001", "adam:lr=0.1"], steps=60, start=(-1, 1))


def tuning() -> compare.Tuning:
    return compare.tune("tutorial", ["sgd", "adam"], lrs=np.geomspace(1e-4, 1, 40), steps=60, start=(-1, 1))


# (id, factory, panels): panels 0 means plot() returns the Axes; n > 0 the Figure of n panels.
CASES: list[tuple[str, Callable[[], Any], int]] = [
    ("finder", finder_result, 0),
    ("descent", descent_result, 0),
    ("sensitivity", sensitivity_result, 0),
    ("comparison", comparison, 0),
    ("sweep", sweep_result, 2),
    ("tuning", tuning, 2),
    ("confirmation", confirmation, 3),
]
IDS = [c[0] for c in CASES]


@pytest.fixture(autouse=True)
def _no_open_figures() -> Any:
    plt.close("all")
    yield
    plt.close("all")


@pytest.mark.parametrize(("name", "make", "panels"), CASES, ids=IDS)
def test_plot_without_ax_draws_a_new_figure(name: str, make: Callable[[], Any], panels: int) -> None:
    out = make().plot()
    assert len(plt.get_fignums()) == 1
    if panels:
        assert isinstance(out, Figure)
        assert len([a for a in out.axes if a.has_data() and a.get_label() != "<colorbar>"]) == panels
    else:
        assert isinstance(out, Axes) and out.has_data()


@pytest.mark.parametrize(("name", "make", "panels"), CASES, ids=IDS)
def test_plot_draws_on_the_axes_given(name: str, make: Callable[[], Any], panels: int) -> None:
    fig, axes = plt.subplots(1, max(panels, 1), squeeze=False)
    given = list(axes.flat)
    result = make()
    out = result.plot(ax=given if panels else given[0])
    assert plt.get_fignums() == [fig.number]  # no other figure was opened
    assert out is (fig if panels else given[0])
    assert all(a.has_data() for a in given)


@pytest.mark.parametrize(("name", "make", "panels"), [c for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_a_multi_panel_plot_needs_one_axes_per_panel(name: str, make: Callable[[], Any], panels: int) -> None:
    result = make()
    _fig, axes = plt.subplots(1, panels + 1)
    with pytest.raises(ValueError, match=f"ax must hold {panels} Axes"):
        result.plot(ax=list(axes))
    with pytest.raises(TypeError, match=f"ax must be None or a sequence of {panels} matplotlib Axes"):
        result.plot(ax=axes[0])
    _other, more = plt.subplots(1, panels)
    with pytest.raises(ValueError, match="Axes of one figure"):
        result.plot(ax=[*axes[: panels - 1], more[0]])


@pytest.mark.parametrize(("name", "make", "panels"), CASES, ids=IDS)
def test_repr_html_is_a_table_and_an_inline_png_and_closes_its_figure(
    name: str, make: Callable[[], Any], panels: int
) -> None:
    result = make()
    html = result._repr_html_()
    assert plt.get_fignums() == []
    assert "<table" in html and "</table>" in html
    found = re.search(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert found is not None
    assert base64.b64decode(found.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    assert len(repr(result)) < 300 and "\n" not in repr(result)


def test_reprs_stay_short_for_ten_thousand_points() -> None:
    lrs = np.geomspace(1e-4, 0.1, 10_000)
    big = [
        finder_result(10_000),
        sweep_result(k=10_000, steps=4),
        descent.gradient_descent("tutorial", lrs, steps=20, start=(-1, 1), record=False),
        sensitivity.sensitivity("tutorial", lrs, steps=20),
    ]
    for result in big:
        text = repr(result)
        assert len(text) < 300 and "\n" not in text and "array" not in text, text


def test_the_finder_plot_marks_what_the_pure_rules_suggest() -> None:
    result = finder_result()
    ax = result.plot()
    labels = ax.get_legend_handles_labels()[1]
    for method, s in result.suggestions().items():
        assert s == result.suggest(method)
        assert f"{method}: {s.lr:.3g}" in labels
    assert set(result.suggestions()) == {"steepest", "minimum", "valley", "slide", "tutorial"}
    only = result.plot(methods=["valley"]).get_legend_handles_labels()[1]
    assert [label for label in only if ":" in label] == [f"valley: {result.suggest('valley').lr:.3g}"]


def test_a_short_curve_marks_the_rules_that_can_read_it() -> None:
    short = finder_result(12)  # too short for slide (18 steps)
    assert "slide" not in short.suggestions() and "steepest" in short.suggestions()
    with pytest.raises(ValueError, match="slide needs at least"):
        short.suggestions(["slide"])
    with pytest.raises(ValueError, match="method must be"):
        short.plot(methods=["nope"])


def test_the_descent_plot_reads_the_landscape_by_name_or_takes_one() -> None:
    result = dataclasses.replace(descent_result(), landscape="mine")
    with pytest.raises(ValueError, match="function must be"):
        result.plot()
    ax = result.plot(landscape=landscapes.get("tutorial"), max_paths=2)
    assert len([t for t in ax.get_legend_handles_labels()[1] if t.startswith("LR ")]) == 2
    with pytest.raises(ValueError, match="max_paths must be >= 0, got -1"):
        result.plot(landscape=landscapes.get("tutorial"), max_paths=-1)
    with pytest.raises(TypeError, match="max_paths must be an int"):
        result.plot(landscape=landscapes.get("tutorial"), max_paths=1.5)


def test_given_axes_leave_the_confirmation_figure_untitled() -> None:
    fig, axes = plt.subplots(1, 3)
    confirmation().plot(ax=axes)
    assert fig.get_suptitle() == ""
    assert "Suggested peak LR 0.3" in confirmation().plot().get_suptitle()


def test_a_descent_without_paths_shows_every_end_point_coloured_by_lr() -> None:
    result = descent.gradient_descent("tutorial", np.geomspace(1e-3, 0.1, 300), steps=50, start=(-1, 1), record=False)
    ax = result.plot()
    assert not [t for t in ax.get_legend_handles_labels()[1] if t.startswith("LR ")]
    colorbars = [a for a in ax.figure.axes if a.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and "(paths not recorded)" in ax.get_title()
    html = result._repr_html_()
    assert "<caption>12 of 300 runs</caption>" in html and html.count("<tr>") == 13  # header + 12 rows
