"""The Lightning adapter with the real ``lightning`` package, on the CPU: tiny models, a few steps."""

from __future__ import annotations

import copy
import json
import math
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

pl = pytest.importorskip("lightning.pytorch")

from lightning_workers import Net, make_loader, trainer  # noqa: E402
from lrlab.integrations.lightning import LightningLR, LRFinder, find_lr  # noqa: E402

pytestmark = [
    # Lightning 2.6's own use of torch's pytree under torch 2.13 (CombinedLoader), not lrlab's.
    pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"),
    # Lightning's own advice on a tiny CPU run (few dataloader workers), not about lrlab.
    pytest.mark.filterwarnings("ignore:.*does not have many workers.*"),
    pytest.mark.filterwarnings("ignore:Found 1 module\\(s\\) in eval mode"),  # the frozen BatchNorm, on purpose
    pytest.mark.filterwarnings("ignore:.*number of training batches.*smaller than the logging interval.*"),
]

FAST = dict(start_lr=1e-4, end_lr=10.0, num_iter=20)


class Record(pl.Callback):
    """Everything training starts from, at the first batch, and the LRs of every step."""

    def __init__(self) -> None:
        self.first: dict[str, Any] | None = None
        self.lrs: list[list[float]] = []
        self.losses: list[float] = []

    def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
        opt = trainer.optimizers[0]
        self.lrs.append([float(g["lr"]) for g in opt.param_groups])
        if self.first is None:
            sched = trainer.lr_scheduler_configs[0].scheduler if trainer.lr_scheduler_configs else None
            self.first = {
                "state": copy.deepcopy(module.state_dict()),
                "grads": [p.grad for p in module.parameters()],
                "optimizer": copy.deepcopy(opt.state_dict()),
                "scheduler": None if sched is None else copy.deepcopy(sched.state_dict()),
                "torch_rng": torch.get_rng_state(),
                "np_rng": np.random.get_state(),
                "py_rng": random.getstate(),
                "batch": copy.deepcopy(batch),
                "modes": [m.training for m in module.modules()],
                "metrics": dict(trainer.callback_metrics),
            }

    def on_train_batch_end(self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.losses.append(float(outputs["loss"]))


def fit(
    tmp: Path, *callbacks: Any, schedule: str = "lambda", seed: int = 0, total_steps: int = 12, **kw: Any
) -> tuple[Net, Record]:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    model = Net(schedule=schedule, total_steps=total_steps)
    model.out_norm.eval()  # a frozen BatchNorm: its flag must survive the range test
    rec = Record()
    trainer(tmp, [*callbacks, rec], **kw).fit(model, make_loader())
    return model, rec


def same(a: Any, b: Any) -> bool:
    """Bitwise equality of nested states (tensors, arrays, dicts, lists, numbers)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("schedule", ["lambda", "onecycle"])
def test_training_starts_exactly_where_it_would_have_without_the_callback(tmp_path: Path, schedule: str) -> None:
    finder = LRFinder(apply=False, **FAST)
    _, with_cb = fit(tmp_path, finder, schedule=schedule)
    _, without = fit(tmp_path, schedule=schedule)
    assert finder.result is not None and finder.result.range_test.steps >= 2 and not finder.result.applied
    assert with_cb.first is not None and without.first is not None
    for key in without.first:
        assert same(with_cb.first[key], without.first[key]), key
    assert with_cb.first["modes"].count(False) == 1  # the frozen BatchNorm stayed frozen
    assert "train_loss" not in with_cb.first["metrics"]  # the range test's self.log calls went nowhere
    # The whole run is the same, step for step.
    assert with_cb.losses == without.losses and with_cb.lrs == without.lrs


def test_the_range_test_actually_trained_and_was_undone(tmp_path: Path) -> None:
    """The guard is not vacuous: the range test moved the weights, BatchNorm's statistics and drew RNG."""
    seen: dict[str, Any] = {}

    class Peek(pl.Callback):
        def on_fit_start(self, trainer: Any, module: Any) -> None:
            seen["before"] = copy.deepcopy(module.state_dict())

    class Spy(LRFinder):
        def on_fit_start(self, trainer: Any, module: Any) -> None:
            step = module.training_step

            def spy(batch: Any, batch_idx: int) -> Any:
                seen["during"] = copy.deepcopy(module.state_dict())
                return step(batch, batch_idx)

            module.training_step = spy
            try:
                super().on_fit_start(trainer, module)
            finally:
                del module.training_step

    fit(tmp_path, Peek(), Spy(apply=False, **FAST))
    before, during = seen["before"], seen["during"]
    assert not same(before["body.0.weight"], during["body.0.weight"])
    assert not same(before["body.1.running_mean"], during["body.1.running_mean"])


def test_the_lr_is_applied_as_the_schedules_peak_keeping_the_group_ratio(tmp_path: Path) -> None:
    finder = LRFinder(**FAST)
    model, applied = fit(tmp_path, finder)
    _, plain = fit(tmp_path)
    result = finder.result
    assert isinstance(result, LightningLR) and result.applied and result.attr_name == "lr"
    lr = finder.suggested_lr
    assert lr is not None and math.isfinite(lr) and lr > 0
    assert model.lr == lr and model.hparams.lr == lr  # the attribute, as Lightning's tuner sets it
    assert result.lr == pytest.approx(result.range_test.suggest("steepest").lr, rel=0, abs=0)
    # Every step's LR is the configured schedule around the new peak: one factor, both groups.
    factor = lr / 0.05
    np.testing.assert_allclose(np.array(applied.lrs), np.array(plain.lrs) * factor, rtol=1e-12)
    assert all(g1 == pytest.approx(g0 / 10, rel=1e-12) for g0, g1 in applied.lrs)


def test_onecycle_peak_is_the_suggested_lr(tmp_path: Path) -> None:
    finder = LRFinder(**FAST)
    _, rec = fit(tmp_path, finder, schedule="onecycle")
    peak = max(lrs[0] for lrs in rec.lrs)
    assert peak == pytest.approx(finder.suggested_lr, rel=1e-9)
    assert rec.lrs[0][0] == pytest.approx(finder.suggested_lr / 25, rel=1e-9)  # OneCycle's div_factor kept


def test_accumulation_precision_and_clipping_come_from_the_trainer(tmp_path: Path) -> None:
    model = Net(schedule="none")
    finder = LRFinder(apply=False, **FAST)
    fit = trainer(
        tmp_path, [finder], accumulate_grad_batches=2, precision="bf16-mixed", gradient_clip_val=0.5, max_steps=1
    )
    fit.fit(model, make_loader())
    assert finder.result is not None
    steps = finder.result.range_test.steps
    assert torch.bfloat16 in model.seen_dtypes[:10]  # the range test ran under the trainer's autocast
    # 2 micro-batches per optimizer step: the range test's and the real one's.
    assert len(model.seen_dtypes) == 2 * steps + 2
    # Clipped before every optimizer step, with the trainer's value.
    assert model.clip_calls == [0.5] * (steps + 1)


class NormClipNet(Net):
    """Lightning's own ``configure_gradient_clipping``: the trainer's norm clipping, nothing else."""

    configure_gradient_clipping = pl.LightningModule.configure_gradient_clipping  # type: ignore[assignment]


def _confirm_run(tmp: Path, module: type[Net], mode: str = "confirm", **clip: Any) -> LightningLR:
    torch.manual_seed(0)
    finder = LRFinder(
        apply=False, mode=mode, num_iter=20, start_lr=1e-3, end_lr=10.0, **({"seed": 0} if mode == "confirm" else {})
    )
    trainer(tmp, [finder], max_steps=1, **clip).fit(module(schedule="none"), make_loader())
    assert finder.result is not None
    return finder.result


def test_confirm_mode_clips_every_sweep_copy_by_norm(tmp_path: Path) -> None:
    # Net trains with AdamW, which ignores a gradient's scale unless the norm is far below its eps:
    # 1e-9 makes clipping bind (and the range test's curve flat).
    clipped = _confirm_run(tmp_path, NormClipNet, gradient_clip_val=1e-9)
    assert clipped.confirmation is not None and clipped.confirmation.rounds
    assert all(r.sweep.max_grad_norm == 1e-9 for r in clipped.confirmation.rounds)
    # lrlab's own clipping of the range test is the pre-hook's: the exp-mode curve (float32 CPU runs of this
    # trainer differ in the last digits from run to run, so not bitwise).
    hooked = _confirm_run(tmp_path, NormClipNet, mode="exp", gradient_clip_val=1e-9)
    np.testing.assert_allclose(clipped.range_test.losses, hooked.range_test.losses, rtol=1e-5)
    plain = _confirm_run(tmp_path, NormClipNet, mode="exp")
    assert not np.allclose(plain.range_test.losses, hooked.range_test.losses, rtol=1e-2)  # clipping binds
    # Value clipping, and a module's own configure_gradient_clipping, stay the range test's alone.
    value = _confirm_run(tmp_path, NormClipNet, gradient_clip_val=1e-9, gradient_clip_algorithm="value")
    own = _confirm_run(tmp_path, Net, gradient_clip_val=1e-9)
    for result in (value, own):
        assert result.confirmation is not None
        assert all(r.sweep.max_grad_norm is None for r in result.confirmation.rounds)


class FigureWriter:
    def __init__(self) -> None:
        self.figures: list[tuple[str, Any, int]] = []

    def add_figure(self, tag: str, figure: Any, global_step: int = 0) -> None:
        self.figures.append((tag, figure, global_step))


class FigureLogger(pl.loggers.Logger):
    def __init__(self) -> None:
        super().__init__()
        self.writer = FigureWriter()
        self.metrics: list[dict[str, float]] = []

    @property
    def name(self) -> str:
        return "fake"

    @property
    def version(self) -> int:
        return 0

    @property
    def experiment(self) -> FigureWriter:
        return self.writer

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.metrics.append(dict(metrics))


def test_the_figure_and_the_lr_are_logged(tmp_path: Path) -> None:
    import matplotlib.figure

    logger = FigureLogger()
    finder = LRFinder(**FAST)
    trainer(tmp_path, [finder], logger=logger, max_steps=2, log_every_n_steps=1).fit(Net(), make_loader())
    assert [tag for tag, _, _ in logger.writer.figures] == ["lr_finder"]
    assert isinstance(logger.writer.figures[0][1], matplotlib.figure.Figure)
    assert {"lr_finder/suggested_lr": finder.suggested_lr} in logger.metrics
    # The real run's metrics hold the real run's losses only (no range-test step logged).
    assert sum("train_loss" in m for m in logger.metrics) == 2


def test_a_csv_logger_gets_the_lr_and_no_figure(tmp_path: Path) -> None:
    logger = pl.loggers.CSVLogger(str(tmp_path))
    finder = LRFinder(**FAST)
    trainer(tmp_path, [finder], logger=logger, max_steps=2).fit(Net(), make_loader())
    text = Path(logger.log_dir, "metrics.csv").read_text()
    assert "lr_finder/suggested_lr" in text


def test_confirm_mode_reads_the_run_length_from_max_steps(tmp_path: Path) -> None:
    finder = LRFinder(mode="confirm", num_iter=20, seed=0)
    model, rec = fit(tmp_path, finder, max_steps=8, total_steps=8, schedule="lambda")
    result = finder.result
    assert result is not None and result.confirmation is not None and result.method == "confirm"
    assert result.total_steps == 8 and result.confirmation.total_steps == 8
    assert math.isfinite(result.lr) and result.lr > 0 and model.lr == result.lr
    assert result.confirmation.lr_factors is not None and result.confirmation.lr_factors.size == 8
    assert max(lrs[0] for lrs in rec.lrs) == pytest.approx(result.lr, rel=1e-9)


def test_find_lr_outside_fit_sets_the_attribute_and_leaves_the_weights(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Net(schedule="none")
    before = copy.deepcopy(model.state_dict())
    t = trainer(tmp_path, [])
    found = find_lr(t, model, train_dataloaders=make_loader(), **FAST)
    assert isinstance(found, LightningLR) and found.applied and model.lr == found.lr
    assert same(model.state_dict(), before)
    assert t.callbacks == [c for c in t.callbacks if not isinstance(c, LRFinder)]
    # The trainer fits afterwards, from the new LR.
    rec = Record()
    t2 = trainer(tmp_path, [rec], max_steps=2)
    t2.fit(model, make_loader())
    assert rec.lrs[0] == [found.lr, found.lr / 10]


def test_find_lr_with_apply_false_changes_nothing(tmp_path: Path) -> None:
    model = Net(schedule="none")
    found = find_lr(trainer(tmp_path, []), model, train_dataloaders=make_loader(), apply=False, **FAST)
    assert not found.applied and model.lr == 0.05 and found.attr_name is None


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"mode": "cosine"}, ValueError, "mode must be one of 'exp', 'linear', 'confirm', got 'cosine'"),
        ({"start_lr": 0.0}, ValueError, "start_lr must be"),
        ({"start_lr": 1.0, "end_lr": 0.5}, ValueError, "end_lr must be > start_lr"),
        ({"num_iter": 1}, ValueError, "num_iter must be"),
        ({"method": "best"}, ValueError, "method must be one of"),
        ({"smooth": 1.0}, ValueError, "smooth must be in"),
        ({"diverge_th": 1.0}, ValueError, "diverge_th must be > 1"),
        ({"apply": 1}, TypeError, "apply must be True or False"),
        ({"log_figure": "yes"}, TypeError, "log_figure must be True or False"),
        ({"attr_name": 3}, TypeError, "attr_name must be None or an attribute name"),
        ({"total_steps": 0}, ValueError, "total_steps must be >= 1"),
        ({"budget_steps": 10}, ValueError, "budget_steps and seed must be None unless mode='confirm'"),
        ({"mode": "confirm", "seed": -1}, ValueError, "seed must be None or an int >= 0"),
    ],
)
def test_bad_options_raise_when_the_callback_is_made(options: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        LRFinder(**options)


def test_bad_use_raises_before_anything_changes(tmp_path: Path) -> None:
    model = Net(schedule="none")
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match="attr_name must name an attribute of the module"):
        find_lr(trainer(tmp_path, []), model, train_dataloaders=make_loader(), attr_name="missing")
    with pytest.raises(TypeError, match="module must be a LightningModule"):
        find_lr(trainer(tmp_path, []), torch.nn.Linear(1, 1))
    with pytest.raises(ValueError, match="mode must be"):
        find_lr(trainer(tmp_path, []), model, train_dataloaders=make_loader(), mode="fast")

    class NoLR(Net):
        def __init__(self) -> None:
            super().__init__(schedule="none")
            del self.lr
            self.hparams.pop("lr")

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    with pytest.raises(ValueError, match="the module must have an 'lr' or 'learning_rate' attribute"):
        find_lr(trainer(tmp_path, []), NoLR(), train_dataloaders=make_loader())
    assert same(model.state_dict(), before) and model.lr == 0.05
    # Inside fit, the optimizer was set up by then; an unbounded run cannot give the schedule's length.
    finder = LRFinder(**FAST)
    with pytest.raises(ValueError, match="total_steps must be given when the trainer's run has no finite length"):
        trainer(tmp_path, [finder], max_steps=-1, max_epochs=-1).fit(Net(), make_loader())


@pytest.mark.slow  # two fresh interpreters importing torch and Lightning: 15-25 s on a busy CPU
def test_every_ddp_rank_sets_the_same_lr(tmp_path: Path) -> None:
    script = Path(__file__).with_name("lightning_workers.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(script.parent), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the ranks share the session: one kill ends them all
    )
    try:
        out, _ = proc.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the 2-rank run did not finish in 150 s:\n{out.decode()[-3000:]}")
    assert proc.returncode == 0, out.decode()[-3000:]
    docs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [d["rank"] for d in docs] == [0, 1] and all(d["world"] == 2 for d in docs)
    # The ranks trained on different shards but recorded the same (all-reduced) curve...
    assert docs[0]["losses"] == docs[1]["losses"] and len(docs[0]["losses"]) >= 2
    # ... and set the same LR, on the module and, keeping the group ratio, in the optimizer.
    lr = docs[0]["lr"]
    assert math.isfinite(lr) and all(d["lr"] == lr and d["module_lr"] == lr for d in docs)
    assert docs[0]["first_lrs"] == docs[1]["first_lrs"]
    assert docs[0]["first_lrs"][1] == pytest.approx(docs[0]["first_lrs"][0] / 10, rel=1e-12)


def test_a_missing_lightning_is_an_import_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrlab.integrations._lightning_run import import_lightning

    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    monkeypatch.setitem(sys.modules, "pytorch_lightning", None)
    with pytest.raises(ImportError, match=r"pip install lrlab\[lightning\]"):
        import_lightning()


FALLBACK = """
import sys
sys.modules["lightning"] = None  # as if only pytorch_lightning were installed
import pytorch_lightning as pl
import torch
from lrlab.integrations import lightning as integ
assert integ.pl is pl and issubclass(integ.LRFinder, pl.Callback)

class M(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.lr = 0.1
        self.net = torch.nn.Linear(3, 1)
    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)

torch.manual_seed(0)
x = torch.randn(64, 3)
data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)
model, finder = M(), integ.LRFinder(start_lr=1e-4, end_lr=10.0, num_iter=15)
pl.Trainer(accelerator="cpu", max_steps=1, logger=False, enable_progress_bar=False, enable_checkpointing=False,
           enable_model_summary=False, callbacks=[finder], default_root_dir=sys.argv[1]).fit(model, data)
assert model.lr == finder.suggested_lr != 0.1
print("LR", finder.suggested_lr)
"""


def test_it_works_with_pytorch_lightning_alone(tmp_path: Path) -> None:
    pytest.importorskip("pytorch_lightning")
    # As this file's marks: Lightning's own warnings (pytree under torch 2.13, advice on workers) only.
    warn = ["-W", "error", "-W", "ignore:`isinstance(treespec:FutureWarning", "-W", "ignore::UserWarning"]
    proc = subprocess.run(
        [sys.executable, *warn, "-c", FALLBACK, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "LR " in proc.stdout


class Manual(Net):
    def __init__(self) -> None:
        super().__init__(schedule="none")
        self.automatic_optimization = False


class Plateau(Net):
    def configure_optimizers(self) -> Any:
        opt = torch.optim.SGD(self.parameters(), lr=self.lr)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "train_loss"}}


@pytest.mark.parametrize(
    ("module", "options", "match"),
    [
        (Manual, {}, "the module must use automatic optimization"),
        (Plateau, {"mode": "confirm"}, "mode='confirm' must read the schedule's shape, got ReduceLROnPlateau"),
    ],
    ids=["manual-optimization", "confirm-with-plateau"],
)
def test_what_the_finder_cannot_run_raises_before_it_trains(
    tmp_path: Path, module: type, options: dict[str, Any], match: str
) -> None:
    model = module()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=match):
        find_lr(trainer(tmp_path, []), model, train_dataloaders=make_loader(), **options)
    assert same(model.state_dict(), before) and model.lr == 0.05 and model.seen_dtypes == []
