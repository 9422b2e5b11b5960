"""Landscapes: analytic gradients against finite differences, minima, registry, errors."""

from __future__ import annotations

import numpy as np
import pytest

from lrlab.lab2d import landscapes

NAMES = landscapes.names()


def test_registry_has_the_issue_functions() -> None:
    assert set(NAMES) == {"tutorial", "rosenbrock", "beale", "himmelblau", "rastrigin", "booth", "saddle", "quadratic"}


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name: str) -> None:
    land = landscapes.get(name)
    x0, x1, y0, y1 = land.window
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)])
    h = 1e-6
    num = np.empty_like(pts)
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        num[:, j] = (land.loss(pts + e) - land.loss(pts - e)) / (2 * h)
    ana = land.gradient(pts)
    scale = np.maximum(1.0, np.abs(ana))
    np.testing.assert_allclose(ana / scale, num / scale, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in NAMES if landscapes.get(n).minima])
def test_minima_are_stationary_and_lowest_nearby(name: str) -> None:
    land = landscapes.get(name)
    for mx, my in land.minima:
        g = land.gradient(np.array([mx, my]))
        assert np.abs(g).max() < 1e-4, (name, g)
        ring = np.array([mx, my]) + 1e-3 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
        assert np.all(land.loss(ring) > land.loss(np.array([mx, my])))


@pytest.mark.parametrize("name", NAMES)
def test_start_inside_window_and_lrs_positive(name: str) -> None:
    land = landscapes.get(name)
    x0, x1, y0, y1 = land.window
    assert x0 < land.start[0] < x1 and y0 < land.start[1] < y1
    assert len(land.lrs) == 4 and all(lr > 0 for lr in land.lrs)


def test_tutorial_values() -> None:
    land = landscapes.get("tutorial")
    assert land.loss(np.array([-1.0, 1.0])) == 4.0
    assert land.min_value == 0.0
    np.testing.assert_array_equal(land.gradient(np.array([-1.0, 1.0])), [-4.0, 0.0])


def test_saddle_is_unbounded_below() -> None:
    assert landscapes.get("saddle").min_value == float("-inf")


def test_unknown_function_raises() -> None:
    with pytest.raises(ValueError, match=r"function must be one of .* got 'nope'"):
        landscapes.get("nope")
