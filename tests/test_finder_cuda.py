"""The range test on a CUDA device (skipped without one; CI's CPU path is the other files)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

import lrlab
from lrlab.finder import StateGuard

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4)).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    data = [(torch.randn(16, 20, generator=g), torch.randint(0, 4, (16,), generator=g)) for _ in range(6)]
    crit = nn.CrossEntropyLoss()
    for x, y in data[:3]:
        opt.zero_grad()
        crit(model(x.cuda()), y.cuda()).backward()
        opt.step()
    return model, opt, crit, data


@pytest.mark.parametrize("exit_kind", ["success", "exception"])
def test_restore_on_cuda_including_cuda_rng(exit_kind):
    model, opt, crit, data = _setup()
    params = {k: v.clone() for k, v in model.state_dict().items()}
    momentum = [opt.state[p]["momentum_buffer"].clone() for p in model.parameters()]
    torch.cuda.manual_seed(7)
    cuda_rng = torch.cuda.get_rng_state()
    calls = {"n": 0}

    def step(m, batch):
        calls["n"] += 1
        if exit_kind == "exception" and calls["n"] == 5:
            raise RuntimeError("boom")
        return crit(m(batch[0]), batch[1])

    if exit_kind == "success":
        r = lrlab.find_lr(model, opt, None, data, step_fn=step, num_iter=25, start_lr=1e-4, end_lr=10)
        assert r.steps >= 2 and all(m.training for m in model.modules())
    else:
        with pytest.raises(RuntimeError, match="boom"):
            lrlab.find_lr(model, opt, None, data, step_fn=step, num_iter=25)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in params.items())
    assert all(torch.equal(b, opt.state[p]["momentum_buffer"]) for b, p in zip(momentum, model.parameters()))
    assert opt.param_groups[0]["lr"] == 0.05 and torch.equal(torch.cuda.get_rng_state(), cuda_rng)
    assert next(model.parameters()).is_cuda


def test_snapshot_is_kept_on_the_cpu():
    model = nn.Linear(2048, 2048).cuda()  # 16 MiB of weights
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    with StateGuard(model, opt):
        inside = torch.cuda.memory_allocated()
    assert inside - before < 1 << 20


def test_deferred_checks_match_every_step_checks():
    results = []
    for check_every in (None, 1):
        model, opt, crit, data = _setup()
        results.append(
            lrlab.find_lr(
                model, opt, crit, data, num_iter=80, start_lr=1e-4, end_lr=1e4, smooth=0.5, check_every=check_every
            )
        )
    a, b = results
    assert a.stop_reason == b.stop_reason != "completed" and a.steps == b.steps < 80
    np.testing.assert_array_equal(a.losses, b.losses)


def test_amp_float16_with_grad_scaler_on_cuda():
    model, opt, crit, data = _setup()
    r = lrlab.find_lr(model, opt, crit, data, num_iter=20, amp=True, start_lr=1e-4, end_lr=1e-1)
    assert r.steps == 20 and np.isfinite(r.losses).all() and not math.isnan(r.smoothed[-1])


def test_cli_find_on_cuda(tmp_path, capsys):
    assert lrlab.cli.main(["find", "--device", "cuda", "--num-iter", "40", "--out", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["suggested_lr"] is not None and len(doc["lrs"]) <= 40
