"""find_lr's bad input: a clear error, and the model and optimizer untouched."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import lrlab


def _setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = [(torch.randn(8, 4), torch.randint(0, 2, (8,))) for _ in range(3)]
    return model, opt, nn.CrossEntropyLoss(), data


def _frozen_model():
    m = nn.Linear(2, 2)
    m.requires_grad_(False)
    return m


CASES = [
    ({"start_lr": 0.0}, ValueError, "start_lr must be a finite number > 0, got 0.0"),
    ({"start_lr": -1e-3}, ValueError, "start_lr must be a finite number > 0"),
    ({"start_lr": float("nan")}, ValueError, "start_lr must be a finite number > 0"),
    ({"start_lr": "1e-3"}, TypeError, "start_lr must be a real number, got str"),
    ({"start_lr": 1.0, "end_lr": 1.0}, ValueError, r"end_lr must be > start_lr \(1\), got 1.0"),
    ({"end_lr": 1e-9}, ValueError, r"end_lr must be > start_lr \(1e-07\), got 1e-09"),
    ({"end_lr": float("inf")}, ValueError, "end_lr must be a finite number, got inf"),
    ({"num_iter": 1}, ValueError, r"num_iter must be in \[2, 1,000,000\], got 1"),
    ({"num_iter": 10.0}, TypeError, "num_iter must be an int, got float"),
    ({"num_iter": True}, TypeError, "num_iter must be an int, got bool"),
    ({"mode": "cosine"}, ValueError, "mode must be one of 'exp', 'linear', got 'cosine'"),
    ({"smooth": 1.0}, ValueError, r"smooth must be in \[0, 1\), got 1.0"),
    ({"smooth": -0.1}, ValueError, r"smooth must be in \[0, 1\)"),
    ({"diverge_th": 1.0}, ValueError, "diverge_th must be > 1"),
    ({"accumulation_steps": 0}, ValueError, "accumulation_steps must be >= 1, got 0"),
    ({"val_batches": 0, "val_loader": [1]}, ValueError, "val_batches must be >= 1, got 0"),
    ({"check_every": 0}, ValueError, "check_every must be >= 1, got 0"),
    ({"amp": "fp16"}, ValueError, "amp must be False, True, torch.float16 or torch.bfloat16, got 'fp16'"),
    ({"amp": torch.float64}, ValueError, "amp must be False, True"),
    ({"device": "meta"}, ValueError, r"device must be where the model's parameters are \(cpu\), got 'meta'"),
    ({"device": "banana"}, ValueError, r"device must name a torch device such as 'cpu' or 'cuda:0', got 'banana'"),
    ({"device": 1.5}, TypeError, r"device must be a torch.device or a string"),
    ({"num_iter": 10**12}, ValueError, r"num_iter must be in \[2, 1,000,000\], got 1,000,000,000,000"),
    ({"criterion": None}, TypeError, "criterion must be given unless step_fn is, got neither"),
    ({"criterion": 3}, TypeError, "criterion must be callable, got int"),
    ({"step_fn": "loss"}, TypeError, "step_fn must be callable, got str"),
    ({"progress": 1}, TypeError, "progress must be callable, got int"),
    ({"train_loader": []}, ValueError, "train_loader must yield at least one batch, got an empty loader"),
    ({"train_loader": None}, TypeError, "train_loader must be an iterable of batches"),
    ({"train_loader": 5}, TypeError, "train_loader must be an iterable of batches .* got int"),
    ({"val_loader": []}, ValueError, "val_loader must yield at least one batch, got an empty loader"),
    ({"model": "net"}, TypeError, "model must be a torch.nn.Module, got str"),
    ({"optimizer": object()}, TypeError, "optimizer must be a torch.optim.Optimizer, got object"),
    ({"model": _frozen_model()}, ValueError, r"model must have trainable parameters \(requires_grad=True\), got none"),
    (
        {"optimizer": torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)},
        ValueError,
        "optimizer must hold the model's trainable parameters, got none of them",
    ),
]


@pytest.mark.parametrize(("overrides", "exc", "match"), CASES, ids=[m[:40] for _, _, m in CASES])
def test_bad_input_is_rejected_before_anything_changes(overrides, exc, match):
    model, opt, crit, data = _setup()
    state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(opt.state_dict())
    kwargs = {"model": model, "optimizer": opt, "criterion": crit, "train_loader": data, **overrides}
    args = [kwargs.pop(k) for k in ("model", "optimizer", "criterion", "train_loader")]
    with pytest.raises(exc, match=match):
        lrlab.find_lr(*args, **kwargs)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    assert opt.state_dict() == opt_state


def test_param_group_lrs_must_allow_ratios():
    model, _, crit, data = _setup()
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.0}, {"params": model[2].parameters(), "lr": 0.1}])
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['lr'\] must be > 0 when other groups' LRs are not 0"):
        lrlab.find_lr(model, opt, crit, data)
    opt.param_groups[1]["lr"] = float("nan")
    with pytest.raises(ValueError, match=r"optimizer.param_groups\[1\]\['lr'\] must be a finite number >= 0"):
        lrlab.find_lr(model, opt, crit, data)


def test_all_zero_group_lrs_all_follow_the_sweep():
    model, _, crit, data = _setup()
    opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=0.0)
    used = []
    opt.register_step_pre_hook(lambda o, a, k: used.append([g["lr"] for g in o.param_groups]))
    lrlab.find_lr(model, opt, crit, data, num_iter=2, start_lr=0.01, end_lr=0.1)
    assert used == [[0.01, 0.01], [0.1, 0.1]]


def test_loaders_that_run_dry():
    model, opt, crit, data = _setup()
    with pytest.raises(ValueError, match="train_loader must yield at least one batch, got an empty loader"):
        lrlab.find_lr(model, opt, crit, iter([]))
    with pytest.raises(
        ValueError,
        match="train_loader must be re-iterable to be cycled, got a one-shot iterator that ran out after 3 batches",
    ):
        lrlab.find_lr(model, opt, crit, iter(data), num_iter=5)
    with pytest.raises(ValueError, match="val_loader must yield at least one batch, got an empty loader"):
        lrlab.find_lr(model, opt, crit, data, val_loader=iter([]))


def test_bad_batches_and_losses():
    model, opt, crit, data = _setup()
    with pytest.raises(TypeError, match=r"batches must be \(inputs, targets\) pairs for the criterion, got a dict"):
        lrlab.find_lr(model, opt, crit, [{"x": 1}])
    with pytest.raises(
        TypeError, match=r"the loss must be a scalar torch.Tensor \(or an output with a .loss\), got float"
    ):
        lrlab.find_lr(model, opt, None, data, step_fn=lambda m, b: 1.0)
    with pytest.raises(ValueError, match="the loss does not require grad"):
        lrlab.find_lr(model, opt, None, data, step_fn=lambda m, b: crit(m(b[0]), b[1]).detach())
    with pytest.raises(ValueError, match=r"the loss must be a scalar tensor, got shape \(8,\)"):
        lrlab.find_lr(model, opt, nn.CrossEntropyLoss(reduction="none"), data, val_loader=data)
