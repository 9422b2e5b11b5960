"""lrlab on a Hugging Face Trainer: tiny GPT-2 / BERT built from configs (random weights, nothing downloaded),
bytes of stdlib docstrings as tokens (ids 0..255)."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import random
import sys

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

from lrlab import finder  # noqa: E402
from lrlab.integrations import transformers as hf  # noqa: E402
from lrlab.integrations._hf_trainer import trainer_optimizer  # noqa: E402

LENGTH = 32
TEXT = (json.__doc__ + argparse.__doc__).encode("ascii", "replace")


class Bytes(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """Fixed-length windows of TEXT; labels are the inputs (the model shifts them) or, masked, -100 but 1 in 6."""

    def __init__(self, masked: bool = False) -> None:
        self.ids = torch.tensor(list(TEXT))
        self.masked = masked

    def __len__(self) -> int:
        return (len(self.ids) - LENGTH) // 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        x = self.ids[i * 8 : i * 8 + LENGTH]
        if not self.masked:
            return {"input_ids": x, "labels": x.clone()}
        keep = torch.arange(LENGTH) % 6 == i % 6
        return {"input_ids": torch.where(keep, 0, x), "labels": torch.where(keep, x, -100)}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():  # type: ignore[no-untyped-def]
    """One intra-op thread: these models are tiny, and on a shared machine threads only wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def gpt2() -> torch.nn.Module:
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        n_layer=2, n_head=2, n_embd=32, vocab_size=256, n_positions=64, bos_token_id=0, eos_token_id=0
    )
    # Eager attention: vmap (lrlab's sweep) has no batching rule for CPU flash attention.
    config._attn_implementation = "eager"
    return transformers.GPT2LMHeadModel(config)


def make_trainer(tmp_path, model=None, dataset=None, **overrides):  # type: ignore[no-untyped-def]
    options = dict(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        per_device_train_batch_size=8,
        max_steps=40,
        lr_scheduler_type="cosine",
        warmup_steps=0.1,
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
    )
    options.update(overrides)
    args = transformers.TrainingArguments(**options)
    return transformers.Trainer(model=model or gpt2(), args=args, train_dataset=dataset or Bytes())


def snapshot(trainer):  # type: ignore[no-untyped-def]
    model = trainer.model
    return {
        "tensors": {k: v.clone() for k, v in model.state_dict().items()},
        "modes": [m.training for m in model.modules()],
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state()[1].copy(),
        "loaders": len(trainer.accelerator._dataloaders),
    }


def assert_as_before(trainer, before) -> None:  # type: ignore[no-untyped-def]
    after = snapshot(trainer)
    assert after["tensors"].keys() == before["tensors"].keys()
    assert all(torch.equal(after["tensors"][k], v) for k, v in before["tensors"].items())
    assert after["modes"] == before["modes"]
    assert torch.equal(after["torch"], before["torch"])
    assert after["python"] == before["python"]
    assert np.array_equal(after["numpy"], before["numpy"])
    assert after["loaders"] == before["loaders"]
    assert trainer.optimizer is None and trainer.lr_scheduler is None


def test_find_lr_leaves_the_trainer_as_it_was(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trainer = make_trainer(tmp_path)
    trainer.model.eval()
    trainer.model.transformer.h[0].train()  # mixed modes come back as they were
    before = snapshot(trainer)
    result = hf.find_lr(trainer, num_iter=20, start_lr=1e-5, end_lr=1.0)
    assert result.steps >= 2 and np.all(np.isfinite(result.losses[:2]))
    assert_as_before(trainer, before)


def test_the_optimizer_is_the_one_the_trainer_would_create(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trainer = make_trainer(tmp_path, learning_rate=3e-4, weight_decay=0.05)
    cls, _ = transformers.Trainer.get_optimizer_cls_and_kwargs(trainer.args, trainer.model)
    with trainer_optimizer(trainer) as opt:
        assert type(opt) is cls and trainer.optimizer is None
        decay, no_decay = opt.param_groups
        assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
        assert decay["lr"] == no_decay["lr"] == 3e-4
        names = {id(p): n for n, p in trainer.model.named_parameters()}
        assert all("bias" in names[id(p)] or "ln_" in names[id(p)] for p in no_decay["params"])
        assert len(decay["params"]) + len(no_decay["params"]) == len(list(trainer.model.parameters()))
    assert trainer.optimizer is None


def test_find_lr_is_the_range_test_on_the_trainers_parts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bitwise the same curve as lrlab's range test on the optimizer, loader and loss built by hand."""
    trainer = make_trainer(tmp_path, gradient_accumulation_steps=2, max_grad_norm=0.0, weight_decay=0.1)
    result = hf.find_lr(trainer, num_iter=12, start_lr=1e-4, end_lr=1.0)
    cls, kwargs = transformers.Trainer.get_optimizer_cls_and_kwargs(trainer.args, trainer.model)
    decay = set(trainer.get_decay_parameter_names(trainer.model))
    groups = [
        {"params": [p for n, p in trainer.model.named_parameters() if n in decay], "weight_decay": 0.1},
        {"params": [p for n, p in trainer.model.named_parameters() if n not in decay], "weight_decay": 0.0},
    ]
    ref = finder.find_lr(
        trainer.model,
        cls(groups, **kwargs),
        None,
        trainer.get_train_dataloader(),
        num_iter=12,
        start_lr=1e-4,
        end_lr=1.0,
        accumulation_steps=2,
        step_fn=lambda model, batch: model(**batch),
    )
    assert result.steps == ref.steps and np.array_equal(result.losses, ref.losses)


def test_find_lr_clips_to_max_grad_norm(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def curve(**overrides):  # type: ignore[no-untyped-def]
        return hf.find_lr(make_trainer(tmp_path, **overrides), num_iter=6, start_lr=1e-3, end_lr=1e-1).losses

    plain = curve(max_grad_norm=0.0)
    assert np.array_equal(curve(max_grad_norm=1e9), plain)  # a bound never reached changes nothing
    clipped = curve(max_grad_norm=1e-4)
    assert clipped[0] == plain[0] and not np.array_equal(clipped, plain)
    trainer = make_trainer(tmp_path, max_grad_norm=1e-4)
    assert np.array_equal(hf.find_lr(trainer, max_grad_norm=None, num_iter=6, start_lr=1e-3, end_lr=1e-1).losses, plain)


def test_suggest_lr_clips_the_range_test_and_every_sweep_copy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def confirm(**overrides):  # type: ignore[no-untyped-def]
        return hf.suggest_lr(make_trainer(tmp_path, **overrides), num_iter=20, budget_steps=200)

    clipped, plain = confirm(max_grad_norm=1e-4), confirm(max_grad_norm=0.0)
    assert clipped.rounds and all(r.sweep.max_grad_norm == 1e-4 for r in clipped.rounds)
    assert all(r.sweep.max_grad_norm is None for r in plain.rounds)
    assert not np.array_equal(clipped.range_test.losses, plain.range_test.losses)


def test_suggest_lr_reads_the_schedule_and_applies_the_lr(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trainer = make_trainer(tmp_path)
    before = snapshot(trainer)
    conf = hf.suggest_lr(trainer, num_iter=30, budget_steps=200, apply=True)
    assert trainer.args.learning_rate == conf.lr != 5e-5  # the one change apply=True makes
    assert_as_before(trainer, before)
    assert math.isfinite(conf.lr) and conf.range_test.lrs[0] <= conf.lr <= conf.range_test.lrs[-1]
    assert conf.schedule == "cosine (warmup 4 of 40 steps)" and conf.total_steps == 40
    # the shape is transformers' cosine with 4 warmup steps, peak 1
    factors = np.asarray(conf.lr_factors)
    assert factors[0] == 0.0 and factors[4] == 1.0
    assert factors[-1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 35 / 36)))


def test_training_after_suggest_lr_is_the_training_without_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trainer = make_trainer(tmp_path)
    conf = hf.suggest_lr(trainer, num_iter=20, budget_steps=200, apply=True)
    out = trainer.train()
    twin = make_trainer(tmp_path, learning_rate=conf.lr)
    twin_out = twin.train()
    assert out.training_loss == twin_out.training_loss
    for (name, p), q in zip(trainer.model.named_parameters(), twin.model.parameters()):
        assert torch.equal(p, q), name


def test_epochs_give_the_run_length(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lrlab.integrations._hf_trainer import total_steps

    trainer = make_trainer(tmp_path, max_steps=-1, num_train_epochs=2.5, gradient_accumulation_steps=4)
    loader = trainer.get_train_dataloader()
    steps_per_epoch = math.ceil(len(loader) / 4)
    assert len(loader) == math.ceil(len(Bytes()) / 8)
    assert total_steps(trainer, loader) == math.ceil(2.5 * steps_per_epoch)
    assert total_steps(make_trainer(tmp_path, max_steps=7), loader) == 7
    # the Trainer's own reckoning agrees
    assert trainer.set_initial_training_values(trainer.args, loader)[-1] == total_steps(trainer, loader)


def test_find_lr_on_a_masked_lm(tmp_path) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=256,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    trainer = make_trainer(tmp_path, model=transformers.BertForMaskedLM(config), dataset=Bytes(masked=True))
    before = snapshot(trainer)
    result = hf.find_lr(trainer, num_iter=15, start_lr=1e-5, end_lr=1.0)
    assert result.steps >= 2 and np.isfinite(result.losses[0])
    assert_as_before(trainer, before)


def test_the_callback_trains_as_the_twin_at_its_lr(tmp_path) -> None:  # type: ignore[no-untyped-def]
    callback = hf.LRFinderCallback(num_iter=20, budget_steps=200)
    trainer = make_trainer(tmp_path)
    trainer.add_callback(callback)
    out = trainer.train()
    assert callback.result is not None and math.isfinite(callback.result.lr)
    assert trainer.lr_scheduler.base_lrs == [callback.result.lr] * 2
    twin = make_trainer(tmp_path, learning_rate=callback.result.lr)
    assert twin.train().training_loss == out.training_loss
    assert all(torch.equal(p, q) for p, q in zip(trainer.model.parameters(), twin.model.parameters()))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda t: hf.find_lr(object()), TypeError, "trainer must be a transformers.Trainer"),
        (lambda t: hf.find_lr(t, num_iters=5), ValueError, r"options must be among .*\['num_iters'\]"),
        (lambda t: hf.find_lr(t, model=None), ValueError, "come from the Trainer"),
        (
            lambda t: hf.find_lr(t, max_grad_norm=-1.0),
            ValueError,
            "max_grad_norm must be a finite number >= 0, got -1.0",
        ),
        (lambda t: hf.find_lr(t, num_iter=1), ValueError, "num_iter"),
        (lambda t: hf.suggest_lr(t, apply=1), TypeError, "apply must be True or False"),
        (lambda t: hf.suggest_lr(t, criterion=None), ValueError, "come from the Trainer"),
        (lambda t: hf.LRFinderCallback(schedule=None), ValueError, r"options must be among"),
    ],
    ids=["not-a-trainer", "unknown", "from-trainer", "clip", "num-iter", "apply", "criterion", "callback"],
)
def test_bad_options_raise_before_anything_trains(tmp_path, call, error, match) -> None:  # type: ignore[no-untyped-def]
    trainer = make_trainer(tmp_path)
    before = snapshot(trainer)
    with pytest.raises(error, match=match):
        call(trainer)
    assert_as_before(trainer, before)


def test_suggest_lr_refuses_what_it_cannot_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plateau = make_trainer(tmp_path)
    plateau.args.lr_scheduler_type = "reduce_lr_on_plateau"  # TrainingArguments would also want an eval set
    with pytest.raises(ValueError, match=r"args\.lr_scheduler_type must be a schedule with a shape"):
        hf.suggest_lr(plateau)
    model = gpt2()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    own = make_trainer(tmp_path, model=model)
    own.optimizer, own.lr_scheduler = opt, torch.optim.lr_scheduler.StepLR(opt, 10)
    with pytest.raises(ValueError, match="apply must be False"):
        hf.suggest_lr(own, apply=True)
    with pytest.raises(ValueError, match="schedule must be given"):
        hf.suggest_lr(own)


def test_a_missing_transformers_names_the_extra(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.delitem(sys.modules, "lrlab.integrations.transformers")
    with pytest.raises(ImportError, match=r"pip install lrlab\[transformers\]"):
        importlib.import_module("lrlab.integrations.transformers")
    monkeypatch.undo()
    assert importlib.import_module("lrlab.integrations.transformers") is hf


def test_a_trainer_that_trained_keeps_its_optimizer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trainer = make_trainer(tmp_path, max_steps=5)
    trainer.train()
    optimizer, scheduler = trainer.optimizer, trainer.lr_scheduler
    state = {id(p): {k: v.clone() for k, v in s.items()} for p, s in optimizer.optimizer.state.items()}
    lrs = [g["lr"] for g in optimizer.param_groups]
    result = hf.find_lr(trainer, num_iter=5, start_lr=1e-4, end_lr=1e-2)
    assert result.steps == 5
    assert trainer.optimizer is optimizer and trainer.lr_scheduler is scheduler
    assert [g["lr"] for g in optimizer.param_groups] == lrs
    for p, s in optimizer.optimizer.state.items():
        assert all(torch.equal(v, state[id(p)][k]) for k, v in s.items())
    with pytest.raises(ValueError, match="apply must be False"):
        hf.suggest_lr(trainer, apply=True)


def test_apply_writes_a_frozen_arguments_object() -> None:
    import dataclasses

    from lrlab.integrations._hf_trainer import set_learning_rate

    @dataclasses.dataclass(frozen=True)
    class Args:
        learning_rate: float = 5e-5

    args = Args()
    set_learning_rate(args, 1e-3)
    assert args.learning_rate == 1e-3
    with pytest.raises(TypeError, match=r"trainer\.args must have a learning_rate"):
        set_learning_rate(object(), 1e-3)


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("linear", {}),
        ("cosine", {}),
        ("cosine_with_restarts", {"num_cycles": 2}),
        ("constant", {}),
        ("constant_with_warmup", {}),
        ("inverse_sqrt", {}),
        ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
        ("warmup_stable_decay", {"num_decay_steps": 10}),
    ],
)
def test_the_shape_is_the_trainers_schedule(tmp_path, kind, kwargs) -> None:  # type: ignore[no-untyped-def]
    """The shape suggest_lr reads equals the LRs of the scheduler Trainer.create_scheduler builds, over the peak."""
    from lrlab.integrations._hf_trainer import scheduler_factory
    from lrlab.schedules.shape import schedule_shape

    trainer = make_trainer(tmp_path, lr_scheduler_type=kind, lr_scheduler_kwargs=kwargs, learning_rate=1e-3)
    shape = schedule_shape(scheduler_factory(trainer, 40), 40)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1e-3)
    scheduler = trainer.create_scheduler(40, optimizer=opt)
    trainer.lr_scheduler = None
    lrs = []
    for _ in range(40):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(shape.lr, np.array(lrs) / 1e-3, rtol=1e-12, atol=1e-15)
