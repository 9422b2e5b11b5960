"""The suggestion-quality suite's tasks, the oracle's trainer, the committed oracles and the anchors."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from torch import nn

from lrlab.schedules import parse
from lrlab.tutorial.data import tensor_loader

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import quality_tasks as qt  # noqa: E402


def _tiny_make(seed: int, groups: bool = False) -> qt.Setup:
    g = torch.Generator().manual_seed(7)
    x = torch.randn(256, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(256, 1, generator=g)
    model = qt._seeded(seed, lambda: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 1)))
    if groups:  # two groups, the second at a tenth of the first's LR
        params: Any = [{"params": model[0].parameters()}, {"params": model[3].parameters(), "lr": 0.01}]
    else:
        params = model.parameters()
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return qt.Setup(
        model,
        opt,
        nn.MSELoss(),
        tensor_loader(x[:192].numpy(), y[:192].numpy(), 16, shuffle=True, seed=seed),
        tensor_loader(x[192:].numpy(), y[192:].numpy(), 32),
    )


def _tiny(budget: int = 12, shape: qt.Shape = None, **kw: Any) -> qt.Task:
    return qt.Task("tiny", budget, shape, (0.001, 0.01, 0.1), kw.pop("make", _tiny_make), "sgd", **kw)


class _Recording(torch.optim.SGD):
    """SGD that records every group's LR at each step."""

    def __init__(self, params: Any, lr: float = 1.0) -> None:
        super().__init__(params, lr=lr)
        self.seen: list[list[float]] = []

    def step(self, closure: Any = None) -> Any:
        self.seen.append([g["lr"] for g in self.param_groups])
        return super().step(closure)


def _recorded(task: qt.Task, lr: float, **kw: Any) -> list[list[float]]:
    made: list[_Recording] = []

    def factory(params: Any) -> _Recording:
        made.append(_Recording(params, lr=1.0))
        return made[0]

    qt.train_full(task, 0, lr, optimizer=factory, **kw)
    return made[0].seen


# ---------------------------------------------------------------- the suite's tasks


def test_the_suite() -> None:
    tasks = qt.tasks()
    names = [t.name for t in tasks]
    assert len(names) == len(set(names)) >= 9
    assert {"mnist-mlp-sgd", "mnist-cnn-adam", "synth-mlp-adamw", "moons-mlp-nesterov"} <= set(names)
    held = {t.name for t in tasks if t.held_out}
    assert held == {"mnist-mixer-adamw", "smnist-gru-adam", "mnist-mlp-onecycle"}
    for task in tasks:
        logs = np.log10(task.grid)
        assert len(task.grid) >= 20, task.name
        assert np.allclose(np.diff(logs), np.diff(logs)[0], rtol=1e-3), task.name  # log-spaced
        assert 5 <= 1 / np.diff(logs)[0] <= 7, task.name  # 5-6 per decade
        if isinstance(task.shape, str):
            shape = parse(task.shape)
            assert max(shape(np.arange(task.budget))) == pytest.approx(1.0), task.name  # peak 1
    assert qt.TASKS is qt.tasks()
    assert qt.get_task("char-lm-adamw").corpus_sha256 == qt.char_corpus()[1]


@pytest.mark.parametrize("name", [t.name for t in qt.tasks()])
def test_task_trains_deterministically(name: str) -> None:
    full = qt.get_task(name)

    def make(seed: int) -> qt.Setup:
        setup = full.build(seed)
        setup.val_loader = [next(iter(setup.val_loader))]  # one validation batch is enough here
        return setup

    task = dataclasses.replace(full, budget=3, make=make)
    lr = task.grid[len(task.grid) // 2]
    first = qt.train_full(task, 0, lr)
    assert math.isfinite(first)
    assert qt.train_full(task, 0, lr) == first
    assert qt.train_full(task, 1, lr) != first


def test_char_corpus() -> None:
    text, digest = qt.char_corpus()
    assert len(text) == qt.CORPUS_CHARS and text.startswith('The "assert" statement')
    assert qt.char_corpus(1000) != (text, digest) and qt.char_corpus()[1] == digest


def test_log_grid() -> None:
    grid = qt.log_grid(1e-4, 1.0, per_decade=6)
    assert len(grid) == 25 and grid[0] == 1e-4 and grid[-1] == 1.0 and grid[6] == pytest.approx(1e-3)


def test_task_checks() -> None:
    with pytest.raises(ValueError, match="family must be one of 'sgd', 'adam', got 'rmsprop'"):
        qt.Task("x", 10, None, (0.1, 1.0), _tiny_make, "rmsprop")
    with pytest.raises(ValueError, match=r"grid must be ascending with >= 2 LRs, got \(1.0, 0.1\)"):
        qt.Task("x", 10, None, (1.0, 0.1), _tiny_make, "sgd")
    with pytest.raises(ValueError, match=r"task must be one of 'mnist-mlp-sgd', .*, got 'nope'"):
        qt.get_task("nope")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        qt.nope  # noqa: B018


# ---------------------------------------------------------------- train_full


@pytest.mark.parametrize(
    "spec",
    [
        "warmup_cosine(1.0, warmup=3, total=12, min_lr=0)",
        "linear(1.0, end_lr=0, total_steps=12)",
        "cosine(1.0, total=12, min_lr=0)",
    ],
)
def test_train_full_follows_a_spec_shape(spec: str) -> None:
    seen = _recorded(_tiny(12, spec), 0.5)
    assert np.allclose([s[0] for s in seen], 0.5 * parse(spec)(np.arange(12)))


def test_train_full_follows_the_onecycle_factory_and_keeps_group_ratios() -> None:
    task = _tiny(10, qt.OneCycle(10), make=lambda seed: _tiny_make(seed, groups=True))
    made: list[_Recording] = []

    def factory(groups: Any) -> _Recording:
        # The anchors' optimizers get the task's groups; give the second a tenth of the LR, as the task does.
        made.append(_Recording([groups[0], dict(groups[1], lr=0.1)], lr=1.0))
        return made[0]

    qt.train_full(task, 0, 0.5, optimizer=factory)
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
    ref = torch.optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=0.5, total_steps=10)
    expected = []
    for _ in range(10):
        expected.append(ref_opt.param_groups[0]["lr"])
        ref_opt.step()
        ref.step()
    seen = np.asarray(made[0].seen)
    assert np.allclose(seen[:, 0], expected) and np.allclose(seen[:, 1], 0.1 * seen[:, 0])
    assert max(seen[:, 0]) == pytest.approx(0.5)


def test_train_full_without_the_shape_and_at_constant_shape() -> None:
    spec = "cosine(1.0, total=12, min_lr=0)"
    assert [s[0] for s in _recorded(_tiny(12, spec), 0.3, scheduler=False)] == [0.3] * 12
    assert [s[0] for s in _recorded(_tiny(12, None), 0.3)] == [0.3] * 12


def test_train_full_divergence_is_inf() -> None:
    assert qt.train_full(_tiny(30), 0, 1e6) == math.inf
    assert math.isfinite(qt.train_full(_tiny(30), 0, 0.01))


def test_train_full_is_seeded_and_leaves_the_global_rng() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = qt.train_full(_tiny(), 0, 0.05)  # the tiny model has dropout: drawn from the seed
    assert torch.equal(torch.random.get_rng_state(), before)
    assert qt.train_full(_tiny(), 0, 0.05) == a != qt.train_full(_tiny(), 1, 0.05)


class _ScheduleFreeLike(torch.optim.SGD):
    """Stands in for a schedule-free optimizer: records train()/eval() between steps."""

    log: ClassVar[list[str]] = []

    def train(self) -> None:
        self.log.append("train")

    def eval(self) -> None:
        self.log.append("eval")

    def step(self, closure: Any = None) -> Any:
        if self.log[-1] != "step":
            self.log.append("step")
        return super().step(closure)


def _bn_make(seed: int) -> qt.Setup:
    s = _tiny_make(seed)
    s.model = qt._seeded(seed, lambda: nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1)))
    return s


def test_train_full_switches_schedule_free_optimizers_and_recomputes_batchnorm() -> None:
    _ScheduleFreeLike.log = []
    val = qt.train_full(_tiny(12), 0, 0.01, optimizer=lambda p: _ScheduleFreeLike(p, lr=1.0), scheduler=False)
    assert _ScheduleFreeLike.log == ["train", "step", "eval"] and math.isfinite(val)
    calls: list[bool] = []

    def make(seed: int) -> qt.Setup:
        setup = _bn_make(seed)
        setup.model[1].register_forward_hook(lambda module, args, out: calls.append(module.training))
        return setup

    qt.train_full(_tiny(12, make=make), 0, 0.01, optimizer=lambda p: _ScheduleFreeLike(p, lr=1.0), scheduler=False)
    # 12 training steps, 50 batches in train mode at the evaluation point, then validation in eval mode.
    assert calls.count(True) == 12 + 50 and calls[-1] is False


def test_train_full_validates_the_averaged_model() -> None:
    class Averager:
        def __init__(self, model: nn.Module) -> None:
            self.steps = 0
            self.averaged_model = nn.Sequential(nn.Flatten(), nn.Linear(4, 1))
            nn.init.zeros_(self.averaged_model[1].weight)
            nn.init.zeros_(self.averaged_model[1].bias)
            made.append(self)

        def step(self) -> None:
            self.steps += 1

    made: list[Averager] = []
    val = qt.train_full(_tiny(12), 0, 0.01, averager=Averager)
    setup = _tiny_make(0)
    zero_loss = float(np.mean(np.concatenate([y.numpy() for _, y in setup.val_loader]) ** 2))
    assert made[0].steps == 12 and val == pytest.approx(zero_loss, rel=1e-6)


# ---------------------------------------------------------------- the oracle


def test_oracle_writes_loads_and_recomputes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = qt.Task("tiny", 12, None, (0.01, 0.1, 1e6), _tiny_make, "sgd")
    doc = qt.oracle(task, seeds=(0, 1), directory=tmp_path)
    stored = json.loads((tmp_path / "tiny.json").read_text())
    assert stored["key"] == qt.oracle_key(task, (0, 1)) and stored["key"]["torch"] == torch.__version__
    assert stored["val"]["0"][2] is None and doc["val"]["0"][2] == math.inf  # diverged: null in the file
    assert doc["best_lr"] in (0.01, 0.1) and doc["mean"][doc["best_index"]] == doc["best_val"]
    assert set(doc["wall_s"]) == {"0", "1"}

    def no_training(*args: Any, **kwargs: Any) -> float:
        raise AssertionError("a matching oracle must be loaded, not recomputed")

    monkeypatch.setattr(qt, "train_full", no_training)
    again = qt.oracle(task, seeds=(0, 1), directory=tmp_path)
    assert again["val"] == doc["val"] and again["mean"] == doc["mean"]
    with pytest.raises(AssertionError, match="must be loaded"):
        qt.oracle(task, seeds=(0, 1, 2), directory=tmp_path)  # another key: recomputed
    with pytest.raises(AssertionError, match="must be loaded"):
        qt.oracle(dataclasses.replace(task, budget=13), seeds=(0, 1), directory=tmp_path)


@pytest.mark.parametrize("name", [t.name for t in qt.tasks()])
def test_committed_oracle(name: str) -> None:
    task = qt.get_task(name)
    doc = json.loads((qt.ORACLE_DIR / f"{name}.json").read_text())
    key = qt.oracle_key(task)
    # Another torch reads the committed numbers' key as stale (and recomputes); the rest must match.
    assert {k: v for k, v in doc["key"].items() if k != "torch"} == {k: v for k, v in key.items() if k != "torch"}
    mean = np.asarray([np.inf if v is None else v for v in doc["mean"]])
    per_seed = np.asarray([[np.inf if v is None else v for v in doc["val"][str(s)]] for s in qt.SEEDS])
    assert per_seed.shape == (3, len(task.grid)) and np.array_equal(per_seed.mean(axis=0), mean)
    best = int(np.argmin(mean))
    assert doc["best_lr"] == task.grid[best]
    assert 1 <= best <= len(mean) - 3, "the grid must bracket the best LR well inside"
    assert mean[-1] > 1.3 * mean[best], "the top of the grid must be far worse (diverging)"
    assert mean[0] > 1.1 * mean[best], "the bottom of the grid must be clearly worse"


# ---------------------------------------------------------------- anchors


def _anchors() -> Any:
    import anchors

    return anchors


def _range_task() -> qt.Task:
    return _tiny(20, "cosine(1.0, total=20, min_lr=0)")


def test_torch_lr_finder_anchor() -> None:
    pytest.importorskip("torch_lr_finder")
    r = _anchors().torch_lr_finder_lr(_range_task(), 0)
    assert r.anchor == "torch-lr-finder" and r.val_loss is None and 20 <= r.cost_steps <= 100
    assert r.lr is not None and 1e-7 <= r.lr <= 10 and r.wall_s > 0


def test_lightning_anchor_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("lightning")
    monkeypatch.chdir(tmp_path)
    r = _anchors().lightning_lr(_range_task(), 0)
    assert r.anchor == "lightning" and r.lr is not None and 1e-8 <= r.lr <= 1 and 20 <= r.cost_steps <= 100
    assert list(tmp_path.iterdir()) == []


def test_fastai_rules_anchor() -> None:
    out = _anchors().fastai_rules(_range_task(), 0)
    assert sorted(out) == ["minimum", "slide", "steep", "valley"]
    assert all(r.lr is None or 1e-7 <= r.lr <= 10 for r in out.values())
    assert len({r.cost_steps for r in out.values()}) == 1


@pytest.mark.parametrize(
    "name, module",
    [("prodigy", "prodigyopt"), ("d-adaptation", "dadaptation"), ("dog", "dog"), ("schedule-free", "schedulefree")],
)
@pytest.mark.parametrize("family", ["sgd", "adam"])
def test_lr_free_anchors(name: str, module: str, family: str) -> None:
    pytest.importorskip(module)
    # DAdaptSGD cannot start from LR 0 (it divides by the first step's gradient norm, taken only at LR > 0):
    # the suite's sgd tasks start at their peak (cosine, constant) or at peak / 25 (OneCycle).
    shape = "warmup_cosine(1.0, warmup=4, total=20, min_lr=0)" if family == "adam" else qt.OneCycle(20)
    task = dataclasses.replace(_tiny(20, shape, warmup=4), family=family)
    r = _anchors().ANCHORS[name](task, 0)
    assert r.anchor == name and r.cost_steps == 20 and r.val_loss is not None and math.isfinite(r.val_loss)
    assert r.lr == (0.0025 if (name, family) == ("schedule-free", "adam") else 1.0)


def test_dog_without_the_shape() -> None:
    pytest.importorskip("dog")
    task = _tiny(20, qt.OneCycle(20))
    with_shape, without = _anchors().dog(task, 0), _anchors().dog(task, 0, scheduler=False)
    assert math.isfinite(without.val_loss) and without.val_loss != with_shape.val_loss


def test_schedule_free_warmup() -> None:
    a = _anchors()
    assert a.schedule_free_warmup(_tiny(200, warmup=30)) == 30
    assert a.schedule_free_warmup(_tiny(200)) == 4 and a.schedule_free_warmup(_tiny(10)) == 1


def test_run_anchors_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"anchor must be one of 'torch-lr-finder', .*'fastai', got 'nope'"):
        _anchors().run_anchors(_range_task(), 0, ["nope"])
