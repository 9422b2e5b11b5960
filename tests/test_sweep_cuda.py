"""The sweep on a CUDA device (skipped without one; the CPU path is tested everywhere else)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from lrlab.sweep import sweep_lr

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

LRS = [1e-3, 1e-2, 0.1, 1.0]


def setup(*extra: nn.Module) -> tuple[nn.Module, list[tuple[torch.Tensor, torch.Tensor]]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), *extra, nn.ReLU(), nn.Linear(16, 3)).double()
    g = torch.Generator().manual_seed(1)
    data = [
        (torch.randn(16, 6, generator=g, dtype=torch.float64), torch.randint(0, 3, (16,), generator=g))
        for _ in range(4)
    ]
    return model, data


@pytest.mark.parametrize("cls", [torch.optim.SGD, torch.optim.AdamW], ids=["sgd", "adamw"])
def test_cuda_sweep_equals_cpu_sweep(cls: type[torch.optim.Optimizer]) -> None:
    # Adam would turn the rounding noise in the (zero) gradient of a bias just before a
    # BatchNorm into O(lr) steps that differ between devices: BatchNorm only with SGD.
    model, data = setup(nn.BatchNorm1d(16)) if cls is torch.optim.SGD else setup(nn.Tanh())
    kw = {"momentum": 0.9} if cls is torch.optim.SGD else {"weight_decay": 0.1}
    cpu = sweep_lr(
        model,
        cls(model.parameters(), lr=0.1, **kw),
        nn.CrossEntropyLoss(),
        data,
        lrs=LRS,
        steps=10,
        val_loader=data[:2],
    )
    gpu_model = copy.deepcopy(model).cuda()
    state = copy.deepcopy(gpu_model.state_dict())
    cuda_rng = torch.cuda.get_rng_state()
    gpu = sweep_lr(
        gpu_model,
        cls(gpu_model.parameters(), lr=0.1, **kw),
        nn.CrossEntropyLoss(),
        data,
        lrs=LRS,
        steps=10,
        val_loader=data[:2],
    )
    assert gpu.mode == "vmap"
    np.testing.assert_allclose(gpu.train_losses, cpu.train_losses, rtol=1e-9)
    np.testing.assert_allclose(gpu.val_losses, cpu.val_losses, rtol=1e-9)
    for key, value in cpu.params_of(2).items():
        got = gpu.params_of(2)[key]
        assert got.device.type == "cuda"
        np.testing.assert_allclose(got.cpu().numpy(), value.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    assert all(torch.equal(v, state[k]) for k, v in gpu_model.state_dict().items())
    assert torch.equal(torch.cuda.get_rng_state(), cuda_rng)


def test_cuda_dropout_masks_are_shared_by_the_copies() -> None:
    # On CUDA the fused dropout kernel of an ordinary run draws other numbers than the
    # vmapped bernoulli does, so only the sharing (not vmap == sequential) holds there.
    model, data = setup(nn.Dropout(0.5))
    model = model.cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    twin = sweep_lr(model, opt, nn.CrossEntropyLoss(), data, lrs=[0.1, 0.1], steps=6, seed=5)
    np.testing.assert_array_equal(twin.train_losses[0], twin.train_losses[1])
    again = sweep_lr(model, opt, nn.CrossEntropyLoss(), data, lrs=[0.1, 0.1], steps=6, seed=5)
    np.testing.assert_array_equal(again.train_losses, twin.train_losses)
