"""The fast path of plain gradient descent: only the rows still running are computed.

:func:`lrlab.lab2d.descent.gradient_descent` checks its arguments and calls
:func:`plain_gd_loop`; the sensitivity sweep's default optimizer runs here too. The loop
gives the same numbers, bit for bit, as the generic ``init``/``update`` loop with
:func:`lrlab.lab2d.descent.plain_gd` (a test holds both to that), but drops stopped rows
from its working vectors, which matters when most of a wide LR grid diverges early.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lrlab._checks import Array, Progress
from lrlab.lab2d._paths import PathRecorder
from lrlab.lab2d.landscapes import Landscape

__all__ = ["GDRun", "plain_gd_loop"]


class GDRun(NamedTuple):
    """What the loop produced, one entry per row."""

    steps: Array
    diverged: Array
    final_position: Array
    final_loss: Array
    trajectories: Array | None


def plain_gd_loop(
    landscape: Landscape, lrs: Array, pos: Array, *, steps: int, bound: float, record: bool, progress: Progress | None
) -> GDRun:
    """``p <- p - lr * grad f(p)`` for every row of ``pos`` (checked ``(B, 2)`` starts) at ``lrs`` ``(B,)``."""
    rows = lrs.size
    x, y, lr = pos[:, 0].copy(), pos[:, 1].copy(), lrs.copy()
    idx = np.arange(rows)
    final = pos.copy()
    taken = np.zeros(rows, dtype=np.int64)
    diverged = np.zeros(rows, dtype=bool)
    rec = PathRecorder(pos, steps) if record else None
    cur_x, cur_y = x.copy(), y.copy()
    report_every = max(1, steps // 100)
    # Runs that blow up overflow on the way; that is the point of the experiment.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            dx, dy = landscape.grad(x, y)
            x = x - lr * dx
            y = y - lr * dy
            if rec is not None:
                # Stopped rows keep their final position in the full-size vectors.
                if idx.size < rows:
                    cur_x[idx], cur_y[idx] = x, y
                    rec.write(t, cur_x, cur_y)
                else:
                    rec.write(t, x, y)
            # NaN fails both comparisons, so a non-finite row stops too.
            ok = (np.abs(x) <= bound) & (np.abs(y) <= bound)
            if not ok.all():
                gone = idx[~ok]
                final[gone, 0], final[gone, 1] = x[~ok], y[~ok]
                cur_x[gone], cur_y[gone] = x[~ok], y[~ok]
                taken[gone] = t
                diverged[gone] = True
                x, y, lr, idx = x[ok], y[ok], lr[ok], idx[ok]
            if progress is not None and (t % report_every == 0 or t == steps):
                progress(t, steps)
            if idx.size == 0:
                if rec is not None:
                    rec.fill(t)
                break
        final[idx, 0], final[idx, 1] = x, y
        taken[idx] = steps
        final_loss = landscape.loss(final)
    return GDRun(taken, diverged, final, final_loss, None if rec is None else rec.paths())
