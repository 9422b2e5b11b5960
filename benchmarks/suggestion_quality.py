"""How good is each way of choosing a learning rate? Regret against an oracle, band hits, cost and wall time.

The nine tasks of :mod:`quality_tasks` (the first suite's four at a constant LR, and five whose
schedule matters: a char-level transformer LM with warmup + cosine, an MLP-Mixer with warmup +
cosine, a BatchNorm ResNet with cosine to 0, a GRU with linear decay, an MLP with torch's
``OneCycleLR``); three of them are **held out** (committed with their oracle before the rule of
``suggest_lr`` was fixed, and never used to choose it).

For each task the committed **oracle** (``benchmarks/oracle/<task>.json``) trained every peak LR
of a >= 20-point log grid for the task's whole budget under the task's schedule, for 3 training
seeds; its best LR minimises the seed-mean validation loss and its *band* is the interval around
the best where that mean stays within 10% of the best (edges interpolated in log LR). Then, for
every seed, each method produces a run:

* ``lrlab``: ``lrlab.suggest_lr(..., schedule=<the task's shape>, total_steps=<its budget>)``, the
  suggested peak trained for the budget under the shape;
* the range-test anchors, each suggestion trained the same way: torch-lr-finder's steepest point,
  Lightning's ``Tuner.lr_find().suggestion()``, fastai's valley / slide / minimum / steep (lrlab's
  implementations of them);
* the learning-rate-free optimizers in place of the task's optimizer: Prodigy, D-Adaptation and
  DoG at their READMEs' defaults under the shape, schedule-free AdamW/SGD at its default LR with
  warmup (their defaults and sources are in :mod:`anchors`).

A run's **regret** is its validation loss over the same seed's at the oracle's best LR; *in band*
means the method's LR lies in the band (LR-free optimizers have no LR to place, so they show
n/a). Cost counts every training step spent choosing the LR (every copy of lrlab's sweeps, the
range test included; an LR-free optimizer's choosing is its training run); wall is the time
spent choosing. Results are cached in ``benchmarks/.cache/quality/`` (lrlab's entries keyed by
the source of its rule, so a changed rule is re-measured). Run::

    python benchmarks/suggestion_quality.py               # all nine tasks, 3 seeds (an hour or so on 2 CPUs)
    python benchmarks/suggestion_quality.py --quick       # smoke: two small tasks, seed 0
    python benchmarks/suggestion_quality.py --jobs 2      # two worker processes, one torch thread each
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import math
import random
import sys
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anchors
import quality_tasks as qt

CACHE = Path(__file__).with_name(".cache") / "quality"
BAND = 1.10
RANGE_METHODS = ("torch-lr-finder", "lightning", "fastai-valley", "fastai-slide", "fastai-minimum", "fastai-steep")
FREE_METHODS = ("prodigy", "d-adaptation", "dog", "schedule-free")
METHODS = ("lrlab", *RANGE_METHODS, *FREE_METHODS)
# Scored only when named in --methods (not in the default run): lrlab's "edge" rule on a range test
# that tracks the sharpness every EDGE_EVERY steps.
EXTRA_METHODS = ("lrlab-edge",)
EDGE_EVERY = 10
QUICK_TASKS = ("mnist-mlp-sgd", "synth-mlp-adamw")


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


def _rule_version() -> str:
    from lrlab.confirm import rule, suggest

    text = inspect.getsource(rule) + inspect.getsource(suggest)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _cached(key: dict[str, Any], compute: Any, cache: Path) -> dict[str, Any]:
    name = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"{key['task']}-{key['seed']}-{key['method']}-{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    doc = compute()
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return doc


def _lrlab(task: qt.Task, seed: int) -> dict[str, Any]:
    from lrlab.confirm import suggest_lr

    s = task.build(seed)
    start = time.perf_counter()
    conf = suggest_lr(
        s.model, s.optimizer, s.criterion, s.train_loader, schedule=task.shape, total_steps=task.budget, seed=seed
    )
    wall = time.perf_counter() - start
    val = qt.train_full(task, seed, conf.lr)
    return {
        "lr": conf.lr,
        "val": val,
        "cost": conf.cost_steps,
        "wall": wall,
        "rounds": [[r.horizon, len(r.lrs), r.lr, r.how] for r in conf.rounds],
        "warnings": list(conf.warnings),
    }


def _range_anchor(task: qt.Task, seed: int, name: str) -> dict[str, Any]:
    if name.startswith("fastai-"):
        res = anchors.fastai_rules(task, seed)[name.removeprefix("fastai-")]
    else:
        res = anchors.RANGE_TEST_ANCHORS[name](task, seed)
    val = math.inf if res.lr is None or not res.lr > 0 else qt.train_full(task, seed, res.lr)
    return {"lr": res.lr, "val": val, "cost": res.cost_steps, "wall": res.wall_s}


def _edge(task: qt.Task, seed: int) -> dict[str, Any]:
    """``find_lr(num_iter=100, track_sharpness=EDGE_EVERY)`` read by the ``edge`` rule (None if it never
    reached the threshold); its cost is the range test's steps (the probes' Hessian-vector products,
    about one step each, are not counted: see benchmarks/sharpness_overhead.py)."""
    from lrlab.finder import find_lr, suggest

    s = task.build(seed)
    start = time.perf_counter()
    result = find_lr(s.model, s.optimizer, s.criterion, s.train_loader, num_iter=100, track_sharpness=EDGE_EVERY)
    wall = time.perf_counter() - start
    try:
        lr: float | None = float(suggest(result, "edge").lr)
    except ValueError:
        lr = None
    val = math.inf if lr is None else qt.train_full(task, seed, lr)
    return {"lr": lr, "val": val, "cost": int(result.steps), "wall": wall}


def _free_anchor(task: qt.Task, seed: int, name: str) -> dict[str, Any]:
    res = anchors.LR_FREE_ANCHORS[name](task, seed)
    return {"lr": None, "val": res.val_loss, "cost": res.cost_steps, "wall": res.wall_s}


def run_one(task_name: str, seed: int, method: str, cache: str = str(CACHE)) -> dict[str, Any]:
    """One method's run on one task and seed (cached in ``cache``)."""
    torch.set_num_threads(1)  # as the oracle was computed
    warnings.simplefilter("ignore")  # the anchors' packages and vmap's fallback notes
    # Range tests draw dropout from the global RNGs: seed them, so a run does not depend on what its
    # worker process ran before (the results repeat whatever the order, the cache or --jobs).
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    task = qt.get_task(task_name)
    key: dict[str, Any] = {"task": task_name, "seed": seed, "method": method, "rng": "seeded", **qt.oracle_key(task)}
    key["oracle_seeds"] = key.pop("seeds")
    if method == "lrlab":
        key["rule"] = _rule_version()
        return _cached(key, lambda: _lrlab(task, seed), Path(cache))
    if method in RANGE_METHODS:
        return _cached(key, lambda: _range_anchor(task, seed, method), Path(cache))
    if method == "lrlab-edge":
        import importlib

        rules, track = importlib.import_module("lrlab.finder.suggest"), importlib.import_module("lrlab.hessian.track")
        key["rule"] = hashlib.sha1((inspect.getsource(rules.edge) + inspect.getsource(track)).encode()).hexdigest()[:12]
        return _cached(key, lambda: _edge(task, seed), Path(cache))
    return _cached(key, lambda: _free_anchor(task, seed, method), Path(cache))


def summarise(
    task: qt.Task, runs: dict[tuple[int, str], dict[str, Any]], seeds: Sequence[int], methods: Sequence[str]
) -> dict[str, Any]:
    """Regret, band hits, LRs, cost and wall time of each method on one task, seed by seed."""
    orc = qt.oracle(task)
    grid = np.asarray(task.grid)
    best_lr, best_val, low, high = band(grid, np.asarray(orc["mean"], dtype=float))
    best_index = int(orc["best_index"])
    rows: dict[str, Any] = {}
    for method in methods:
        regret, in_band, lrs, cost, wall = [], [], [], [], []
        for seed in seeds:
            r = runs[(seed, method)]
            ref = float(orc["val"][str(seed)][best_index])
            val = math.inf if r["val"] is None else float(r["val"])
            regret.append(val / ref)
            lrs.append(r["lr"])
            in_band.append(None if method in FREE_METHODS else (r["lr"] is not None and low <= r["lr"] <= high))
            cost.append(r["cost"])
            wall.append(r["wall"])
        rows[method] = {"regret": regret, "in_band": in_band, "lr": lrs, "cost": cost, "wall": wall}
    return {
        "task": task.name,
        "held_out": task.held_out,
        "best_lr": best_lr,
        "best_val": best_val,
        "band": (low, high),
        "budget": task.budget,
        "methods": rows,
    }


def _fmt_regret(v: float) -> str:
    return "inf" if not math.isfinite(v) else f"{v:.3f}"


def report(results: list[dict[str, Any]], command: str, methods: Sequence[str]) -> None:
    """The per-task table, the oracles, and the table over all tasks and seeds (markdown)."""
    print(f"\nCommand: {command}\n")
    print("| task | method | median regret | worst regret | in band | median LR | cost (steps) | wall (s) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for res in results:
        name = res["task"] + (" (held out)" if res["held_out"] else "")
        for method, d in res["methods"].items():
            lrs = [v for v in d["lr"] if v is not None]
            med_lr = f"{np.median(lrs):.3g}" if lrs else "n/a"
            hits = "n/a" if d["in_band"][0] is None else f"{sum(bool(b) for b in d['in_band'])}/{len(d['in_band'])}"
            print(
                f"| {name} | {method} | {_fmt_regret(float(np.median(d['regret'])))} | "
                f"{_fmt_regret(max(d['regret']))} | {hits} | {med_lr} | {int(np.median(d['cost']))} | "
                f"{np.median(d['wall']):.1f} |"
            )
    print()
    for res in results:
        print(
            f"{res['task']}: oracle best peak LR {res['best_lr']:.3g} (val loss {res['best_val']:.4f}), "
            f"band {res['band'][0]:.3g}..{res['band'][1]:.3g}, budget {res['budget']} steps"
        )
    print("\nAll tasks and seeds together (held-out tasks in brackets):\n")
    print("| method | in band | worst regret | median regret | worst regret, held out | max cost (steps) |")
    print("|---|---:|---:|---:|---:|---:|")
    for method in methods:
        reg = [v for res in results for v in res["methods"][method]["regret"]]
        held = [v for res in results if res["held_out"] for v in res["methods"][method]["regret"]]
        hits = [b for res in results for b in res["methods"][method]["in_band"]]
        held_hits = [b for res in results if res["held_out"] for b in res["methods"][method]["in_band"]]
        band_txt = (
            "n/a"
            if hits and hits[0] is None
            else (f"{sum(bool(b) for b in hits)}/{len(hits)} ({sum(bool(b) for b in held_hits)}/{len(held_hits)})")
        )
        cost = max(c for res in results for c in res["methods"][method]["cost"])
        print(
            f"| {method} | {band_txt} | {_fmt_regret(max(reg))} | {_fmt_regret(float(np.median(reg)))} | "
            f"{_fmt_regret(max(held)) if held else 'n/a'} | {cost} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"smoke run: {', '.join(QUICK_TASKS)}, seed 0")
    p.add_argument("--tasks", default=None, help="comma list of task names (default: all)")
    p.add_argument(
        "--methods",
        default=None,
        help=f"comma list of methods (default: all of {', '.join(METHODS)}; also: {', '.join(EXTRA_METHODS)})",
    )
    p.add_argument("--jobs", type=int, default=1, help="worker processes, one torch thread each (default: 1)")
    p.add_argument("--json", metavar="PATH", help="also write the results to this JSON file")
    p.add_argument("--cache", default=str(CACHE), metavar="DIR", help=f"where runs are cached (default: {CACHE})")
    args = p.parse_args(argv)
    names = (
        QUICK_TASKS
        if args.quick and args.tasks is None
        else (args.tasks.split(",") if args.tasks else [t.name for t in qt.tasks()])
    )
    chosen = [qt.get_task(n) for n in names]
    seeds = [0] if args.quick else list(qt.SEEDS)
    methods = METHODS if args.methods is None else tuple(args.methods.split(","))
    jobs = [(t.name, s, m, args.cache) for t in chosen for s in seeds for m in methods]
    start = time.perf_counter()
    runs: dict[tuple[str, int, str], dict[str, Any]] = {}
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            for job, doc in zip(jobs, pool.map(run_one, *zip(*jobs))):
                runs[job[:3]] = doc
    else:
        for job in jobs:
            doc = runs[job[:3]] = run_one(*job)
            lr = doc["lr"]
            print(
                f"[{job[0]} seed {job[1]}] {job[2]}: lr {'n/a' if lr is None else f'{lr:.3g}'}, "
                f"val {doc['val']}, {doc['wall']:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    results = []
    for task in chosen:
        per = {(s, m): runs[(task.name, s, m)] for s in seeds for m in methods}
        results.append(summarise(task, per, seeds, methods))
    command = "python benchmarks/suggestion_quality.py" + (" --quick" if args.quick else "")
    report(results, command, methods)
    print(
        f"\nTotal {time.perf_counter() - start:.0f} s (torch {torch.__version__}, 1 CPU thread per worker, "
        f"{args.jobs} worker(s)); rule {_rule_version()}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, default=float, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
