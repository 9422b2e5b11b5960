"""One batch -> loss contract everywhere: a Hugging Face-style model (dict batches in, ``outputs.loss``
out) through find_lr, sweep_lr (vmapped and sequential, exact to torch.optim) and suggest_lr."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lrlab
from lrlab.sweep import sweep_lr

VOCAB, DIM, LEN = 11, 8, 6


@dataclass
class CausalLMOutput:
    """Like transformers' ModelOutput: the loss when labels are given, and the logits."""

    loss: torch.Tensor | None
    logits: torch.Tensor


class TinyLM(nn.Module):
    """``model(input_ids=..., labels=...) -> output with .loss``, as a Hugging Face causal LM."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(DIM, VOCAB)

    def forward(
        self, input_ids: torch.Tensor, labels: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None
    ) -> CausalLMOutput:
        h = torch.tanh(self.embed(input_ids))
        if attention_mask is not None:
            h = h * attention_mask[..., None]
        logits = self.head(self.drop(h))
        loss = None if labels is None else F.cross_entropy(logits.flatten(0, 1), labels.flatten())
        return CausalLMOutput(loss, logits)


def lm(seed: int = 0, dropout: float = 0.0) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(dropout).double()


def dict_batches(n: int = 3, seed: int = 1) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        ids = torch.randint(0, VOCAB, (4, LEN + 1), generator=g)
        out.append({"input_ids": ids[:, :-1], "labels": ids[:, 1:], "attention_mask": torch.ones(4, LEN).double()})
    return out


def step_fn(model: nn.Module, batch: dict[str, torch.Tensor]) -> Any:
    return model(**batch)  # an output object: lrlab reads its .loss


def ordinary(
    model: nn.Module, make_opt: Any, data: list[Any], steps: int, scheduler: Any = None
) -> tuple[nn.Module, list[float]]:
    ref = copy.deepcopy(model)
    opt = make_opt(ref)
    sched = None if scheduler is None else scheduler(opt)
    losses = []
    for t in range(steps):
        opt.zero_grad()
        loss = ref(**data[t % len(data)]).loss
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return ref, losses


def assert_copy(result: Any, k: int, ref: nn.Module, losses: list[float]) -> None:
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(result.params_of(k)[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-14, err_msg=key)
    np.testing.assert_allclose(result.train_losses[k], losses, rtol=1e-10)


@pytest.mark.parametrize("mode", ["vmap", "sequential"])
@pytest.mark.parametrize("opt_name", ["sgd-momentum", "adamw"])
def test_sweep_on_dict_batches_is_exact_to_torch(mode: str, opt_name: str) -> None:
    make = {
        "sgd-momentum": lambda m, lr: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9),
        "adamw": lambda m, lr: torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.01),
    }[opt_name]
    model, data, lrs = lm(), dict_batches(), [1e-3, 3e-2, 0.3]
    result = sweep_lr(
        model,
        make(model, 0.1),
        None,
        data,
        lrs=lrs,
        steps=8,
        step_fn=step_fn,
        mode=mode,
        val_loader=dict_batches(2, seed=5),
        val_batches=None,
    )
    assert result.mode == mode and result.val_losses is not None
    for k, lr in enumerate(lrs):
        ref, losses = ordinary(model, lambda m, lr=lr: make(m, lr), data, 8)
        assert_copy(result, k, ref, losses)


@pytest.mark.parametrize("mode", ["vmap", "sequential"])
def test_scheduled_sweep_is_exact_to_torch_lambdalr_and_onecycle(mode: str) -> None:
    steps, lrs = 10, [0.01, 0.1, 0.5]
    spec = "warmup_cosine(1.0, warmup=3, total=10, min_lr=0.0)"
    shape = lrlab.schedules.parse(spec)
    model, data = lm(), dict_batches()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    result = sweep_lr(model, opt, None, data, lrs=lrs, steps=steps, schedule=spec, step_fn=step_fn, mode=mode)
    np.testing.assert_array_equal(result.lr_factors, shape(np.arange(steps)))
    for k, lr in enumerate(lrs):
        ref, losses = ordinary(
            model,
            lambda m, lr=lr: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, nesterov=True),
            data,
            steps,
            scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, shape),
        )
        assert_copy(result, k, ref, losses)

    def onecycle(o: torch.optim.Optimizer) -> Any:  # torch's defaults: the momentum (beta1) cycles too
        return torch.optim.lr_scheduler.OneCycleLR(o, max_lr=o.param_groups[0]["lr"], total_steps=steps)

    makers = [
        lambda m, lr: torch.optim.Adam(m.parameters(), lr=lr),
        lambda m, lr: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3),
    ]
    for make in makers:
        result = sweep_lr(
            model, make(model, 0.1), None, data, lrs=lrs, steps=steps, schedule=onecycle, step_fn=step_fn, mode=mode
        )
        assert result.momenta is not None and result.momenta.max() == pytest.approx(0.95)
        for k, lr in enumerate(lrs):
            ref, losses = ordinary(model, lambda m, lr=lr, make=make: make(m, lr), data, steps, scheduler=onecycle)
            assert_copy(result, k, ref, losses)


def test_range_test_and_suggest_lr_take_dict_batches() -> None:
    model, data = lm(seed=3, dropout=0.1), dict_batches(8)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = copy.deepcopy(model.state_dict())
    result = lrlab.find_lr(model, opt, None, data, step_fn=step_fn, start_lr=1e-5, end_lr=10, num_iter=30)
    assert result.steps >= 10 and np.isfinite(result.losses[:10]).all()
    shape = {"schedule": "warmup_cosine(1.0, warmup=20, total=200)", "total_steps": 200}
    conf = lrlab.suggest_lr(model, opt, None, data, step_fn=step_fn, num_iter=30, seed=0, **shape)
    via_options = lrlab.suggest_lr(
        model, opt, None, data, range_test_options={"step_fn": step_fn}, num_iter=30, seed=0, **shape
    )
    assert conf.lr == via_options.lr and conf.lr > 0
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert opt.param_groups[0]["lr"] == 1e-3 and not opt.state
    with pytest.raises(ValueError, match="step_fn must be given once"):
        lrlab.suggest_lr(model, opt, None, data, step_fn=step_fn, range_test_options={"step_fn": step_fn})


def test_dict_batches_without_step_fn_fail_before_any_work() -> None:
    model, data = lm(), dict_batches()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"batches must be \(inputs, targets\) pairs for the criterion, got a dict"):
        sweep_lr(model, opt, nn.CrossEntropyLoss(), data, lrs=[0.1], steps=3)
