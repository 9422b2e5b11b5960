"""How good are LR suggestions? Regret against an oracle grid, band hits and cost, on three tasks.

For each task an **oracle** trains every LR of a log grid (25 LRs, 1e-5 to 10) for the
task's full budget with 3 training seeds (one vmapped sweep per seed; the sweep is exact
to ordinary training) and scores the final validation loss. Its best LR minimises the
seed-mean validation loss; its *band* is the LR interval around the best where that
mean stays within 10% of the best (edges interpolated in log LR). Then every rule runs
once per seed: the range-test rules (``steepest``, ``minimum``, ``valley``, ``slide``,
``tutorial``) on one 100-step range test, and the confirmed default (``suggest_lr``). Each
suggestion is trained for the full budget with that seed; its **regret** is its final
validation loss over the final validation loss of the same seed at the oracle's best LR.

Tasks (they differ in model, optimizer and loss):

* ``mnist-mlp-sgd``: the tutorial's: SimpleNet, SGD, cross-entropy, batch 128, 3 epochs
  of the 4,000 embedded MNIST training digits (96 steps); validation: the 1,000 test digits.
* ``mnist-cnn-adam``: SmallCNN, Adam, cross-entropy with label smoothing 0.1, batch 64,
  2 epochs (126 steps).
* ``synth-mlp-adamw``: a 16-64-64-1 GELU MLP, AdamW (weight decay 0.01), MSE, regressing
  a fixed random teacher network plus noise; 4,096 training and 1,024 validation points,
  batch 64, 3 epochs (192 steps).
* ``moons-mlp-nesterov`` (**held out**: added after ``suggest_lr``'s pick rule was chosen
  on the three tasks above, and never used to choose it): two noisy interleaved
  half-moons, a 2-32-32-1 tanh MLP, SGD with Nesterov momentum 0.9, binary
  cross-entropy; 2,048 training and 512 validation points, batch 32, 3 epochs (192 steps).

Oracle results are cached in ``benchmarks/.cache/`` (keyed by task, seed, grid and torch
version). Wall times of a 100-step range test and of ``suggest_lr`` are measured side by
side on each task. Run::

    python benchmarks/suggestion_quality.py           # full: 25 LRs x 3 seeds
    python benchmarks/suggestion_quality.py --quick   # smoke: 8 LRs, 1 seed, a third of each budget
    python benchmarks/suggestion_quality.py --device cuda
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab.confirm import suggest_lr
from lrlab.finder import METHODS, find_lr, suggest
from lrlab.sweep import sweep_lr

CACHE = Path(__file__).with_name(".cache")
BAND = 1.10
RULES = (*METHODS, "confirmed")


@dataclass
class Setup:
    model: nn.Module
    optimizer: torch.optim.Optimizer
    criterion: nn.Module
    train_loader: Any
    val_loader: Any


@dataclass(frozen=True)
class Task:
    name: str
    budget: int  # full training steps
    make: Callable[[int], Setup]
    device: str = "cpu"

    def build(self, seed: int) -> Setup:
        """The task's model (on the device), optimizer, loss and loaders for one training seed."""
        s = self.make(seed)
        if self.device != "cpu":
            s.model.to(self.device)  # in place: the optimizer's Parameter objects move with it
        return s


def _mnist(model_name: str, opt: Callable[[Any], torch.optim.Optimizer], criterion: nn.Module,
           batch: int) -> Callable[[int], Setup]:
    from lrlab.data import load_mnist, tensor_loader
    from lrlab.models import build_model

    train, test = load_mnist("embedded", "train"), load_mnist("embedded", "test")

    def build(seed: int) -> Setup:
        model = build_model(model_name, seed=seed)
        return Setup(model, opt(model.parameters()), criterion, tensor_loader(*train, batch, shuffle=True, seed=seed),
                     tensor_loader(*test, 500))

    return build


def _synthetic(batch: int) -> Callable[[int], Setup]:
    from lrlab.data import tensor_loader

    g = torch.Generator().manual_seed(1234)
    teacher = [torch.randn(16, 32, generator=g) / 4, torch.randn(32, 1, generator=g) / 32**0.5]
    x = torch.randn(4096 + 1024, 16, generator=g)
    y = torch.tanh(x @ teacher[0]) @ teacher[1] + 0.1 * torch.randn(len(x), 1, generator=g)
    xs, ys = x.numpy(), y.numpy()

    def build(seed: int) -> Setup:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))
        return Setup(model, torch.optim.AdamW(model.parameters(), weight_decay=0.01), nn.MSELoss(),
                     tensor_loader(xs[:4096], ys[:4096], batch, shuffle=True, seed=seed),
                     tensor_loader(xs[4096:], ys[4096:], 512))

    return build


def _moons(batch: int) -> Callable[[int], Setup]:
    """Two interleaved half-moons, a tanh MLP, SGD with Nesterov momentum, binary cross-entropy."""
    from lrlab.data import tensor_loader

    g = torch.Generator().manual_seed(4321)
    n = 2048 + 512
    t = torch.rand(n, generator=g) * torch.pi
    label = torch.randint(0, 2, (n,), generator=g)
    x = torch.stack([torch.cos(t) + label * 1.0, torch.sin(t) * (1 - 2 * label) + label * 0.4], dim=1)
    x = x + 0.15 * torch.randn(n, 2, generator=g)
    xs, ys = x.numpy(), label.float()[:, None].numpy()

    def build(seed: int) -> Setup:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
        return Setup(model, opt, nn.BCEWithLogitsLoss(), tensor_loader(xs[:2048], ys[:2048], batch, shuffle=True,
                                                                        seed=seed),
                     tensor_loader(xs[2048:], ys[2048:], 512))

    return build


# Added after suggest_lr's pick rule was fixed, and never used to choose it: the check on a
# task the rule was not selected on (a different model, optimizer and loss again).
HELD_OUT = "moons-mlp-nesterov"


def tasks(device: str = "cpu") -> list[Task]:
    return [
        Task("mnist-mlp-sgd", 96, _mnist("mlp", lambda p: torch.optim.SGD(p, lr=0.1), nn.CrossEntropyLoss(), 128),
             device),
        Task("mnist-cnn-adam", 126, _mnist("cnn", lambda p: torch.optim.Adam(p), nn.CrossEntropyLoss(label_smoothing=0.1),
                                           64), device),
        Task("synth-mlp-adamw", 192, _synthetic(64), device),
        Task(HELD_OUT, 192, _moons(32), device),
    ]


def train_full(task: Task, seed: int, lrs: np.ndarray, budget: int) -> np.ndarray:
    """Final validation loss of full-budget training at each LR (NaN/Inf -> inf)."""
    s = task.build(seed)
    result = sweep_lr(s.model, s.optimizer, s.criterion, s.train_loader, lrs=lrs, steps=budget,
                      val_loader=s.val_loader, val_batches=None, seed=seed)
    val = result.val_losses[:, -1]  # type: ignore[index]
    return np.where(result.diverged | ~np.isfinite(val), np.inf, val)


def oracle(task: Task, seed: int, grid: np.ndarray, budget: int) -> np.ndarray:
    key = json.dumps([task.name, seed, grid.tolist(), budget, torch.__version__, task.device])
    path = CACHE / f"oracle-{task.name}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.json"
    if path.exists():
        return np.asarray([np.inf if v is None else v for v in json.loads(path.read_text())["val"]])
    val = train_full(task, seed, grid, budget)
    CACHE.mkdir(exist_ok=True)
    path.write_text(json.dumps({"key": key, "val": [float(v) if np.isfinite(v) else None for v in val]}))
    return val


def band(grid: np.ndarray, mean_val: np.ndarray) -> tuple[float, float, float, float]:
    """``(best_lr, best_val, low, high)``: the LRs around the best within BAND x best (log-interpolated)."""
    best = int(np.argmin(mean_val))
    limit = BAND * mean_val[best]
    logs = np.log10(grid)

    def edge(step: int) -> float:
        i = best
        while 0 <= i + step < grid.size and mean_val[i + step] <= limit:
            i += step
        j = i + step
        if not 0 <= j < grid.size or not np.isfinite(mean_val[j]):
            return float(grid[i])
        frac = (limit - mean_val[i]) / (mean_val[j] - mean_val[i])
        return float(10 ** (logs[i] + frac * (logs[j] - logs[i])))

    return float(grid[best]), float(mean_val[best]), edge(-1), edge(+1)


def suggestions(task: Task, seed: int) -> tuple[dict[str, float | None], dict[str, int], float, float]:
    """Every rule's LR for one seed, its cost in steps, and the wall times of both procedures."""
    s = task.build(seed)
    start = time.perf_counter()
    rt = find_lr(s.model, s.optimizer, s.criterion, s.train_loader, num_iter=100)
    rt_wall = time.perf_counter() - start
    lrs: dict[str, float | None] = {}
    for method in METHODS:
        try:
            lrs[method] = suggest(rt, method).lr
        except ValueError:
            lrs[method] = None
    s = task.build(seed)
    start = time.perf_counter()
    conf = suggest_lr(s.model, s.optimizer, s.criterion, s.train_loader, seed=seed)
    confirm_wall = time.perf_counter() - start
    lrs["confirmed"] = conf.lr
    cost = {m: rt.steps for m in METHODS} | {"confirmed": conf.cost_steps}
    return lrs, cost, rt_wall, confirm_wall


def run_task(task: Task, grid: np.ndarray, seeds: list[int], budget: int) -> dict[str, Any]:
    per_seed = [oracle(task, s, grid, budget) for s in seeds]
    mean_val = np.mean(per_seed, axis=0)
    best_lr, best_val, low, high = band(grid, mean_val)
    best_index = int(np.argmin(mean_val))
    per_rule: dict[str, dict[str, list[Any]]] = {r: {"lr": [], "regret": [], "in_band": [], "cost": []} for r in RULES}
    walls = []
    for seed, oracle_val in zip(seeds, per_seed):
        lrs, cost, rt_wall, confirm_wall = suggestions(task, seed)
        walls.append((rt_wall, confirm_wall))
        usable = [r for r in RULES if lrs[r] is not None and lrs[r] > 0]  # type: ignore[operator]
        val = dict(zip(usable, train_full(task, seed, np.asarray([lrs[r] for r in usable]), budget)))
        for r in RULES:
            lr = lrs[r]
            per_rule[r]["lr"].append(lr)
            per_rule[r]["regret"].append(val[r] / oracle_val[best_index] if r in val else np.inf)
            per_rule[r]["in_band"].append(lr is not None and low <= lr <= high)
            per_rule[r]["cost"].append(cost[r])
    return {"task": task.name, "budget": budget, "best_lr": best_lr, "best_val": best_val, "band": (low, high),
            "rules": per_rule, "walls": walls, "grid": grid.tolist(), "mean_val": mean_val.tolist()}


def report(results: list[dict[str, Any]], command: str) -> None:
    print(f"\nCommand: {command}\n")
    print("| task | rule | median regret | worst regret | in band | median LR | cost (steps) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for res in results:
        for r in RULES:
            d = res["rules"][r]
            lrs = [v for v in d["lr"] if v is not None]
            med_lr = f"{np.median(lrs):.3g}" if lrs else "n/a"
            name = res["task"] + (" (held out)" if res["task"] == HELD_OUT else "")
            print(f"| {name} | {r} | {np.median(d['regret']):.3f} | {np.max(d['regret']):.3f} | "
                  f"{sum(d['in_band'])}/{len(d['in_band'])} | {med_lr} | {int(np.median(d['cost']))} |")
    print()
    for res in results:
        walls = np.asarray(res["walls"])
        ratio = walls[:, 1] / walls[:, 0]
        print(f"{res['task']}: oracle best LR {res['best_lr']:.3g} (val loss {res['best_val']:.4f}), band "
              f"{res['band'][0]:.3g}..{res['band'][1]:.3g}; wall: range test (100 steps) "
              f"{np.median(walls[:, 0]):.2f} s, suggest_lr {np.median(walls[:, 1]):.2f} s, "
              f"ratio {np.median(ratio):.2f} (max {ratio.max():.2f})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 8 LRs, 1 seed, a third of each budget")
    p.add_argument("--tasks", default=None, help="comma list of task names (default: all)")
    p.add_argument("--json", metavar="PATH", help="also write the raw results to this JSON file")
    p.add_argument("--device", default="cpu", help="where the models train: cpu or cuda (default: cpu)")
    args = p.parse_args()
    chosen = [t for t in tasks(args.device) if args.tasks is None or t.name in args.tasks.split(",")]
    grid = np.geomspace(1e-5, 10, 8 if args.quick else 25)
    seeds = [0] if args.quick else [0, 1, 2]
    results = []
    start = time.perf_counter()
    for task in chosen:
        t0 = time.perf_counter()
        budget = task.budget // 3 if args.quick else task.budget
        results.append(run_task(task, grid, seeds, budget))
        print(f"[{task.name}] done in {time.perf_counter() - t0:.1f} s", flush=True)
    command = "python benchmarks/suggestion_quality.py" + (" --quick" if args.quick else "") + (
        f" --device {args.device}" if args.device != "cpu" else "")
    report(results, command)
    print(f"\nTotal {time.perf_counter() - start:.1f} s (torch {torch.__version__}, {args.device}, "
          f"{torch.get_num_threads()} CPU threads)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, default=float, indent=1))


if __name__ == "__main__":
    main()
