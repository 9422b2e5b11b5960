"""Two-dimensional loss landscapes: value, analytic gradient, minima, start and window.

Every landscape is a pure NumPy function of two coordinates, so gradient descent on
it can be run for thousands of learning rates at once (see :mod:`lrlab.lab2d.descent`).

Examples:
    >>> from lrlab.lab2d import landscapes
    >>> f = landscapes.get("tutorial")
    >>> f
    Landscape('tutorial': (1 - x)^2 + 10 (y - x^2)^2, start=(-1.0, 1.0), minima=1)
    >>> float(f.value(1.0, 1.0)), f.minima
    (0.0, ((1.0, 1.0),))
    >>> [float(g) for g in f.grad(-1.0, 1.0)]
    [-4.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrlab._checks import Array, check_choice

ValueFn = Callable[[Array, Array], Array]
GradFn = Callable[[Array, Array], tuple[Array, Array]]

__all__ = ["Landscape", "LANDSCAPES", "get", "names"]


@dataclass(frozen=True, repr=False)
class Landscape:
    """A 2D loss function with everything needed to descend it and draw it.

    Attributes:
        name: Registry and CLI name.
        formula: The function as text, for titles and ``--help``.
        value: ``f(x, y)``, elementwise over arrays.
        grad: ``(df/dx, df/dy)`` at ``(x, y)``, elementwise over arrays.
        minima: Known global minima ``((x, y), ...)``; empty when unbounded below.
        start: Default start point.
        window: Plot window ``(xmin, xmax, ymin, ymax)``.
        lrs: Four illustrative learning rates (slow, good, fast, diverging) for
            plain gradient descent from ``start``.
    """

    name: str
    formula: str
    value: ValueFn
    grad: GradFn
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    window: tuple[float, float, float, float]
    lrs: tuple[float, ...]

    def __repr__(self) -> str:
        return f"Landscape({self.name!r}: {self.formula}, start={self.start}, minima={len(self.minima)})"

    def loss(self, xy: Array) -> Array:
        """``f`` at points ``xy`` of shape ``(..., 2)``."""
        xy = np.asarray(xy, dtype=float)
        return self.value(xy[..., 0], xy[..., 1])

    def gradient(self, xy: Array) -> Array:
        """Gradient at points ``xy`` of shape ``(..., 2)``, returned with the same shape."""
        xy = np.asarray(xy, dtype=float)
        dx, dy = self.grad(xy[..., 0], xy[..., 1])
        # Column-major: each coordinate's gradient is contiguous, like batched params.
        out = np.empty(xy.shape, order="F")
        out[..., 0] = dx
        out[..., 1] = dy
        return out

    @property
    def min_value(self) -> float:
        """The lowest value at the known minima (``-inf`` when there are none)."""
        if not self.minima:
            return float("-inf")
        return float(min(self.value(np.float64(x), np.float64(y)) for x, y in self.minima))


# The tutorial's function keeps the tutorial's operation order so that its printed
# numbers are reproduced to the last bit.
def _tutorial(x: Array, y: Array) -> Array:
    return (1 - x) ** 2 + 10 * (y - x**2) ** 2


def _tutorial_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return -2 * (1 - x) - 40 * x * (y - x**2), 20 * (y - x**2)


def _rosenbrock(x: Array, y: Array) -> Array:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def _beale_terms(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3


def _beale(x: Array, y: Array) -> Array:
    a, b, c = _beale_terms(x, y)
    return a**2 + b**2 + c**2


def _beale_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b, c = _beale_terms(x, y)
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
    return dx, dy


def _himmelblau(x: Array, y: Array) -> Array:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b = x**2 + y - 11, x + y**2 - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _rastrigin(x: Array, y: Array) -> Array:
    return 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y)


def _rastrigin_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x + 20 * np.pi * np.sin(2 * np.pi * x), 2 * y + 20 * np.pi * np.sin(2 * np.pi * y)


def _booth(x: Array, y: Array) -> Array:
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def _booth_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return 2 * a + 4 * b, 4 * a + 2 * b


def _saddle(x: Array, y: Array) -> Array:
    return x**2 - y**2


def _saddle_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x, -2 * y


# Condition number 50: plain gradient descent needs lr < 2/50 to stay stable along y,
# and then crawls along x — the textbook case for momentum.
_QUAD_A, _QUAD_B = 1.0, 50.0


def _quadratic(x: Array, y: Array) -> Array:
    return 0.5 * (_QUAD_A * x**2 + _QUAD_B * y**2)


def _quadratic_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return _QUAD_A * x, _QUAD_B * y


LANDSCAPES: dict[str, Landscape] = {
    land.name: land
    for land in (
        Landscape(
            "tutorial",
            "(1 - x)^2 + 10 (y - x^2)^2",
            _tutorial,
            _tutorial_grad,
            ((1.0, 1.0),),
            (-1.0, 1.0),
            (-2.0, 2.0, -1.0, 3.0),
            (0.001, 0.01, 0.03, 0.05),
        ),
        Landscape(
            "rosenbrock",
            "(1 - x)^2 + 100 (y - x^2)^2",
            _rosenbrock,
            _rosenbrock_grad,
            ((1.0, 1.0),),
            (-1.0, 1.0),
            (-2.0, 2.0, -1.0, 3.0),
            (0.0001, 0.001, 0.003, 0.005),
        ),
        Landscape(
            "beale",
            "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            _beale,
            _beale_grad,
            ((3.0, 0.5),),
            (1.0, 1.5),
            (-4.5, 4.5, -4.5, 4.5),
            (0.0001, 0.001, 0.01, 0.05),
        ),
        Landscape(
            "himmelblau",
            "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            _himmelblau,
            _himmelblau_grad,
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
            (0.0, 0.0),
            (-5.0, 5.0, -5.0, 5.0),
            (0.0001, 0.001, 0.01, 0.05),
        ),
        Landscape(
            "rastrigin",
            "20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)",
            _rastrigin,
            _rastrigin_grad,
            ((0.0, 0.0),),
            (2.2, -1.7),
            (-5.12, 5.12, -5.12, 5.12),
            (0.0001, 0.001, 0.01, 0.1),
        ),
        Landscape(
            "booth",
            "(x + 2y - 7)^2 + (2x + y - 5)^2",
            _booth,
            _booth_grad,
            ((1.0, 3.0),),
            (-3.0, -1.0),
            (-4.0, 6.0, -2.0, 8.0),
            (0.001, 0.01, 0.05, 0.2),
        ),
        Landscape(
            "saddle",
            "x^2 - y^2",
            _saddle,
            _saddle_grad,
            (),
            (-1.5, 0.01),
            (-2.0, 2.0, -2.0, 2.0),
            (0.001, 0.01, 0.1, 1.1),
        ),
        Landscape(
            "quadratic",
            "(x^2 + 50 y^2) / 2",
            _quadratic,
            _quadratic_grad,
            ((0.0, 0.0),),
            (-4.0, 1.0),
            (-5.0, 5.0, -2.0, 2.0),
            (0.001, 0.01, 0.035, 0.045),
        ),
    )
}


def names() -> list[str]:
    """Names of every landscape, in registry order."""
    return list(LANDSCAPES)


def get(name: str) -> Landscape:
    """Look a landscape up by name.

    Raises:
        ValueError: If ``name`` is not a known landscape.
    """
    return LANDSCAPES[check_choice("function", name, LANDSCAPES)]
