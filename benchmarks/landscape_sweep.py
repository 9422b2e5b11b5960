"""Per-LR Python loop (the tutorial's style) against lrlab's vectorised sweep.

Both run plain gradient descent on the tutorial's function from (-1, 1) with the
tutorial's stop rule, over the same log grid of learning rates. The loop is timed on
an evenly spaced subset of the grid and its per-LR time is compared with the sweep's
per-LR time; both record the path, as the tutorial does.

    python benchmarks/landscape_sweep.py            # 10,000 LRs x 1,000 steps
    python benchmarks/landscape_sweep.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lrlab import descent, landscapes


def grad_fn(x: float, y: float) -> np.ndarray:
    return np.array([-2 * (1 - x) - 40 * x * (y - x**2), 20 * (y - x**2)])


def tutorial_loop(lr: float, n_steps: int, start=(-1.0, 1.0)) -> np.ndarray:
    pos = np.array(start, dtype=float)
    trajectory = [pos.copy()]
    for _ in range(n_steps):
        pos = pos - lr * grad_fn(pos[0], pos[1])
        trajectory.append(pos.copy())
        if np.any(np.abs(pos) > 10):
            break
    return np.array(trajectory)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lrs", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=1_000)
    ap.add_argument("--loop-sample", type=int, default=100, help="LRs the slow loop is timed on")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.lrs, a.steps, a.loop_sample, a.repeats = 500, 100, 20, 1
    land = landscapes.get("tutorial")
    grid = np.geomspace(1e-4, 0.1, a.lrs)
    sample = grid[:: max(1, a.lrs // a.loop_sample)]

    loop_times, vec_times, vec_norec = [], [], []
    for _ in range(a.repeats):  # interleaved, so drift in machine load hits both
        t0 = time.perf_counter()
        finals = [tutorial_loop(lr, a.steps)[-1] for lr in sample]
        loop_times.append((time.perf_counter() - t0) / len(sample))
        t0 = time.perf_counter()
        res = descent.gradient_descent(land, grid, steps=a.steps, start=(-1, 1), record=True)
        vec_times.append((time.perf_counter() - t0) / a.lrs)
        t0 = time.perf_counter()
        descent.gradient_descent(land, grid, steps=a.steps, start=(-1, 1), record=False)
        vec_norec.append((time.perf_counter() - t0) / a.lrs)
    idx = np.arange(0, a.lrs, max(1, a.lrs // a.loop_sample))[: len(sample)]
    # Same answers. Not bitwise: the loop's scalar x**2 goes through libm's pow, the
    # vectorised one through x*x; they can differ in the last bit, and a run near the
    # edge of stability amplifies that over 1,000 steps.
    np.testing.assert_allclose(np.array(finals), res.final_position[idx], rtol=1e-4, atol=1e-6)

    loop, vec, norec = min(loop_times), min(vec_times), min(vec_norec)
    print(
        f"tutorial function, {a.lrs:,} LRs x {a.steps:,} steps (loop timed on {len(sample)} LRs, best of {a.repeats})"
    )
    print(f"  per-LR Python loop      : {loop * 1e6:10.1f} us per LR")
    print(f"  vectorised, paths kept  : {vec * 1e6:10.1f} us per LR   speed-up {loop / vec:7.0f}x")
    print(f"  vectorised, final only  : {norec * 1e6:10.1f} us per LR   speed-up {loop / norec:7.0f}x")


if __name__ == "__main__":
    main()
