"""Adam over 10,000 learning rates: the tutorial's per-LR Python loop against one vectorised pass.

Both run Adam (betas 0.9/0.999, eps 1e-8) on the tutorial's function from (-1, 1)
for 1,000 steps, over the same log grid of learning rates. The loop is the tutorial's
own ``Adam`` class driven by its ``optimize`` loop, one learning rate at a time; it
is timed on an evenly spaced subset of the grid and its per-LR time is compared with
the per-LR time of ``lrlab.descent.descend(land, lrlab.optim.adam(lr=grid), ...)``,
which advances all 10,000 runs together (final positions only, as a tuning sweep
needs). Target: at least 100x.

    python benchmarks/optimizer_sweep.py                 # 10,000 LRs x 1,000 steps
    python benchmarks/optimizer_sweep.py --quick         # smoke run
    python benchmarks/optimizer_sweep.py --plot out.png  # also draw final loss against LR
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lrlab import descent, landscapes, optim


def grad_fn(x: float, y: float) -> np.ndarray:
    """The tutorial's gradient."""
    return np.array([-2 * (1 - x) - 40 * x * (y - x**2), 20 * (y - x**2)])


class TutorialAdam:
    """The tutorial's Adam class, as written there."""

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.m = None
        self.v = None
        self.t = 0

    def step(self, params, grads):
        if self.m is None:
            self.m = np.zeros_like(params)
            self.v = np.zeros_like(params)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grads
        self.v = self.beta2 * self.v + (1 - self.beta2) * grads**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return params - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def optimize(optimizer, start=(-1, 1), n_steps=100) -> np.ndarray:
    """The tutorial's loop (it records the path and has no divergence stop)."""
    pos = np.array(start, dtype=float)
    trajectory = [pos.copy()]
    for _ in range(n_steps):
        grad = grad_fn(pos[0], pos[1])
        pos = optimizer.step(pos, grad)
        trajectory.append(pos.copy())
    return np.array(trajectory)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lrs", type=int, default=10_000, help="learning rates in the grid")
    ap.add_argument("--steps", type=int, default=1_000, help="Adam steps per learning rate")
    ap.add_argument("--loop-sample", type=int, default=50, help="LRs the per-LR loop is timed on")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the best is kept")
    ap.add_argument("--plot", metavar="PNG", help="write final loss against LR, timings in the title")
    ap.add_argument("--quick", action="store_true", help="smoke run: 500 LRs x 100 steps")
    a = ap.parse_args()
    if a.quick:
        a.lrs, a.steps, a.loop_sample, a.repeats = 500, 100, 10, 1
    land = landscapes.get("tutorial")
    # Adam's steps are bounded by about lr per coordinate, so no run of this grid
    # overflows, and the tutorial's loop needs no divergence stop.
    grid = np.geomspace(1e-4, 1.0, a.lrs)
    idx = np.unique(np.linspace(0, a.lrs - 1, a.loop_sample).round().astype(int))

    loop_times, vec_times = [], []
    for _ in range(a.repeats):  # interleaved, so drift in machine load hits both
        t0 = time.perf_counter()
        finals = np.array([optimize(TutorialAdam(lr=float(grid[k])), n_steps=a.steps)[-1] for k in idx])
        loop_times.append((time.perf_counter() - t0) / idx.size)
        t0 = time.perf_counter()
        res = descent.descend(land, optim.adam(lr=grid), (-1.0, 1.0), steps=a.steps, lrs=grid, record=False)
        vec_times.append((time.perf_counter() - t0) / a.lrs)

    # Same answers? The tutorial writes Adam's step as lr * m_hat / (sqrt(v_hat) + eps),
    # torch (and lrlab) as (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps): equal in exact
    # arithmetic, a few ulps apart in floating point. Runs that settle agree closely;
    # runs hovering around the minimum at large LRs amplify the ulps, so only the final
    # loss is compared there (absolutely: many runs end at 1e-20 or exactly 0).
    loop_loss = land.loss(finals)
    vec_loss = res.final_loss[idx]
    close = np.isclose(finals, res.final_position[idx], rtol=1e-6, atol=1e-9).all(axis=1)
    assert not res.diverged[idx].any(), "a sampled run left the bound"
    assert close[grid[idx] <= 0.01].all(), "the loop and the vectorised pass disagree on small LRs"
    loss_gap = float(np.abs(loop_loss - vec_loss).max())

    loop, vec = min(loop_times), min(vec_times)
    print(
        f"Adam on the tutorial function, {a.lrs:,} LRs x {a.steps:,} steps from (-1, 1) "
        f"(loop timed on {idx.size} LRs, best of {a.repeats})"
    )
    print(f"  tutorial per-LR loop : {loop * 1e3:9.3f} ms per LR   -> {loop * a.lrs:8.1f} s for the grid")
    print(f"  lrlab vectorised     : {vec * 1e3:9.3f} ms per LR   -> {vec * a.lrs:8.1f} s for the grid")
    print(f"  speed-up             : {loop / vec:9.0f}x  (target >= 100x)")
    print(
        f"  agreement            : final positions within 1e-6 on {close.sum()}/{idx.size} sampled LRs; "
        f"final losses within {loss_gap:.2g} on all"
    )
    best = int(np.argmin(np.where(res.diverged, np.inf, res.final_loss)))
    print(f"  best LR of the grid  : {grid[best]:.4g} (final loss {res.final_loss[best]:.3g})")
    if a.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(9, 5))
        ax.loglog(
            grid,
            np.where(res.diverged, np.nan, res.final_loss),
            color="tab:orange",
            linewidth=1,
            label=f"vectorised, {a.lrs:,} LRs",
        )
        ax.loglog(grid[idx], loop_loss, "k.", markersize=6, label=f"tutorial loop, {idx.size} LRs")
        ax.set_xlabel("learning rate")
        ax.set_ylabel(f"final loss after {a.steps:,} steps")
        ax.set_title(
            f"Adam on the tutorial function: {loop * 1e3:.2f} ms per LR looped, "
            f"{vec * 1e3:.3f} ms vectorised ({loop / vec:.0f}x)"
        )
        ax.grid(True, which="both", alpha=0.2)
        ax.legend()
        fig.savefig(a.plot, dpi=110, bbox_inches="tight")
        print(f"  figure               : {a.plot}")


if __name__ == "__main__":
    main()
