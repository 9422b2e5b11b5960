"""The anchors a user would pick instead of ``suggest_lr``, run on a task of :mod:`quality_tasks` for one seed.

Two kinds, each returned as an :class:`AnchorResult` with its cost in optimizer steps and
its wall time:

* **Range tests** that suggest a peak LR (train it with ``quality_tasks.train_full`` to get
  its validation loss): torch-lr-finder's steepest point, Lightning's
  ``Tuner.lr_find().suggestion()``, and fastai's valley / slide / minimum / steep as lrlab
  implements them.
* **Learning-rate-free optimizers** trained for the task's full budget in place of its
  optimizer, whose result *is* a validation loss: Prodigy, D-Adaptation and DoG at their
  READMEs' defaults under the task's schedule shape, and schedule-free AdamW / SGD at
  their default LR with warmup and no shape.

The real packages run (the ``bench`` extra: ``pip install -e ".[bench]" -c constraints.txt``);
each is imported inside its function, so this module loads without them. Where each
default comes from is cited beside it (the packages' READMEs are their PyPI descriptions;
the versions read were torch-lr-finder 0.2.2, lightning 2.6.6, prodigyopt 1.1.2,
dadaptation 3.2, dog-optimizer 1.0.3 and schedulefree 1.4.1). Run::

    python benchmarks/anchors.py                              # the anchors and their settings
    python benchmarks/anchors.py --tasks mnist-mlp-sgd --seed 0  # every anchor on one task
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_tasks import OneCycle, Task, get_task, tasks, train_full

# Both range tests run 100 steps, the length each package documents and the issue asks for.
NUM_ITER = 100

__all__ = [
    "ANCHORS",
    "LR_FREE_ANCHORS",
    "RANGE_TEST_ANCHORS",
    "AnchorResult",
    "dadaptation",
    "dog",
    "fastai_rules",
    "lightning_lr",
    "prodigy",
    "run_anchors",
    "schedule_free",
    "torch_lr_finder_lr",
]


@dataclass(frozen=True)
class AnchorResult:
    """What one anchor produced on one task and seed.

    Attributes:
        anchor: Its name (``"torch-lr-finder"``, ``"prodigy"`` ...).
        lr: Range tests: the suggested peak LR (``None`` when the rule found none).
            LR-free optimizers: the ``lr`` passed to them (a multiplier for Prodigy,
            D-Adaptation and DoG; schedule-free's own LR).
        val_loss: LR-free optimizers: the mean validation loss after the full budget
            (``math.inf`` when training diverged); ``None`` for range tests.
        cost_steps: Optimizer steps the anchor spent (the range test's steps actually run, or the budget).
        wall_s: Its wall time in seconds.
    """

    anchor: str
    lr: float | None
    val_loss: float | None
    cost_steps: int
    wall_s: float


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence what the packages print, log and warn while they run (library code never prints)."""
    loggers = [
        logging.getLogger(n)
        for n in (
            "lightning",
            "lightning.pytorch",
            "pytorch_lightning",
            "lightning.fabric",
            "dog",
            "prodigyopt",
            "dadaptation",
        )
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _hyper(task: Task, seed: int) -> dict[str, Any]:
    """The task optimizer's weight decay (and whether it is decoupled), momentum and BatchNorm use."""
    setup = task.build(seed)
    group = setup.optimizer.param_groups[0]
    decoupled = bool(group.get("decoupled_weight_decay", isinstance(setup.optimizer, torch.optim.AdamW)))
    batchnorm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in setup.model.modules())
    return {
        "weight_decay": float(group.get("weight_decay", 0.0)),
        "decoupled": decoupled,
        "momentum": float(group.get("momentum", 0.0)),
        "batchnorm": batchnorm,
    }


def _warms_up(task: Task) -> bool:
    return task.warmup > 0 or isinstance(task.shape, OneCycle)


# ---------------------------------------------------------------- range tests


def torch_lr_finder_lr(task: Task, seed: int) -> AnchorResult:
    """torch-lr-finder's suggestion: ``range_test(train_loader, end_lr=10, num_iter=100)`` from 1e-7.

    The package's defaults otherwise (``step_mode="exp"``, ``smooth_f=0.05``, ``diverge_th=5``);
    the suggestion is what ``LRFinder.plot(suggest_lr=True)`` returns: the LR at the most negative
    ``np.gradient`` of the recorded (smoothed) losses after dropping ``skip_start=10`` and
    ``skip_end=5`` points (torch_lr_finder/lr_finder.py, ``plot``), drawn on an Agg figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    setup = task.build(seed)
    start = time.perf_counter()
    with _quiet():
        finder = LRFinder(setup.model, setup.optimizer, setup.criterion, device="cpu")
        finder.range_test(setup.train_loader, start_lr=1e-7, end_lr=10, num_iter=NUM_ITER)
        steps = len(finder.history["lr"])
        fig, ax = plt.subplots()
        try:
            _, lr = finder.plot(skip_start=10, skip_end=5, suggest_lr=True, ax=ax)
        except RuntimeError:  # too few points before the test stopped (the package needs skip_start + skip_end + 2)
            lr = None
        finally:
            plt.close(fig)
        finder.reset()
    return AnchorResult("torch-lr-finder", None if lr is None else float(lr), None, steps, time.perf_counter() - start)


def _lightning_module(model: nn.Module, optimizer: Optimizer, criterion: nn.Module) -> Any:
    import lightning.pytorch as pl

    class Wrapped(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model, self.criterion = model, criterion

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.model(x)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return self.criterion(self.model(x), y)

        def configure_optimizers(self) -> Optimizer:
            return optimizer

    return Wrapped()


def lightning_lr(task: Task, seed: int) -> AnchorResult:
    """Lightning's suggestion: ``Tuner(trainer).lr_find(module, min_lr=1e-8, max_lr=1, num_training=100)``.

    ``lr_find``'s defaults otherwise (``mode="exponential"``, ``early_stop_threshold=4.0``; its
    callback smooths the loss with beta 0.98), ``update_attr=False`` (the module has no ``lr``
    attribute: the LR is only read), then ``.suggestion()`` with its defaults ``skip_begin=10,
    skip_end=1``: the most negative ``torch.gradient`` of loss over LR (lightning/pytorch/tuner/
    lr_finder.py). The Trainer runs on one CPU with no logger, checkpointing, progress bar or
    model summary, in a temporary ``default_root_dir`` (the tuner's checkpoint goes there).
    """
    import lightning.pytorch as pl
    from lightning.pytorch.tuner import Tuner

    setup = task.build(seed)
    module = _lightning_module(setup.model, setup.optimizer, setup.criterion)
    start = time.perf_counter()
    with _quiet(), tempfile.TemporaryDirectory() as root:
        trainer = pl.Trainer(
            accelerator="cpu",
            devices=1,
            max_steps=NUM_ITER,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=root,
        )
        finder = Tuner(trainer).lr_find(
            module,
            train_dataloaders=setup.train_loader,
            min_lr=1e-8,
            max_lr=1,
            num_training=NUM_ITER,
            update_attr=False,
        )
        lr = finder.suggestion() if finder is not None else None
        steps = len(finder.results["lr"]) if finder is not None else 0
    return AnchorResult("lightning", None if lr is None else float(lr), None, steps, time.perf_counter() - start)


# fastai's rule names -> lrlab's implementations of them.
FASTAI_RULES = {"valley": "valley", "slide": "slide", "minimum": "minimum", "steep": "steepest"}


def fastai_rules(task: Task, seed: int) -> dict[str, AnchorResult]:
    """fastai's valley / slide / minimum / steep, as lrlab implements them, on one lrlab range test.

    One ``lrlab.find_lr(num_iter=100)`` (its defaults: 1e-7 to 10, exponential, smoothing 0.98,
    stop at 4x the best loss) read by each rule; they share its cost and wall time.
    """
    from lrlab.finder import find_lr, suggest

    setup = task.build(seed)
    start = time.perf_counter()
    result = find_lr(setup.model, setup.optimizer, setup.criterion, setup.train_loader, num_iter=NUM_ITER)
    wall = time.perf_counter() - start
    out = {}
    for name, method in FASTAI_RULES.items():
        try:
            lr: float | None = float(suggest(result, method).lr)
        except ValueError:  # the curve is too short or too flat for this rule
            lr = None
        out[name] = AnchorResult(f"fastai-{name}", lr, None, int(result.steps), wall)
    return out


# ---------------------------------------------------------------- learning-rate-free optimizers


def _trained(
    anchor: str,
    task: Task,
    seed: int,
    lr: float,
    optimizer: Callable[[Any], Optimizer],
    *,
    scheduler: bool = True,
    averager: Callable[[nn.Module], Any] | None = None,
) -> AnchorResult:
    start = time.perf_counter()
    with _quiet():
        val = train_full(task, seed, lr, optimizer=optimizer, scheduler=scheduler, averager=averager)
    return AnchorResult(anchor, lr, val, task.budget, time.perf_counter() - start)


def prodigy(task: Task, seed: int) -> AnchorResult:
    """Prodigy at ``lr=1.0`` under the task's shape, with the task's weight decay.

    README (prodigyopt 1.1.2): "We recommend using ``lr=1.`` (default) for all networks"; weight
    decay is AdamW-style by default, ``decouple=False`` for L2 (so an L2 task keeps L2); a
    scheduler such as cosine annealing is fine; "To avoid issues with warm-up, use option
    ``safeguard_warmup=True``", which is set when the shape warms up (warmup+cosine, OneCycle).
    """
    from prodigyopt import Prodigy

    h = _hyper(task, seed)
    return _trained(
        "prodigy",
        task,
        seed,
        1.0,
        lambda p: Prodigy(
            p, lr=1.0, weight_decay=h["weight_decay"], decouple=h["decoupled"], safeguard_warmup=_warms_up(task)
        ),
    )


def dadaptation(task: Task, seed: int) -> AnchorResult:
    """D-Adaptation (``DAdaptAdam`` for adam tasks, ``DAdaptSGD`` for sgd tasks) at ``lr=1.0`` under the shape.

    README (dadaptation 3.2): "Set the LR parameter to 1.0"; "Use the same learning rate scheduler
    you would normally use on the problem"; the Adam variant takes AdamW-style decay with
    ``decouple=True`` ("make sure you use decoupled if necessary"), set when the task's optimizer
    decouples. ``DAdaptSGD`` gets the task's momentum (a drop-in replacement for its SGD; the
    package's default is 0) and weight decay (L2, as SGD's).
    """
    from dadaptation import DAdaptAdam, DAdaptSGD

    h = _hyper(task, seed)

    def make(params: Any) -> Optimizer:
        if task.family == "adam":
            return DAdaptAdam(params, lr=1.0, weight_decay=h["weight_decay"], decouple=h["decoupled"])
        return DAdaptSGD(params, lr=1.0, momentum=h["momentum"], weight_decay=h["weight_decay"])

    return _trained("d-adaptation", task, seed, 1.0, make)


def dog(task: Task, seed: int, *, scheduler: bool = True) -> AnchorResult:
    """DoG at ``lr=1.0`` under the shape, with polynomial-decay iterate averaging; validated on the average.

    README (dog-optimizer 1.0.3): "DoG/L-DoG must be combined with iterate averaging" with the
    package's ``PolynomialDecayAverager(model)`` (default ``gamma=8``), stepped after each
    ``optimizer.step()``, its ``averaged_model`` evaluated. ``reps_rel`` "default value of 1e-6 ...
    work[s] well most of the time"; with batch normalization "setting ``reps_rel`` to 1e-4
    eliminated the problem" (the docstring: "suggested value is 1e-4"), set when the model has
    BatchNorm. ``lr`` "default value is 1.0 and changing it is not recommended". Weight decay is
    the task's (DoG's is L2, added to the gradient).

    The README says nothing of schedules (DoG is itself a step-size schedule, with averaging in place
    of a decay); ``scheduler=False`` runs it that way, without the task's shape. Under a shape that
    starts low (OneCycle starts at peak / 25) DoG's distance term hardly grows and it barely moves.
    """
    from dog import DoG, PolynomialDecayAverager

    h = _hyper(task, seed)
    reps_rel = 1e-4 if h["batchnorm"] else 1e-6
    return _trained(
        "dog",
        task,
        seed,
        1.0,
        lambda p: DoG(p, reps_rel=reps_rel, lr=1.0, weight_decay=h["weight_decay"]),
        scheduler=scheduler,
        averager=PolynomialDecayAverager,
    )


def schedule_free_warmup(task: Task) -> int:
    """Warmup steps for schedule-free: the task's warmup, else 2% of the budget (at least 1).

    The README recommends warmup ("Using learning rate warmup is recommended. This is supported
    through the ``warmup_steps`` parameter") without a length; 2% is the ``warmup_factor`` of
    the package's own AlgoPerf submission (schedulefree/algoperf/.../tuning_search_space.json).
    """
    return task.warmup if task.warmup > 0 else max(1, round(0.02 * task.budget))


def schedule_free(task: Task, seed: int) -> AnchorResult:
    """Schedule-free AdamW (adam tasks, ``lr=0.0025``) or SGD (sgd tasks, ``lr=1.0``), warmup, no shape.

    The LRs are the packages' defaults (schedulefree 1.4.1: ``AdamWScheduleFree(lr=0.0025)``,
    ``SGDScheduleFree(lr=1.0, momentum=0.9)``); "There is no need to use a learning rate
    scheduler", so the task's shape is off; warmup from :func:`schedule_free_warmup`; the task's
    weight decay. ``train_full`` calls ``optimizer.train()`` / ``optimizer.eval()`` around training
    and validation, and recomputes BatchNorm statistics at the evaluation point on 50 training
    batches, as the README's caveat shows.
    """
    from schedulefree import AdamWScheduleFree, SGDScheduleFree

    h = _hyper(task, seed)
    warmup = schedule_free_warmup(task)
    lr = 0.0025 if task.family == "adam" else 1.0

    def make(params: Any) -> Optimizer:
        if task.family == "adam":
            return AdamWScheduleFree(params, lr=lr, warmup_steps=warmup, weight_decay=h["weight_decay"])
        return SGDScheduleFree(params, lr=lr, warmup_steps=warmup, weight_decay=h["weight_decay"])

    return _trained("schedule-free", task, seed, lr, make, scheduler=False)


RANGE_TEST_ANCHORS: dict[str, Callable[[Task, int], AnchorResult]] = {
    "torch-lr-finder": torch_lr_finder_lr,
    "lightning": lightning_lr,
}
LR_FREE_ANCHORS: dict[str, Callable[[Task, int], AnchorResult]] = {
    "prodigy": prodigy,
    "d-adaptation": dadaptation,
    "dog": dog,
    "schedule-free": schedule_free,
}
ANCHORS = {**RANGE_TEST_ANCHORS, **LR_FREE_ANCHORS}


def run_anchors(task: Task, seed: int, names: Sequence[str] | None = None) -> dict[str, AnchorResult]:
    """Every anchor (or those in ``names``; ``"fastai"`` for the four fastai rules) on one task and seed."""
    chosen = [*ANCHORS, "fastai"] if names is None else list(names)
    out: dict[str, AnchorResult] = {}
    for name in chosen:
        if name == "fastai":
            out.update({r.anchor: r for r in fastai_rules(task, seed).values()})
        elif name in ANCHORS:
            out[name] = ANCHORS[name](task, seed)
        else:
            raise ValueError(f"anchor must be one of {', '.join(repr(a) for a in [*ANCHORS, 'fastai'])}, got {name!r}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default=None, help="comma list of task names: run every anchor on each")
    p.add_argument("--anchors", default=None, help="comma list of anchors (default: all, and 'fastai')")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1, as the oracle)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.tasks is None:
        print("| anchor | kind | setting |")
        print("|---|---|---|")
        for name, fn in [*ANCHORS.items(), ("fastai", fastai_rules)]:
            kind = "LR-free, full budget" if name in LR_FREE_ANCHORS else "range test"
            print(f"| {name} | {kind} | {(fn.__doc__ or '').splitlines()[0]} |")
        return 0
    names = args.anchors.split(",") if args.anchors else None
    print("| task | anchor | LR | val loss | cost (steps) | wall (s) |")
    print("|---|---|---:|---:|---:|---:|")
    for task in [get_task(n) for n in args.tasks.split(",")] if args.tasks != "all" else tasks():
        for r in run_anchors(task, args.seed, names).values():
            lr = "n/a" if r.lr is None else f"{r.lr:.3g}"
            val = "" if r.val_loss is None else ("inf" if math.isinf(r.val_loss) else f"{r.val_loss:.4f}")
            print(f"| {task.name} | {r.anchor} | {lr} | {val} | {r.cost_steps} | {r.wall_s:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
