"""What does the range test cost over plain training? Range-test time per step / bare time per step.

On the tutorial's task (SimpleNet, SGD, batch 128, the embedded MNIST digits), it
interleaves bare training loops and range tests of the same length on the same model,
optimizer and DataLoader, several repeats, and prints the per-step times and their
ratio (target: <= 1.03).

* The bare loop is ``zero_grad(); loss = criterion(model(x), y); loss.backward();
  opt.step()`` over the same cycled loader, with no ``.item()`` per step.
* The range test runs ``find_lr`` with ``end_lr=1`` and ``diverge_th=inf``, so every
  repeat runs all steps (no NaN arithmetic, equal lengths). Its time includes the
  state guard's snapshot and restore (model, optimizer, RNGs; printed separately too).
* Timing syncs the device before reading the clock. Medians over repeats are compared.

Usage::

    python benchmarks/finder_overhead.py            # 9 repeats of 100 steps
    python benchmarks/finder_overhead.py --quick    # smoke run: 2 repeats of 20 steps
    python benchmarks/finder_overhead.py --device cuda
    python benchmarks/finder_overhead.py --threads 1  # on a shared, busy CPU
    python benchmarks/finder_overhead.py --preload    # batches already on the device: loop overhead only
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch

from lrlab.finder import StateGuard, find_lr
from lrlab.tutorial import build_task


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_loop(model, opt, crit, loader, steps: int, device: torch.device) -> float:
    """Seconds for ``steps`` plain training steps (the loader restarted as needed)."""
    _sync(device)
    t0 = time.perf_counter()
    done = 0
    while done < steps:
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    _sync(device)
    return time.perf_counter() - t0


def range_test(model, opt, crit, loader, steps: int, device: torch.device) -> float:
    """Seconds for a ``steps``-step range test, guard snapshot and restore included."""
    _sync(device)
    t0 = time.perf_counter()
    result = find_lr(model, opt, crit, loader, start_lr=1e-7, end_lr=1.0, num_iter=steps, diverge_th=math.inf)
    _sync(device)
    elapsed = time.perf_counter() - t0
    if result.steps != steps:
        raise RuntimeError(f"the range test stopped after {result.steps} of {steps} steps ({result.stop_reason})")
    return elapsed


def guard_time(model, opt, device: torch.device, repeats: int = 20) -> float:
    """Seconds for one StateGuard snapshot + restore (median)."""
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        with StateGuard(model, opt):
            pass
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 repeats of 20 steps")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--preload",
        action="store_true",
        help="feed a list of batches already on the device instead of the DataLoader: "
        "no loader cost, so the loop's own overhead shows in full",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: torch's); use 1 on a busy machine, where "
        "idle-spinning OpenMP threads make every op tens of times slower",
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    repeats, steps = (2, 20) if args.quick else (args.repeats, args.steps)
    task = build_task(lr=1e-3, device=args.device)  # the tutorial's set-up, as `lrlab find` builds it
    device, model, opt, crit, loader = task.device, task.model, task.optimizer, task.criterion, task.train_loader
    if args.preload:
        loader = [(x.to(device), y.to(device)) for x, y in loader]

    # Warm-up: first-call costs (allocator, kernels, lazy imports) out of the timings.
    bare_loop(model, opt, crit, loader, 5, device)
    range_test(model, opt, crit, loader, 5, device)

    bare, finder, ratios = [], [], []
    for _ in range(repeats):
        b = bare_loop(model, opt, crit, loader, steps, device) / steps
        f = range_test(model, opt, crit, loader, steps, device) / steps
        bare.append(b)
        finder.append(f)
        ratios.append(f / b)
    g = guard_time(model, opt, device)
    med_b, med_f = statistics.median(bare), statistics.median(finder)
    feed = "preloaded batches" if args.preload else "DataLoader"
    print(
        f"task: SimpleNet + SGD, batch 128, embedded MNIST ({feed}), {device}, {torch.get_num_threads()} CPU threads; "
        f"{repeats} repeats x {steps} steps, interleaved"
    )
    print(f"bare training     {1e3 * med_b:8.3f} ms/step (median; min {1e3 * min(bare):.3f})")
    print(f"range test        {1e3 * med_f:8.3f} ms/step (median; min {1e3 * min(finder):.3f}), guard included")
    print(f"state guard       {1e3 * g:8.3f} ms per snapshot+restore ({100 * g / (med_f * steps):.2f}% of a test)")
    print(f"ratio of medians  {med_f / med_b:8.4f}   (target <= 1.03)")
    print(f"median of ratios  {statistics.median(ratios):8.4f}   ratio of minima {min(finder) / min(bare):.4f}")


if __name__ == "__main__":
    main()
