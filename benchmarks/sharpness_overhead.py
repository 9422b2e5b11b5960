"""What tracking the sharpness costs: the range test with ``track_sharpness=10`` against the plain one,
and one Hessian-vector product against one training step, on the tutorial's MLP.

Both pairs are measured side by side in one run: the repeats interleave (plain, tracked, plain, ...)
and the medians are compared, so the machine's load affects both alike. Ratios, not absolute times.

    python benchmarks/sharpness_overhead.py [--quick] [--every 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

import lrlab
from lrlab.hessian._operator import HessianOperator, trainable
from lrlab.hessian.track import TRACK_ITERS
from lrlab.train.contract import criterion_step
from lrlab.tutorial import build_task


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer steps and repeats (a check that it runs)")
    p.add_argument("--every", type=int, default=10, help="probe every this many steps (default 10)")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5; --quick 2)")
    args = p.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    num_iter = 30 if args.quick else 100
    torch.manual_seed(0)
    task = build_task(lr=1e-3, device="cpu")
    kw = {"start_lr": 1e-5, "end_lr": 1e-1, "num_iter": num_iter, "diverge_th": float("inf")}

    def plain() -> None:
        lrlab.find_lr(task.model, task.optimizer, task.criterion, task.train_loader, **kw)

    def tracked() -> None:
        lrlab.find_lr(task.model, task.optimizer, task.criterion, task.train_loader, **kw, track_sharpness=args.every)

    # One HVP against one training step on the same batch.
    model, opt = task.model, task.optimizer
    batch = next(iter(task.train_loader))
    step = criterion_step(task.criterion)
    twin = copy.deepcopy(model)  # the operator aliases its model's weights, which the steps below change
    op = HessianOperator(twin, step, batch, trainable(twin))
    v = torch.randn(op.size)
    snapshot = {k: t.clone() for k, t in model.state_dict().items()}

    def train_step() -> None:
        opt.zero_grad()
        task.criterion(model(batch[0]), batch[1]).backward()
        opt.step()

    def hvp() -> None:
        op(v)

    plain()  # warm-up
    tracked()
    t_plain, t_tracked, t_step, t_hvp = [], [], [], []
    for _ in range(repeats):
        t_plain.append(_time(plain))
        t_tracked.append(_time(tracked))
        for _ in range(20):
            t_step.append(_time(train_step))
            t_hvp.append(_time(hvp))
    model.load_state_dict(snapshot)
    med = statistics.median
    r = lrlab.find_lr(model, opt, task.criterion, task.train_loader, **kw, track_sharpness=args.every)
    print(
        f"task: {task.description}; range test of {num_iter} steps, probe every {args.every} steps "
        f"(at most {TRACK_ITERS} Lanczos steps, warm-started); {repeats} interleaved repeats, medians"
    )
    print(f"probes: {r.sharpness.size}, lambda_max {r.sharpness.min():.3g} .. {r.sharpness.max():.3g}")
    print(f"overhead, tracked / plain range test: {med(t_tracked) / med(t_plain):.2f}x (target <= 1.5x)")
    print(f"one HVP / one training step:          {med(t_hvp) / med(t_step):.2f}x")


if __name__ == "__main__":
    main()
