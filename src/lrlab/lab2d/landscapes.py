"""Two-dimensional loss landscapes: value, analytic gradient and Hessian, minima, start and window.

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
    >>> f.hessian((1.0, 1.0)).tolist()
    [[82.0, -40.0], [-40.0, 20.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrlab._checks import Array, check_choice

ValueFn = Callable[[Array, Array], Array]
GradFn = Callable[[Array, Array], tuple[Array, Array]]
HessFn = Callable[[Array, Array], tuple[Array, Array, Array]]

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
        hess: ``(d2f/dx2, d2f/dxdy, d2f/dy2)`` at ``(x, y)``, elementwise over arrays;
            ``None`` for a landscape without an analytic Hessian.
    """

    name: str
    formula: str
    value: ValueFn
    grad: GradFn
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    window: tuple[float, float, float, float]
    lrs: tuple[float, ...]
    hess: HessFn | None = None

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

    def hessian(self, xy: Array) -> Array:
        """The Hessian at points ``xy`` of shape ``(..., 2)``: shape ``(..., 2, 2)``, symmetric.

        Raises:
            ValueError: If ``xy`` does not end in an axis of 2, or the landscape has no ``hess``.
        """
        xy = np.asarray(xy, dtype=float)
        if xy.ndim == 0 or xy.shape[-1] != 2:
            raise ValueError(f"xy must have shape (..., 2) (points (x, y)), got shape {xy.shape}")
        if self.hess is None:
            raise ValueError(f"landscape {self.name!r} must have an analytic Hessian (hess=...), got hess=None")
        hxx, hxy, hyy = self.hess(xy[..., 0], xy[..., 1])
        out = np.empty((*xy.shape, 2))
        out[..., 0, 0] = hxx
        out[..., 0, 1] = hxy
        out[..., 1, 0] = hxy
        out[..., 1, 1] = hyy
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


def _tutorial_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return 2 - 40 * (y - x**2) + 80 * x**2, -40 * x, _const(20.0, x, y)


def _const(value: float, x: Array, y: Array) -> Array:
    """``value`` broadcast to the shape of ``x`` and ``y`` (a constant second derivative)."""
    return np.full(np.broadcast(x, y).shape, value)


def _rosenbrock(x: Array, y: Array) -> Array:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def _rosenbrock_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return 2 - 400 * (y - x**2) + 800 * x**2, -400 * x, _const(200.0, x, y)


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


def _beale_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    # Each term t is linear in x, so t_xx = 0; t_x = y^k - 1, t_y = k x y^(k-1), t_xy = k y^(k-1).
    a, b, c = _beale_terms(x, y)
    ax, bx, cx = y - 1, y**2 - 1, y**3 - 1
    ay, by, cy = x, 2 * x * y, 3 * x * y**2
    hxx = 2 * (ax**2 + bx**2 + cx**2)
    hxy = 2 * (ay * ax + a + by * bx + 2 * b * y + cy * cx + 3 * c * y**2)
    hyy = 2 * (ay**2 + by**2 + 2 * b * x + cy**2 + 6 * c * x * y)
    return hxx, hxy, hyy


def _himmelblau(x: Array, y: Array) -> Array:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b = x**2 + y - 11, x + y**2 - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _himmelblau_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    a, b = x**2 + y - 11, x + y**2 - 7
    return 4 * a + 8 * x**2 + 2, 4 * x + 4 * y, 2 + 4 * b + 8 * y**2


def _rastrigin(x: Array, y: Array) -> Array:
    return 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y)


def _rastrigin_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x + 20 * np.pi * np.sin(2 * np.pi * x), 2 * y + 20 * np.pi * np.sin(2 * np.pi * y)


def _rastrigin_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    k = 40 * np.pi**2
    return 2 + k * np.cos(2 * np.pi * x), _const(0.0, x, y), 2 + k * np.cos(2 * np.pi * y)


def _booth(x: Array, y: Array) -> Array:
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def _booth_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return 2 * a + 4 * b, 4 * a + 2 * b


def _booth_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return _const(10.0, x, y), _const(8.0, x, y), _const(10.0, x, y)


def _saddle(x: Array, y: Array) -> Array:
    return x**2 - y**2


def _saddle_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x, -2 * y


def _saddle_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return _const(2.0, x, y), _const(0.0, x, y), _const(-2.0, x, y)


# Condition number 50: plain gradient descent needs lr < 2/50 to stay stable along y,
# and then crawls along x — the textbook case for momentum.
_QUAD_A, _QUAD_B = 1.0, 50.0


def _quadratic(x: Array, y: Array) -> Array:
    return 0.5 * (_QUAD_A * x**2 + _QUAD_B * y**2)


def _quadratic_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return _QUAD_A * x, _QUAD_B * y


def _quadratic_hess(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return _const(_QUAD_A, x, y), _const(0.0, x, y), _const(_QUAD_B, x, y)


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
            _tutorial_hess,
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
            _rosenbrock_hess,
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
            _beale_hess,
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
            _himmelblau_hess,
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
            _rastrigin_hess,
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
            _booth_hess,
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
            _saddle_hess,
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
            _quadratic_hess,
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
