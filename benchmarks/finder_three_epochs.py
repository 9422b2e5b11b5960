"""Does the range test's suggestion train well? 3 epochs at each rule's LR vs fixed LRs.

The tutorial's set-up: a range test (SimpleNet, plain SGD, batch 128, 1e-7 to 10, 100
iterations) on the 4,000 embedded training digits; then a fresh SimpleNet trains for 3
epochs with plain SGD at each rule's suggestion and at the fixed LRs 1e-3 and 0.1, for
several seeds, and is scored on the 1,000 held-out digits (validation loss and accuracy
of the final weights; the range test itself is seed 0, as ``lrlab find`` runs it).

Usage::

    python benchmarks/finder_three_epochs.py           # 3 seeds
    python benchmarks/finder_three_epochs.py --quick   # 1 seed, 1 epoch
"""

from __future__ import annotations

import argparse
import math
import statistics

from lrlab.finder import METHODS, find_lr, suggest
from lrlab.tutorial import build_task
from lrlab.tutorial.demo.part4_finder import train_and_evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 1 epoch")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    seeds, epochs = (1, 1) if args.quick else (args.seeds, args.epochs)

    task = build_task(lr=1e-7, device="cpu")  # the tutorial's set-up, as `lrlab find` builds it
    result = find_lr(task.model, task.optimizer, task.criterion, task.train_loader)
    print(f"range test: {result.steps}/{result.num_iter} steps, {result.stop_reason}")

    candidates: list[tuple[str, float]] = []
    for method in METHODS:
        try:
            candidates.append((method, suggest(result, method).lr))
        except ValueError as exc:
            print(f"{method}: n/a ({exc})")
    candidates += [("fixed", 1e-3), ("fixed", 0.1)]

    print(
        f"\n{epochs} epochs of SimpleNet + SGD (batch 128) at each LR; {seeds} seeds; "
        "held-out 1,000 digits, mean (min..max)"
    )
    print(f"{'rule':10s} {'LR':>10s} {'val loss':>26s} {'val accuracy':>26s}")
    for name, lr in candidates:
        runs = [train_and_evaluate(lr, epochs=epochs, seed=s) for s in range(seeds)]
        loss = [r["val_loss"] for r in runs]
        acc = [100 * r["val_accuracy"] for r in runs]

        def cell(v: list[float], fmt: str) -> str:
            if not all(math.isfinite(x) for x in v):
                return "diverged"
            return f"{statistics.mean(v):{fmt}} ({min(v):{fmt}}..{max(v):{fmt}})"

        print(f"{name:10s} {lr:10.4g} {cell(loss, '.4f'):>26s} {cell(acc, '.1f'):>26s}")


if __name__ == "__main__":
    main()
