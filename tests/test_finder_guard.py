"""Nothing is lost: the range test restores model, optimizer, RNGs and modes on every exit."""

from __future__ import annotations

import copy
import os
import random

import numpy as np
import pytest
import torch
from torch import nn

import lrlab
from lrlab.finder import StateGuard


class Net(nn.Module):
    """BatchNorm (running stats), Dropout (RNG), a frozen layer and a non-persistent buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3))
        self.frozen = nn.Linear(8, 8)
        self.frozen.requires_grad_(False)
        self.head = nn.Linear(8, 3)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.head(self.frozen(self.body(x)))


def _data(n_batches: int = 6, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)) for _ in range(n_batches)]


def _trained(opt_name: str):
    """A model and optimizer with history: momentum buffers, two groups, a pending grad, mixed modes."""
    torch.manual_seed(0)
    model = Net()
    groups = [
        {"params": model.body.parameters()},
        {"params": model.head.parameters(), "lr": 0.03},
    ]
    if opt_name == "sgd":
        opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.Adam(groups, lr=0.01, betas=(0.8, 0.95))
    crit = nn.CrossEntropyLoss()
    for x, y in _data(3, seed=1):
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    crit(model(_data(1, seed=2)[0][0]), _data(1, seed=2)[0][1]).backward()  # a grad left pending
    model.body[1].eval()  # mixed train/eval flags must survive as they are
    random.seed(3)
    np.random.seed(4)
    torch.manual_seed(5)
    return model, opt, crit


def _snapshot(model: nn.Module, opt: torch.optim.Optimizer) -> dict:
    return {
        "tensors": {k: v.detach().clone() for k, v in [*model.named_parameters(), *model.named_buffers()]},
        "grads": {k: None if p.grad is None else p.grad.clone() for k, p in model.named_parameters()},
        "requires_grad": {k: p.requires_grad for k, p in model.named_parameters()},
        "opt": copy.deepcopy(opt.state_dict()),
        "modes": [m.training for m in model.modules()],
        "rng": (random.getstate(), np.random.get_state(), torch.get_rng_state()),
        "ids": [id(p) for p in model.parameters()],
    }


def _assert_same(before: dict, model: nn.Module, opt: torch.optim.Optimizer) -> None:
    after = _snapshot(model, opt)
    assert after["ids"] == before["ids"]
    for k, v in before["tensors"].items():
        assert torch.equal(after["tensors"][k], v), k
        assert after["tensors"][k].dtype == v.dtype
    for k, g in before["grads"].items():
        assert (g is None) == (after["grads"][k] is None) and (g is None or torch.equal(g, after["grads"][k])), k
    assert after["requires_grad"] == before["requires_grad"]
    assert after["modes"] == before["modes"]
    so, sa = before["opt"], after["opt"]
    assert so["param_groups"] == sa["param_groups"]
    assert so["state"].keys() == sa["state"].keys()
    for pid, st in so["state"].items():
        assert st.keys() == sa["state"][pid].keys()
        for key, val in st.items():
            other = sa["state"][pid][key]
            assert torch.equal(val, other) if isinstance(val, torch.Tensor) else val == other, key
    r_py, r_np, r_t = before["rng"]
    assert random.getstate() == r_py
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), r_np))
    assert torch.equal(torch.get_rng_state(), r_t)


def _continue(model: nn.Module, opt: torch.optim.Optimizer, crit) -> torch.Tensor:
    """Train on: any leak (RNG, momentum, lr, BN stats, grads) changes the weights."""
    model.train()
    for x, y in _data(3, seed=9):
        crit(model(x), y).backward()  # accumulates onto the pending grad on purpose
        opt.step()
        opt.zero_grad()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


class Boom(RuntimeError):
    pass


def _raising_step(exc: type[BaseException], at: int, crit):
    calls = {"n": 0}

    def step(model, batch):
        calls["n"] += 1
        if calls["n"] == at:
            raise exc("stop here")
        return crit(model(batch[0]), batch[1])

    return step


class RaisingLoader:
    """A re-iterable loader whose 5th batch raises (as a worker error or Ctrl-C would)."""

    def __init__(self, exc: type[BaseException]):
        self.exc = exc

    def __iter__(self):
        for i, batch in enumerate(_data(8)):
            if i == 4:
                raise self.exc("loader stops")
            yield batch


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize(
    "exit_kind", ["success", "diverged", "exception", "interrupt", "loader-exception", "loader-interrupt"]
)
def test_everything_is_restored(opt_name, exit_kind):
    model, opt, crit = _trained(opt_name)
    reference_model, reference_opt, _ = _trained(opt_name)
    before = _snapshot(model, opt)
    kwargs: dict = {"num_iter": 12, "start_lr": 1e-4, "end_lr": 1.0}
    loader = _data()
    raises: type[BaseException] | None = None
    if exit_kind == "diverged":
        kwargs.update(end_lr=1e4, diverge_th=1.5)
    elif exit_kind in ("exception", "interrupt"):
        raises = Boom if exit_kind == "exception" else KeyboardInterrupt
        kwargs["step_fn"] = _raising_step(raises, 5, crit)
    elif exit_kind.startswith("loader"):
        raises = Boom if exit_kind == "loader-exception" else KeyboardInterrupt
        loader = RaisingLoader(raises)
    if raises is None:
        result = lrlab.find_lr(model, opt, crit, loader, **kwargs)
        assert result.steps >= 2
    else:
        with pytest.raises(raises, match=r"stop here|loader stops"):
            lrlab.find_lr(model, opt, crit, loader, **kwargs)
    _assert_same(before, model, opt)
    # The strongest check: training on gives bitwise the weights of a model never tested.
    torch.manual_seed(5)
    random.seed(3)
    np.random.seed(4)
    expected = _continue(reference_model, reference_opt, crit)
    torch.manual_seed(5)
    random.seed(3)
    np.random.seed(4)
    assert torch.equal(_continue(model, opt, crit), expected)


def test_restore_after_non_finite_and_bad_loss():
    model, opt, _ = _trained("sgd")
    before = _snapshot(model, opt)
    with pytest.raises(ValueError, match="the loss must be a scalar tensor, got shape \\(16,\\)"):
        lrlab.find_lr(model, opt, nn.CrossEntropyLoss(reduction="none"), _data(), num_iter=5)
    _assert_same(before, model, opt)
    result = lrlab.find_lr(model, opt, lambda out, y: out.sum() * float("nan"), _data(), num_iter=5)
    assert result.stop_reason == "non-finite" and result.steps == 1
    _assert_same(before, model, opt)


def test_no_files_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(torch, "save", lambda *a, **k: pytest.fail("torch.save called"))
    model, opt, crit = _trained("sgd")
    lrlab.find_lr(model, opt, crit, _data(), num_iter=5)
    assert os.listdir(tmp_path) == []


def test_optimizer_attributes_and_added_groups_are_restored():
    model, opt, _ = _trained("sgd")
    before = _snapshot(model, opt)
    group_objects = list(opt.param_groups)
    with StateGuard(model, opt):
        opt.add_param_group({"params": [nn.Parameter(torch.zeros(2))], "lr": 5.0})
        opt._opt_called = True  # what an attached lr_scheduler's wrapper sets on step()
        opt.param_groups[0]["lr"] = 123.0
        opt.param_groups[1]["betas_extra"] = 1
    assert opt.param_groups == group_objects and not hasattr(opt, "_opt_called")
    _assert_same(before, model, opt)


def test_guard_restores_data_swapped_in_place():
    model = nn.Linear(3, 2)
    weight = model.weight
    value = weight.detach().clone()
    with StateGuard(model, None, rng=False):
        model.weight.data = torch.zeros(5, dtype=torch.float64)
        model.weight.requires_grad_(False)
    assert model.weight is weight and weight.dtype == torch.float32
    assert torch.equal(weight, value) and weight.requires_grad


def test_guard_covers_optimizer_params_outside_the_model():
    model = nn.Linear(2, 1)
    extra = nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([*model.parameters(), extra], lr=0.5)
    with StateGuard(model, opt):
        extra.data.mul_(7)
    assert torch.equal(extra, torch.ones(3))


def test_tensor_lr_is_restored_in_place():
    model = nn.Linear(2, 1)
    lr = torch.tensor(0.01)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    data = [(torch.randn(4, 2), torch.randn(4, 1)) for _ in range(3)]
    result = lrlab.find_lr(model, opt, nn.MSELoss(), data, num_iter=4, start_lr=1e-3, end_lr=1e-1)
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.01)
    np.testing.assert_allclose(result.lrs, [1e-3, 10**-2.3333333333333335, 10**-1.6666666666666667, 1e-1])
