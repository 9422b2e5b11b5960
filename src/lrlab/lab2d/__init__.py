"""The NumPy 2D lab: landscapes, batched descent, LR sensitivity and optimizer comparison.

Four modules, data flowing one way: :mod:`~lrlab.lab2d.landscapes` (value, analytic
gradient, minima) -> :mod:`~lrlab.lab2d.descent` (a batch of runs in one pass: the
generic ``init``/``update`` loop and the fast plain-GD path) ->
:mod:`~lrlab.lab2d.sensitivity` (final loss against LR, in zones) and
:mod:`~lrlab.lab2d.compare` (several optimizers, each tuned over an LR grid). NumPy
only: neither torch nor matplotlib is imported here. Names resolve on first use.

:mod:`~lrlab.lab2d.curvature` reads descent paths: Hessian eigenvalues along them
and the ``2 / lambda_max`` threshold.

The functions ``sensitivity``, ``compare`` and ``curvature`` share their modules' names,
so they are reached through them (``lab2d.curvature.curvature``); every other public
name is here too.

Examples:
    >>> from lrlab import lab2d
    >>> res = lab2d.gradient_descent("tutorial", [0.01, 0.03], steps=100, start=(-1, 1))
    >>> [round(float(v), 6) for v in res.final_loss]
    [0.378504, 0.021164]
    >>> lab2d.sensitivity.sensitivity("tutorial", lab2d.default_grid(200)).zones[-1]
    'diverging'
"""

from __future__ import annotations

from lrlab._lazy import lazy

# Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "Landscape": "lrlab.lab2d.landscapes",
    "LANDSCAPES": "lrlab.lab2d.landscapes",
    "Optimizer": "lrlab.lab2d.descent",
    "DescentResult": "lrlab.lab2d.descent",
    "descend": "lrlab.lab2d.descent",
    "gradient_descent": "lrlab.lab2d.descent",
    "plain_gd": "lrlab.lab2d.descent",
    "ZONES": "lrlab.lab2d.sensitivity",
    "SensitivityResult": "lrlab.lab2d.sensitivity",
    "default_grid": "lrlab.lab2d.sensitivity",
    "OptimizerRun": "lrlab.lab2d.compare",
    "Comparison": "lrlab.lab2d.compare",
    "TunedOptimizer": "lrlab.lab2d.compare",
    "Tuning": "lrlab.lab2d.compare",
    "tune": "lrlab.lab2d.compare",
    "default_lrs": "lrlab.lab2d.compare",
    "TUTORIAL_SPECS": "lrlab.lab2d.compare",
    "CurvatureResult": "lrlab.lab2d.curvature",
    "hessian_eigenvalues": "lrlab.lab2d.curvature",
    "along_path": "lrlab.lab2d.curvature",
    "critical_lr": "lrlab.lab2d.curvature",
}

_SUBMODULES = ("landscapes", "descent", "sensitivity", "compare", "curvature")

__all__ = [*_SUBMODULES, *_LAZY]


__getattr__, __dir__ = lazy(__name__, _LAZY, _SUBMODULES)
