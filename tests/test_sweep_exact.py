"""Exactness: copy k of a sweep equals an ordinary torch run at lrs[k] on the same batches (float64)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from lrlab.sweep import sweep_lr

RTOL = 1e-10
STEPS = 12
LRS = [1e-3, 3e-2, 0.3, 1.0]

OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {}),
    "sgd-momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "sgd-dampening-wd": (torch.optim.SGD, {"momentum": 0.8, "dampening": 0.3, "weight_decay": 1e-2}),
    "sgd-nesterov-wd": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    "sgd-maximize": (torch.optim.SGD, {"momentum": 0.5, "maximize": True}),
    "adam": (torch.optim.Adam, {}),
    "adam-betas-wd": (torch.optim.Adam, {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2}),
    "adam-amsgrad": (torch.optim.Adam, {"amsgrad": True}),
    "adamw": (torch.optim.AdamW, {}),
    "adamw-wd-amsgrad": (torch.optim.AdamW, {"weight_decay": 0.1, "amsgrad": True}),
}


def tiny_mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()


def batches(n: int = 3, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (8,), generator=g)) for _ in range(n)
    ]


def ordinary_run(
    model: nn.Module, make_opt: Callable[[nn.Module], torch.optim.Optimizer], data: list[Any], steps: int
) -> tuple[nn.Module, list[float]]:
    ref = copy.deepcopy(model)
    opt = make_opt(ref)
    crit = nn.CrossEntropyLoss()
    losses = []
    for t in range(steps):
        x, y = data[t % len(data)]
        opt.zero_grad()
        loss = crit(ref(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return ref, losses


def assert_matches(result: Any, k: int, ref: nn.Module, losses: list[float]) -> None:
    got = result.params_of(k)
    want = ref.state_dict()
    assert list(got) == list(want)
    for key, value in want.items():
        np.testing.assert_allclose(got[key].numpy(), value.numpy(), rtol=RTOL, atol=1e-14, err_msg=key)
    np.testing.assert_allclose(result.train_losses[k], losses, rtol=RTOL)


@pytest.mark.parametrize("mode", ["vmap", "sequential"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_copy_k_equals_an_ordinary_run(name: str, mode: str) -> None:
    cls, kwargs = OPTIMIZERS[name]
    model, data = tiny_mlp(), batches()
    optimizer = cls(model.parameters(), lr=0.5, **kwargs)
    result = sweep_lr(model, optimizer, nn.CrossEntropyLoss(), data, lrs=LRS, steps=STEPS, mode=mode)
    assert result.mode == mode
    for k, lr in enumerate(LRS):
        ref, losses = ordinary_run(model, lambda m, lr=lr: cls(m.parameters(), lr=lr, **kwargs), data, STEPS)
        assert_matches(result, k, ref, losses)


@pytest.mark.parametrize("cls", [torch.optim.SGD, torch.optim.AdamW], ids=["sgd", "adamw"])
def test_param_groups_keep_their_lr_ratio_and_settings(cls: type[torch.optim.Optimizer]) -> None:
    model, data = tiny_mlp(), batches()

    def groups(m: nn.Module, lr: float) -> list[dict[str, Any]]:
        first, second = m[0], m[2]  # type: ignore[index]
        return [
            {"params": first.parameters(), "lr": lr, "weight_decay": 0.05},
            {"params": second.parameters(), "lr": lr / 4, "weight_decay": 0.0},
        ]

    extra = {"momentum": 0.9} if cls is torch.optim.SGD else {}
    optimizer = cls(groups(model, 0.2), **extra)
    result = sweep_lr(model, optimizer, nn.CrossEntropyLoss(), data, lrs=LRS, steps=STEPS)
    assert result.mode == "vmap"
    for k, lr in enumerate(LRS):
        ref, losses = ordinary_run(model, lambda m, lr=lr: cls(groups(m, lr), **extra), data, STEPS)
        assert_matches(result, k, ref, losses)


def test_frozen_and_unused_parameters_stay_put_as_in_torch() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Linear(5, 7)
            self.head = nn.Linear(7, 3)
            self.unused = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(torch.tanh(self.body(x)))

    torch.manual_seed(0)
    model, data = Net().double(), batches()
    model.body.bias.requires_grad_(False)
    make = lambda m, lr=0.1: torch.optim.Adam(m.parameters(), lr=lr, weight_decay=0.1)  # noqa: E731
    result = sweep_lr(model, make(model), nn.CrossEntropyLoss(), data, lrs=LRS, steps=STEPS)
    assert result.mode == "vmap"
    for k, lr in enumerate(LRS):
        ref, losses = ordinary_run(model, lambda m, lr=lr: make(m, lr), data, STEPS)
        assert_matches(result, k, ref, losses)
        assert torch.equal(result.params_of(k)["unused.weight"], model.unused.weight)


def test_tied_weights_are_one_parameter() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(5, 5)
            self.b = nn.Linear(5, 5)
            self.b.weight = self.a.weight
            self.head = nn.Linear(5, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(torch.tanh(self.b(torch.tanh(self.a(x)))))

    torch.manual_seed(0)
    model, data = Tied().double(), batches()
    make = lambda m, lr=0.1: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)  # noqa: E731
    result = sweep_lr(model, make(model), nn.CrossEntropyLoss(), data, lrs=LRS, steps=STEPS)
    for k, lr in enumerate(LRS):
        ref, losses = ordinary_run(model, lambda m, lr=lr: make(m, lr), data, STEPS)
        assert_matches(result, k, ref, losses)
        assert torch.equal(result.params_of(k)["a.weight"], result.params_of(k)["b.weight"])
