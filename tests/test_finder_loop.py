"""find_lr: the schedule, exact parity with a hand-written loop, and every option."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

import lrlab
from lrlab.finder import LossMonitor, lr_sequence


def _problem(n_batches: int = 8, dtype=torch.float64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(5, 1, generator=g, dtype=dtype)
    data = []
    for _ in range(n_batches):
        x = torch.randn(12, 5, generator=g, dtype=dtype)
        data.append((x, x @ w + 0.1 * torch.randn(12, 1, generator=g, dtype=dtype)))
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 1)).to(dtype)
    return model, data


def _reference(model, opt, crit, data, lrs, accumulation_steps=1):
    """The range test written out by hand (torch-lr-finder's loop without smoothing)."""
    losses, used = [], []
    it = iter(data)

    def nxt():
        nonlocal it
        try:
            return next(it)
        except StopIteration:
            it = iter(data)
            return next(it)

    model.train()
    for lr in lrs:
        for g in opt.param_groups:
            g["lr"] = lr * g["ratio"]
        opt.zero_grad()
        total = 0.0
        for _ in range(accumulation_steps):
            x, y = nxt()
            loss = crit(model(x), y) / accumulation_steps
            loss.backward()
            total += loss.item()
        used.append([g["lr"] for g in opt.param_groups])
        opt.step()
        losses.append(total)
    return np.array(losses), used


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("accumulation_steps", [1, 3])
def test_parity_with_a_hand_written_loop(opt_name, accumulation_steps):
    """float64, 40 steps over a cycled loader, two param groups with an LR ratio."""
    num_iter = 40
    runs = []
    for _ in range(2):
        model, _ = _problem()
        groups = [{"params": model[0].parameters(), "lr": 0.2}, {"params": model[2].parameters(), "lr": 0.05}]
        opt = torch.optim.SGD(groups, momentum=0.9) if opt_name == "sgd" else torch.optim.Adam(groups)
        runs.append((model, opt))
    (m1, o1), (m2, o2) = runs
    crit = nn.MSELoss()
    used: list[list[float]] = []
    o1.register_step_pre_hook(lambda opt, a, k: used.append([g["lr"] for g in opt.param_groups]))
    result = lrlab.find_lr(
        m1,
        o1,
        crit,
        _problem()[1],
        start_lr=1e-4,
        end_lr=0.5,
        num_iter=num_iter,
        diverge_th=math.inf,
        accumulation_steps=accumulation_steps,
    )
    for g, ratio in zip(o2.param_groups, (1.0, 0.25)):
        g["ratio"] = ratio
    expected, expected_used = _reference(
        m2, o2, crit, _problem()[1], lr_sequence(1e-4, 0.5, num_iter), accumulation_steps
    )
    assert result.stop_reason == "completed" and result.steps == num_iter
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(used, expected_used, rtol=1e-15)
    np.testing.assert_allclose(result.lrs, [u[0] for u in used], rtol=0, atol=0)


def test_lr_sequence_matches_torch_lr_finder_schedules():
    lrs = lr_sequence(1e-7, 10.0, 100)
    assert lrs[0] == 1e-7 and lrs[-1] == 10.0
    np.testing.assert_allclose(lrs, [1e-7 * (1e8) ** (i / 99) for i in range(100)], rtol=1e-13)
    np.testing.assert_allclose(np.diff(np.log(lrs)), np.log(1e8) / 99, rtol=1e-9)
    lin = lr_sequence(0.1, 1.0, 10, "linear")
    np.testing.assert_allclose(lin, np.linspace(0.1, 1.0, 10), rtol=1e-15)


def test_monitor_ema_with_bias_correction_and_stop():
    mon = LossMonitor(0.9, 4.0)
    raw = [2.0, 1.0, 1.5, 0.5, 10.0, 40.0]
    stops = [mon.push(v) for v in raw]
    avg, expected = 0.0, []
    for i, v in enumerate(raw[: len(mon.smoothed)]):
        avg = 0.9 * avg + 0.1 * v
        expected.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(mon.smoothed, expected, rtol=1e-15)
    fired = stops.index(True)
    assert mon.stop_reason == "diverged" and fired == len(mon.smoothed) - 1
    assert expected[fired] > 4 * min(expected[:fired]) and all(
        e <= 4 * min(expected[: i + 1]) for i, e in enumerate(expected[:fired])
    )
    raw_mon = LossMonitor(0.0, 4.0)
    assert not raw_mon.push(3.0) and raw_mon.smoothed == [3.0]
    assert raw_mon.push(float("inf")) and raw_mon.stop_reason == "non-finite"


def test_divergence_stops_and_records_the_firing_step():
    model, data = _problem(dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = lrlab.find_lr(model, opt, nn.MSELoss(), data, start_lr=1e-3, end_lr=1e3, num_iter=200, smooth=0.5)
    assert r.stop_reason in ("diverged", "non-finite") and r.steps < 200
    assert len(r.losses) == len(r.smoothed) == len(r.lrs) == r.steps
    fin = r.smoothed[np.isfinite(r.smoothed)]
    if r.stop_reason == "diverged":
        assert fin[-1] > 4 * fin[:-1].min() and np.all(fin[:-1] <= 4 * np.minimum.accumulate(fin[:-1]))


def test_nan_counts_as_divergence():
    model, data = _problem(dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = {"n": 0}

    def step(m, batch):
        calls["n"] += 1
        loss = nn.functional.mse_loss(m(batch[0]), batch[1])
        return loss * float("nan") if calls["n"] == 7 else loss

    r = lrlab.find_lr(model, opt, None, data, step_fn=step, num_iter=50, diverge_th=math.inf)
    assert r.stop_reason == "non-finite" and r.steps == 7
    assert math.isnan(r.losses[-1]) and math.isnan(r.smoothed[-1]) and np.isfinite(r.smoothed[:-1]).all()
    assert r.to_dict()["losses"][-1] is None


@pytest.mark.parametrize("every", [1, 3, 10])
def test_check_every_gives_the_same_result(every):
    results = []
    for check_every in (1, every):
        model, data = _problem(dtype=torch.float32)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        results.append(
            lrlab.find_lr(
                model,
                opt,
                nn.MSELoss(),
                data,
                start_lr=1e-3,
                end_lr=1e3,
                num_iter=100,
                smooth=0.5,
                check_every=check_every,
            )
        )
    a, b = results
    assert a.steps == b.steps and a.stop_reason == b.stop_reason
    np.testing.assert_array_equal(a.losses, b.losses)


def test_loader_is_cycled_and_any_reiterable_works():
    class Batches:  # no __len__, re-iterable: a streaming loader
        def __iter__(self):
            yield from _problem(n_batches=2)[1]

    model, _ = _problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    r = lrlab.find_lr(
        model,
        opt,
        None,
        Batches(),
        num_iter=5,
        diverge_th=math.inf,
        step_fn=lambda m, b: seen.append(b[0][0, 0].item()) or nn.functional.mse_loss(m(b[0]), b[1]),
    )
    assert r.steps == 5 and seen[0] == seen[2] == seen[4] and seen[1] == seen[3] != seen[0]


def test_dict_batches_with_step_fn_and_model_returning_its_own_loss():
    class LossModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(5, 1, dtype=torch.float64)

        def forward(self, features, target):
            return {"loss": nn.functional.mse_loss(self.lin(features), target)}

    _, data = _problem()
    batches = [{"features": x, "target": y, "note": "kept"} for x, y in data]
    model = LossModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    notes = []

    def step(m, batch):
        notes.append(batch["note"])
        return m(batch["features"], batch["target"])["loss"]

    r = lrlab.find_lr(model, opt, None, batches, step_fn=step, num_iter=6, start_lr=1e-3, end_lr=1e-1)
    assert r.steps == 6 and notes == ["kept"] * 6 and np.isfinite(r.losses).all()


def test_validation_losses_are_recorded_and_monitored():
    model, data = _problem(dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    val = _problem(n_batches=3, dtype=torch.float32, seed=1)[1]
    modes = []
    model.register_forward_pre_hook(lambda m, a: modes.append(m.training))
    r = lrlab.find_lr(
        model,
        opt,
        nn.MSELoss(),
        data,
        val_loader=val,
        val_batches=2,
        num_iter=5,
        start_lr=1e-3,
        end_lr=1e-1,
        smooth=0.0,
    )
    assert r.monitor == "val" and r.val_losses is not None and r.val_losses.shape == (5,)
    np.testing.assert_allclose(r.smoothed, r.val_losses, rtol=1e-12)  # smooth=0: smoothed is the raw val loss
    assert modes == [True, False, False] * 5  # one training forward, then two eval batches


def test_amp_bfloat16_on_cpu_runs_under_autocast():
    model, data = _problem(dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    dtypes = []
    model[0].register_forward_hook(lambda m, a, out: dtypes.append(out.dtype))
    r = lrlab.find_lr(model, opt, nn.MSELoss(), data, num_iter=4, amp=True, start_lr=1e-3, end_lr=1e-2)
    assert dtypes == [torch.bfloat16] * 4 and np.isfinite(r.losses).all()
    assert model[0].weight.dtype == torch.float32


def test_amp_float16_uses_a_grad_scaler(monkeypatch):
    created = []
    original = torch.amp.GradScaler

    class Spy(original):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            created.append(self)

    monkeypatch.setattr(torch.amp, "GradScaler", Spy)
    model, data = _problem(dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lrlab.find_lr(model, opt, nn.MSELoss(), data, num_iter=3, amp=torch.float16, start_lr=1e-3, end_lr=1e-2)
    assert len(created) == 1


def test_progress_is_reported_each_step():
    model, data = _problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []
    lrlab.find_lr(
        model,
        opt,
        nn.MSELoss(),
        data,
        num_iter=4,
        start_lr=1e-3,
        end_lr=1e-2,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_reduce_loss_hook_sees_each_chunk_and_its_output_is_recorded():
    model, data = _problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    chunks = []

    def reduce(t):
        chunks.append(t.shape)
        return t * 0 + 1.5  # what every rank would get back from an all-reduce

    r = lrlab.find_lr(model, opt, nn.MSELoss(), data, num_iter=6, check_every=4, reduce_loss=reduce)
    assert chunks == [(4,), (2,)] and np.all(r.losses == 1.5)


def test_linear_mode():
    model, data = _problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = lrlab.find_lr(model, opt, nn.MSELoss(), data, num_iter=5, start_lr=0.01, end_lr=0.05, mode="linear")
    np.testing.assert_allclose(r.lrs, [0.01, 0.02, 0.03, 0.04, 0.05], rtol=1e-15)
    assert r.mode == "linear"


class _FakeEvent:
    def __init__(self):
        self.waited = 0

    def synchronize(self):
        self.waited += 1


@pytest.mark.parametrize("every", [1, 4, 7])
def test_lagged_chunks_give_the_same_record(monkeypatch, every):
    """The CUDA path (chunks read one chunk late, behind an event), exercised on the CPU."""
    from lrlab.finder import _record

    events: list[_FakeEvent] = []

    def to_host(chunk):
        events.append(_FakeEvent())
        return chunk.clone(), events[-1]

    expected = None
    for lagged in (False, True):
        if lagged:
            monkeypatch.setattr(_record, "_to_host", to_host)
        model, data = _problem(dtype=torch.float32)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        steps = []
        opt.register_step_post_hook(lambda o, a, k, steps=steps: steps.append(1))
        r = lrlab.find_lr(
            model,
            opt,
            nn.MSELoss(),
            data,
            start_lr=1e-3,
            end_lr=1e3,
            num_iter=100,
            smooth=0.5,
            check_every=every,
            reduce_loss=(lambda t: t) if lagged else None,
        )
        if expected is None:
            expected = r
            continue
        assert r.steps == expected.steps and r.stop_reason == expected.stop_reason != "completed"
        np.testing.assert_array_equal(r.losses, expected.losses)
        assert expected.steps <= len(steps) <= expected.steps + 2 * every - 1
        assert all(e.waited == 1 for e in events[:-1])
