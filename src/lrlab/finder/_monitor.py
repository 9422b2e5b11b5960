"""The range test's learning-rate sequence and its smoothing-and-stop rule (NumPy only).

Both are plain functions of numbers, shared by the single-process loop and the
distributed one (where every rank feeds the same all-reduced losses and therefore
takes the same decision on the same step).
"""

from __future__ import annotations

import math

import numpy as np

MODES = ("exp", "linear")

# Why a range test stopped.
COMPLETED = "completed"  # ran all num_iter steps
DIVERGED = "diverged"  # smoothed loss > diverge_th * best smoothed loss
NON_FINITE = "non-finite"  # a NaN or Inf loss
STOP_REASONS = (COMPLETED, DIVERGED, NON_FINITE)

__all__ = ["MODES", "STOP_REASONS", "COMPLETED", "DIVERGED", "NON_FINITE", "lr_sequence", "LossMonitor"]


def lr_sequence(start_lr: float, end_lr: float, num_iter: int, mode: str = "exp") -> np.ndarray:
    """The learning rate used at each step ``i = 0 .. num_iter-1``.

    ``exp``:    ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))``
    ``linear``: ``lr_i = start_lr + (end_lr - start_lr) * i / (num_iter - 1)``

    The first step uses ``start_lr`` and the last ``end_lr`` (as torch-lr-finder's
    schedulers; the tutorial's loop never reaches ``end_lr``).

    Examples:
        >>> lr_sequence(1e-3, 1e-1, 3).tolist()
        [0.001, 0.01, 0.1]
    """
    frac = np.arange(num_iter, dtype=np.float64) / (num_iter - 1)
    if mode == "exp":
        lrs = start_lr * (end_lr / start_lr) ** frac
    else:
        lrs = start_lr + (end_lr - start_lr) * frac
    # Pin the ends exactly: pow rounding must not move the last LR off end_lr.
    lrs[0], lrs[-1] = start_lr, end_lr
    return lrs


class LossMonitor:
    """EMA smoothing with bias correction, and the divergence stop rule.

    For raw loss ``l_i`` (``i`` from 0) and ``beta = smooth``::

        avg_i      = beta * avg_{i-1} + (1 - beta) * l_i,   avg_{-1} = 0
        smoothed_i = avg_i / (1 - beta ** (i + 1))

    The test stops at step ``i`` when ``l_i`` is NaN or Inf, or when
    ``smoothed_i > diverge_th * min(smoothed_0..i)``. The step that fires is recorded.

    Args:
        smooth: ``beta`` in ``[0, 1)``; 0 turns smoothing off.
        diverge_th: The multiple of the best smoothed loss that counts as divergence
            (``math.inf`` never stops on it).
    """

    def __init__(self, smooth: float, diverge_th: float):
        self.smooth = smooth
        self.diverge_th = diverge_th
        self.smoothed: list[float] = []
        self._avg = 0.0
        self._best = math.inf
        self.stop_reason: str | None = None

    def push(self, loss: float) -> bool:
        """Add one step's monitored loss; return True when the test must stop here."""
        i = len(self.smoothed)
        if not math.isfinite(loss):
            self.smoothed.append(math.nan)
            self.stop_reason = NON_FINITE
            return True
        beta = self.smooth
        self._avg = beta * self._avg + (1.0 - beta) * loss
        value = self._avg / (1.0 - beta ** (i + 1))
        self.smoothed.append(value)
        if value < self._best:
            self._best = value
        # A negative best loss (a log-likelihood, say) makes "k times the best" meaningless;
        # compare distances above the best only where the best is positive.
        if self._best > 0 and value > self.diverge_th * self._best:
            self.stop_reason = DIVERGED
            return True
        return False
