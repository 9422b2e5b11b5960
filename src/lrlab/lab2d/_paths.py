"""The positions buffer both descent loops write their paths into."""

from __future__ import annotations

import numpy as np

from lrlab._checks import Array

__all__ = ["PathRecorder"]


class PathRecorder:
    """Positions after each step, stored step-major so each step writes contiguously.

    Examples:
        >>> rec = PathRecorder(np.zeros((2, 2)), steps=3)
        >>> rec.write(1, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        >>> rec.fill(1)
        >>> rec.paths()[1].tolist()
        [[0.0, 0.0], [2.0, 4.0], [2.0, 4.0], [2.0, 4.0]]
    """

    def __init__(self, params: Array, steps: int) -> None:
        self.buf = np.empty((steps + 1, 2, params.shape[0]))
        self.buf[0] = params.T

    def write(self, t: int, x: Array, y: Array) -> None:
        self.buf[t, 0] = x
        self.buf[t, 1] = y

    def fill(self, t: int) -> None:
        """Every row stopped at step ``t``: repeat the last positions to the end."""
        self.buf[t + 1 :] = self.buf[t]

    def paths(self) -> Array:
        """``(B, steps + 1, 2)``, a view of the buffer."""
        return self.buf.transpose(2, 0, 1)
