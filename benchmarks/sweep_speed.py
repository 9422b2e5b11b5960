"""Speed of the vmapped LR sweep against K ordinary training runs, one after another.

Two tasks, K = 16 learning rates x 100 steps each, the same batches for both sides:

* ``mlp``: the tutorial's SimpleNet (784-128-10), SGD, batch 128 of embedded MNIST
  (:func:`lrlab.tutorial.build_task`, as ``lrlab sweep`` builds it). The
  work is matmul-bound on a CPU, so besides the ratio the script prints the sweep's
  achieved GFLOP/s (matmul FLOPs of one training step, counted by torch's
  ``FlopCounterMode``, times K x steps, over the sweep's wall time) next to a large
  square matmul's GFLOP/s measured in the same run.
* ``tiny``: a 20-32-1 tanh MLP regressing synthetic data with SGD + momentum, batch 64,
  where per-step Python and optimizer overhead dominates.

The two sides are timed alternately (``--repeats`` rounds) and the best time of each is
kept, so a busy machine penalises both alike. Run::

    python benchmarks/sweep_speed.py            # full: K=16, 100 steps, 3 rounds
    python benchmarks/sweep_speed.py --quick    # smoke: K=4, 10 steps, 1 round
    python benchmarks/sweep_speed.py --device cuda
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lrlab.sweep import sweep_lr


@dataclass
class Task:
    name: str
    model: nn.Module
    make_optimizer: Callable[[Any, float], torch.optim.Optimizer]
    criterion: nn.Module
    batches: list[tuple[torch.Tensor, torch.Tensor]]
    lrs: np.ndarray


def mlp_task(device: torch.device, k: int, num_batches: int) -> Task:
    from lrlab.tutorial import build_task, make_optimizer

    # The tutorial's set-up as `lrlab sweep` builds it; its first batches, moved once to the device.
    task = build_task(lr=1e-3, device=device)
    batches = []
    for x, y in task.train_loader:
        batches.append((x.to(device), y.to(device)))
        if len(batches) == num_batches:
            break
    return Task(
        "mlp",
        task.model,
        lambda p, lr: make_optimizer("sgd", p, lr),
        task.criterion,
        batches,
        np.geomspace(1e-3, 1.0, k),
    )


def tiny_task(device: torch.device, k: int, num_batches: int) -> Task:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(20, 1, generator=g)
    batches = []
    for _ in range(num_batches):
        x = torch.randn(64, 20, generator=g)
        batches.append((x.to(device), (torch.tanh(x @ w) + 0.1 * torch.randn(64, 1, generator=g)).to(device)))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 1)).to(device)
    return Task(
        "tiny",
        model,
        lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
        nn.MSELoss(),
        batches,
        np.geomspace(1e-3, 0.3, k),
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def sequential(task: Task, steps: int) -> np.ndarray:
    """K ordinary training loops, one after another (no per-step host sync)."""
    finals = []
    for lr in task.lrs:
        model = copy.deepcopy(task.model)
        opt = task.make_optimizer(model.parameters(), float(lr))
        for t in range(steps):
            x, y = task.batches[t % len(task.batches)]
            opt.zero_grad()
            loss = task.criterion(model(x), y)
            loss.backward()
            opt.step()
        finals.append(loss.detach())
    return torch.stack(finals).cpu().numpy()


def vmapped(task: Task, steps: int) -> np.ndarray:
    opt = task.make_optimizer(task.model.parameters(), float(task.lrs[0]))
    result = sweep_lr(task.model, opt, task.criterion, task.batches, lrs=task.lrs, steps=steps, mode="vmap")
    return result.train_losses[:, -1]


def timed(fn: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    sync(device)
    start = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - start, out


def step_flops(task: Task) -> int:
    """Matmul FLOPs of one ordinary forward + backward step (what FlopCounterMode counts)."""
    model = copy.deepcopy(task.model)
    x, y = task.batches[0]
    with FlopCounterMode(display=False) as counter:
        task.criterion(model(x), y).backward()
    return int(counter.get_total_flops())


def matmul_gflops(device: torch.device, size: int, repeats: int = 5) -> float:
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        dt, _ = timed(lambda: a @ b, device)
        best = min(best, dt)
    return 2 * size**3 / best / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: K=4, 10 steps, 1 round")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.add_argument("--tasks", default="mlp,tiny", help="comma list of tasks (default: mlp,tiny)")
    p.add_argument("--k", type=int, default=16, help="learning rates (default: 16)")
    p.add_argument("--steps", type=int, default=100, help="steps per copy (default: 100)")
    p.add_argument("--repeats", type=int, default=3, help="alternating timing rounds (default: 3)")
    args = p.parse_args()
    if args.quick:
        args.k, args.steps, args.repeats = 4, 10, 1
    device = torch.device(args.device)
    makers = {"mlp": mlp_task, "tiny": tiny_task}
    print(
        f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
        f"K={args.k}, steps={args.steps}, rounds={args.repeats}"
    )
    for name in args.tasks.split(","):
        task = makers[name](device, args.k, num_batches=10)
        vmapped(task, 2)  # warm-up: first-call costs of vmap and the kernels
        sequential(task, 2)
        best_seq = best_vmap = float("inf")
        for _ in range(args.repeats):
            dt, seq_final = timed(partial(sequential, task, args.steps), device)
            best_seq = min(best_seq, dt)
            dt, vmap_final = timed(partial(vmapped, task, args.steps), device)
            best_vmap = min(best_vmap, dt)
        rel = np.abs(seq_final - vmap_final) / np.maximum(np.abs(seq_final), 1e-12)
        copy_steps = args.k * args.steps
        print(f"\n[{name}] {sum(p.numel() for p in task.model.parameters())} parameters")
        print(f"  sequential: {best_seq:8.3f} s  ({best_seq / copy_steps * 1e6:8.1f} us per copy-step)")
        print(f"  vmapped:    {best_vmap:8.3f} s  ({best_vmap / copy_steps * 1e6:8.1f} us per copy-step)")
        print(
            f"  speed-up:   {best_seq / best_vmap:8.2f} x   (final losses agree: median {np.nanmedian(rel):.1e}, "
            f"max {np.nanmax(rel):.1e} relative; float32 copies at the highest LRs are chaotic)"
        )
        if name == "mlp":
            flops = step_flops(task) * copy_steps
            size = 8192 if device.type == "cuda" else 2048
            peak = matmul_gflops(device, size)
            achieved = flops / best_vmap / 1e9
            print(
                f"  matmul FLOPs per copy-step {flops / copy_steps / 1e6:.1f} M: sweep {achieved:.1f} GFLOP/s, "
                f"sequential {flops / best_seq / 1e9:.1f} GFLOP/s, {size}x{size} matmul {peak:.1f} GFLOP/s "
                f"-> sweep at {100 * achieved / peak:.0f}% of the matmul rate"
            )
            # The 6 x params x batch rule of thumb also counts the first layer's input gradient,
            # which no one computes; shown for comparison with estimates made that way.
            rule = 6 * sum(p.numel() for p in task.model.parameters()) * task.batches[0][0].shape[0] * copy_steps
            print(
                f"  (by the 6 x params x batch rule, {rule / copy_steps / 1e6:.1f} M per copy-step: "
                f"{rule / best_vmap / 1e9:.1f} GFLOP/s, {100 * rule / best_vmap / 1e9 / peak:.0f}%)"
            )


if __name__ == "__main__":
    main()
