"""The result of a sharpness measurement (NumPy only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SharpnessResult"]


@dataclass(frozen=True, eq=False)
class SharpnessResult:
    """The top Hessian eigenvalues of a loss on one batch.

    Attributes:
        eigenvalues: The top-k eigenvalues, descending (float64, read-only); of
            ``P^{-1/2} H P^{-1/2}`` when :attr:`preconditioned`.
        iterations: Lanczos steps (Hessian-vector products) run.
        converged: Whether every top-k Ritz residual fell below the tolerance (or the whole
            space was spanned).
        preconditioned: Whether the Hessian was preconditioned by Adam's ``P``.
        edge_constant: ``c`` of the optimizer's stability threshold ``lambda_max = c / lr``
            (2 for gradient descent, 38 for Adam with ``beta1 = 0.9``), or ``None``.
        lr: The optimizer's learning rate (first param group), or ``None`` without an optimizer.
        loss: The batch's loss at the current weights.
        vectors: The top-k eigenvectors as a ``(k, n)`` torch tensor over the trainable parameters
            flattened in ``named_parameters()`` order (``None`` unless asked for).
    """

    eigenvalues: np.ndarray
    iterations: int
    converged: bool
    preconditioned: bool = False
    edge_constant: float | None = 2.0
    lr: float | None = None
    loss: float = math.nan
    vectors: Any = None

    def __post_init__(self) -> None:
        arr = np.array(self.eigenvalues, dtype=np.float64).reshape(-1)
        arr.setflags(write=False)
        object.__setattr__(self, "eigenvalues", arr)

    @property
    def lambda_max(self) -> float:
        """The top eigenvalue: the sharpness."""
        return float(self.eigenvalues[0])

    @property
    def edge_lr(self) -> float | None:
        """The LR at which this sharpness sits at the edge of stability, ``c / lambda_max``
        (``inf`` for a non-positive ``lambda_max``; ``None`` without a known ``c``)."""
        if self.edge_constant is None:
            return None
        return self.edge_constant / self.lambda_max if self.lambda_max > 0 else math.inf

    @property
    def threshold(self) -> float | None:
        """The sharpness at which the optimizer's current LR is at the edge, ``c / lr``."""
        if self.edge_constant is None or self.lr is None or self.lr <= 0:
            return None
        return self.edge_constant / self.lr

    def __repr__(self) -> str:
        name = "preconditioned lambda_max" if self.preconditioned else "lambda_max"
        more = f", top {self.eigenvalues.size}: {np.array2string(self.eigenvalues, precision=4)}"
        more = more if self.eigenvalues.size > 1 else ""
        state = "converged" if self.converged else "not converged"
        edge = "" if self.edge_lr is None else f", edge lr {self.edge_lr:.3g} (= {self.edge_constant:g}/lambda_max)"
        return f"SharpnessResult({name}={self.lambda_max:.5g}{more}, {self.iterations} HVPs, {state}{edge})"

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON (the vectors left out)."""
        return {
            "eigenvalues": self.eigenvalues.tolist(),
            "iterations": self.iterations,
            "converged": self.converged,
            "preconditioned": self.preconditioned,
            "edge_constant": self.edge_constant,
            "lr": self.lr,
            "loss": self.loss if math.isfinite(self.loss) else None,
            "edge_lr": self.edge_lr if self.edge_lr is None or math.isfinite(self.edge_lr) else None,
        }
