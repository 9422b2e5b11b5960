"""What short runs say about the best peak LR of a full run: the data suggest_lr's rule was designed on.

For each *design* task of the quality suite (never a held-out one) and each training seed, it
records what a suggestion procedure can afford to look at:

* the default range test (1e-7 to 10 in 100 steps);
* vmapped sweeps over the task's whole oracle grid under the task's schedule shape compressed
  to short horizons (16, 32, 64, 128 steps, and the full budget where that is short), each
  copy's train losses step by step.

``--analyse`` then sets them beside the committed oracle (the full runs' validation loss) and
prints, per task and seed, the oracle's best and band next to what each short signal would pick.
The data are cached in ``benchmarks/.cache/study/``. Run::

    python benchmarks/rule_study.py            # collect (minutes per task), then analyse
    python benchmarks/rule_study.py --analyse  # analyse cached data only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

import quality_tasks as qt
from lrlab.finder import find_lr
from lrlab.schedules.shape import compress, shape_factors
from lrlab.sweep import sweep_lr
from suggestion_quality import band as _band

CACHE = Path(__file__).with_name(".cache") / "study"
HORIZONS = (16, 32, 64, 128)
SHORT_HORIZONS = (16, 32, 64)  # for the slow tasks


def collect(task: qt.Task, seed: int) -> dict[str, Any]:
    path = CACHE / f"{task.name}-{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    full = shape_factors(task.shape, task.budget)
    s = task.build(seed)
    t0 = time.perf_counter()
    rt = find_lr(s.model, s.optimizer, s.criterion, s.train_loader)
    doc: dict[str, Any] = {
        "task": task.name,
        "seed": seed,
        "budget": task.budget,
        "grid": list(task.grid),
        "range_test": rt.to_dict(),
        "sweeps": {},
    }
    slow = task.name in ("char-lm-adamw", "mnist-resnet-sgd")
    horizons = [h for h in (SHORT_HORIZONS if slow else HORIZONS) if h < task.budget]
    horizons += [task.budget] if task.budget <= 200 else []
    for h in horizons:
        s = task.build(seed)
        res = sweep_lr(
            s.model,
            s.optimizer,
            s.criterion,
            s.train_loader,
            lrs=list(task.grid),
            steps=h,
            schedule=compress(full, h),
            seed=seed,
        )
        doc["sweeps"][str(h)] = {
            "train_losses": [[v if np.isfinite(v) else None for v in row] for row in res.train_losses.tolist()],
            "mode": res.mode,
        }
    doc["wall_s"] = time.perf_counter() - t0
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return doc


def band(grid: np.ndarray, mean_val: np.ndarray) -> tuple[float, float, float]:
    """(best LR, low, high) of the oracle's band, as the quality suite reads it."""
    best, _, low, high = _band(grid, mean_val)
    return best, low, high


def vertex(grid: np.ndarray, scores: np.ndarray) -> float:
    """The LR at the minimum of ``scores`` over log LR, refined by a parabola through the neighbours."""
    finite = np.isfinite(scores)
    if not finite.any():
        return float("nan")
    i = int(np.argmin(np.where(finite, scores, np.inf)))
    if 0 < i < len(grid) - 1 and finite[i - 1] and finite[i + 1]:
        x, y = np.log10(grid[i - 1 : i + 2]), scores[i - 1 : i + 2]
        a = ((y[2] - y[1]) / (x[2] - x[1]) - (y[1] - y[0]) / (x[1] - x[0])) / (x[2] - x[0])
        if a > 0:
            slope = (y[1] - y[0]) / (x[1] - x[0]) + a * (x[1] - x[0])
            return float(10 ** (x[1] - slope / (2 * a)))
    return float(grid[i])


def tail_score(losses: np.ndarray) -> np.ndarray:
    """Mean train loss of the last quarter; inf for a copy that ever went non-finite."""
    k = max(1, losses.shape[1] // 4)
    score = losses[:, -k:].mean(axis=1)
    return np.where(np.isfinite(losses).all(axis=1), score, np.inf)


def analyse(design: list[qt.Task]) -> None:
    from lrlab.finder import LRFinderResult, suggest

    for task in design:
        orc = qt.oracle(task) if (qt.ORACLE_DIR / f"{task.name}.json").exists() else None
        if orc is None:
            print(f"{task.name}: no oracle yet")
            continue
        grid = np.asarray(task.grid)
        mean = np.asarray(orc["mean"], dtype=float)
        best, lo, hi = band(grid, mean)
        print(f"\n{task.name} (N={task.budget}, shape {task.shape}): oracle best {best:.3g}, band {lo:.3g}..{hi:.3g}")
        for seed in qt.SEEDS:
            path = CACHE / f"{task.name}-{seed}.json"
            if not path.exists():
                continue
            doc = json.loads(path.read_text())
            rt = LRFinderResult.from_dict(doc["range_test"])
            seed_val = np.asarray(orc["val"][str(seed)], dtype=float)
            feats = {}
            for m in ("steepest", "minimum", "valley"):
                try:
                    feats[m] = suggest(rt, m).lr
                except ValueError:
                    feats[m] = float("nan")
            feats["rt_min"] = suggest(rt, "minimum").lr_range[1]
            feats["rt_last"] = float(rt.lrs[-1])
            picks = {}
            for h, sw in doc["sweeps"].items():
                losses = np.asarray([[np.nan if v is None else v for v in row] for row in sw["train_losses"]])
                picks[h] = vertex(grid, tail_score(losses))
            row = " ".join(f"{k}={v:.3g}" for k, v in feats.items())
            row2 = " ".join(f"H{h}={v:.3g}" for h, v in picks.items())
            print(f"  seed {seed}: own best {grid[int(np.argmin(seed_val))]:.3g} | {row} | {row2}")


def interp_regret(task: qt.Task, orc: dict[str, Any], seed: int, lr: float) -> float:
    """A cheap stand-in for training at ``lr``: the seed's oracle curve interpolated in log LR,
    over its value at the oracle's best LR (for design iterations only; the suite trains for real)."""
    grid = np.log10(np.asarray(task.grid))
    val = np.asarray(orc["val"][str(seed)], dtype=float)
    x = float(np.clip(np.log10(lr), grid[0], grid[-1]))
    j = int(np.clip(np.searchsorted(grid, x), 1, len(grid) - 1))
    a, b = val[j - 1], val[j]
    if not (np.isfinite(a) and np.isfinite(b)):
        got = a if x - grid[j - 1] < grid[j] - x else b
    else:
        got = a + (b - a) * (x - grid[j - 1]) / (grid[j] - grid[j - 1])
    return float(got / val[int(orc["best_index"])])


def evaluate(design: list[qt.Task], settings: dict[str, float]) -> None:
    """Run the real suggest_lr on the design tasks (train loader only) and read regret off the oracle."""
    from lrlab.confirm import rule, suggest_lr

    for key, value in settings.items():
        setattr(rule, key, type(getattr(rule, key))(value))
    print("settings:", settings or "defaults")
    for task in design:
        path = qt.ORACLE_DIR / f"{task.name}.json"
        if not path.exists():
            continue
        orc = qt.oracle(task)
        _, lo, hi = band(np.asarray(task.grid), np.asarray(orc["mean"], dtype=float))
        rows = []
        for seed in qt.SEEDS:
            s = task.build(seed)
            t0 = time.perf_counter()
            conf = suggest_lr(
                s.model,
                s.optimizer,
                s.criterion,
                s.train_loader,
                schedule=task.shape,
                total_steps=task.budget,
                seed=seed,
            )
            rows.append(
                (
                    conf.lr,
                    lo <= conf.lr <= hi,
                    interp_regret(task, orc, seed, conf.lr),
                    conf.cost_steps,
                    time.perf_counter() - t0,
                    [f"{r.lr:.3g}/{r.how}" for r in conf.rounds],
                )
            )
        print(
            f"{task.name:22s} band {lo:.3g}..{hi:.3g} | "
            + " | ".join(
                f"{lr:.3g} {'IN ' if ok else 'out'} r={reg:.2f} c={c} {w:.0f}s {rs}" for lr, ok, reg, c, w, rs in rows
            ),
            flush=True,
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--analyse", action="store_true", help="only analyse cached data")
    p.add_argument("--tasks", default=None, help="comma list of design tasks (default: all design tasks)")
    p.add_argument("--evaluate", action="store_true", help="run suggest_lr on the design tasks, regret from the oracle")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a constant of lrlab.confirm.rule for --evaluate",
    )
    args = p.parse_args()
    names = None if args.tasks is None else args.tasks.split(",")
    design = [t for t in qt.tasks() if not t.held_out and (names is None or t.name in names)]
    if args.evaluate:
        evaluate(design, dict(kv.split("=", 1) for kv in args.set))
        return
    if not args.analyse:
        for task in design:
            for seed in qt.SEEDS:
                doc = collect(task, seed)
                print(f"[{task.name}] seed {seed}: {doc.get('wall_s', 0):.1f} s", flush=True)
    analyse(design)


if __name__ == "__main__":
    torch.set_num_threads(1)  # as the oracle was computed (2 threads differ in the 6th digit)
    main()


def horizon_table(design: list[qt.Task]) -> None:
    """For each design task and horizon: where the full-grid vertex of the short runs lands (log10 error
    against the oracle's best, in-band count, interpolated regret)."""
    from lrlab.confirm.rule import locate, score_copies

    for task in design:
        path = qt.ORACLE_DIR / f"{task.name}.json"
        if not path.exists():
            continue
        orc = qt.oracle(task)
        grid = np.asarray(task.grid)
        best, lo, hi = band(grid, np.asarray(orc["mean"], dtype=float))
        out: dict[str, list[str]] = {}
        for seed in qt.SEEDS:
            p = CACHE / f"{task.name}-{seed}.json"
            if not p.exists():
                continue
            doc = json.loads(p.read_text())
            for h, sw in doc["sweeps"].items():
                losses = np.asarray([[np.nan if v is None else v for v in row] for row in sw["train_losses"]])
                lr, _ = locate(grid, score_copies(losses))
                mark = "*" if lo <= lr <= hi else " "
                regret = interp_regret(task, orc, seed, lr)
                out.setdefault(h, []).append(f"{np.log10(lr / best):+.2f}{mark}r{regret:.2f}")
        print(f"{task.name:20s} best {best:.3g} band {lo:.3g}..{hi:.3g}")
        for h, cells in out.items():
            print(f"   H{h:>4}: " + "  ".join(cells))
