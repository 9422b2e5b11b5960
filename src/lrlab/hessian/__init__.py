"""Curvature of a model's loss: Hessian-vector products, top eigenvalues, the edge of stability.

:func:`sharpness` (also ``lrlab.sharpness``) measures the top Hessian eigenvalues of the loss on one
batch without changing the model; :mod:`lrlab.hessian.edge` holds the stability thresholds
(``2 / lr``, ``(2 + 2b) / lr``, Adam's ``38 / lr``) and Adam's preconditioner;
:mod:`lrlab.hessian.track` measures ``lambda_max`` every few steps inside the range test and the sweep.

The package is named for what it computes (the function ``lrlab.sharpness`` could not share its name
with a module of ``lrlab``). The result object is NumPy only; the torch-backed names load on first use.
"""

from __future__ import annotations

from lrlab._lazy import lazy
from lrlab.hessian.result import SharpnessResult

__all__ = ["sharpness", "SharpnessResult", "lanczos", "edge_constant"]

__getattr__, __dir__ = lazy(
    __name__,
    {
        "sharpness": "lrlab.hessian.api",
        "lanczos": "lrlab.hessian._lanczos",
        "edge_constant": "lrlab.hessian.edge",
    },
)
