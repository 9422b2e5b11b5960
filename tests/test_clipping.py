"""Gradient clipping by global norm (``max_grad_norm``): exact to ``torch.nn.utils.clip_grad_norm_``.

Every reference is a hand-written torch loop that clips with ``clip_grad_norm_`` before
``optimizer.step()``; the thresholds are small enough that clipping binds on most steps (each
test asserts that, so a no-op clip fails it).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from lrlab.confirm import suggest_lr
from lrlab.finder import find_lr
from lrlab.sweep import sweep_lr
from lrlab.sweep._engine import clip_per_copy

RTOL = 1e-10
CLIP = 0.05  # the tiny MLP's gradient norms are ~0.1-1 on these batches: this binds on most steps


def tiny_mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()


def batches(n: int = 3, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (8,), generator=g)) for _ in range(n)
    ]


def two_groups(model: nn.Module, cls: type[torch.optim.Optimizer], lr: float, **kwargs: Any) -> torch.optim.Optimizer:
    """Two param groups: the second layer at half the LR and its own weight decay."""
    return cls(
        [
            {"params": model[0].parameters()},
            {"params": model[2].parameters(), "lr": lr / 2, "weight_decay": 0.05},
        ],
        lr=lr,
        **kwargs,
    )


OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, Any]]] = {
    "sgd-momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "adamw": (torch.optim.AdamW, {"weight_decay": 0.01}),
}


def clipped_run(
    model: nn.Module,
    cls: type[torch.optim.Optimizer],
    kwargs: dict[str, Any],
    data: list[Any],
    lrs: list[float],
    max_norm: float | None,
    accumulation_steps: int = 1,
) -> tuple[nn.Module, list[float], list[float]]:
    """A plain torch run, step ``t`` at LR ``lrs[t]`` (groups in their ratio), clipped by torch.

    Returns the trained model, each step's loss and each step's unclipped gradient norm.
    """
    ref = copy.deepcopy(model)
    opt = two_groups(ref, cls, 1.0, **kwargs)  # its LRs are set at every step below
    ratios = [g["lr"] / opt.param_groups[0]["lr"] for g in opt.param_groups]
    params = [p for g in opt.param_groups for p in g["params"]]
    crit = nn.CrossEntropyLoss()
    losses, norms = [], []
    i = 0
    for lr in lrs:
        for g, r in zip(opt.param_groups, ratios):
            g["lr"] = lr * r
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for _ in range(accumulation_steps):
            x, y = data[i % len(data)]
            i += 1
            loss = crit(ref(x), y)
            if accumulation_steps > 1:
                loss = loss / accumulation_steps
            loss.backward()
            total += loss.item()
        if max_norm is None:
            norms.append(float(torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])))
        else:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm)))
        opt.step()
        losses.append(total)
    return ref, losses, norms


def assert_binds(norms: list[float], max_norm: float, share: float = 0.7) -> None:
    above = np.mean(np.asarray(norms) > max_norm)
    assert above >= share, f"clipping bound on only {above:.0%} of the steps"


# ---------------------------------------------------------------------------------------- find_lr


@pytest.mark.parametrize("accumulation_steps", [1, 2])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_find_lr_equals_a_torch_loop_that_clips(name: str, accumulation_steps: int) -> None:
    cls, kwargs = OPTIMIZERS[name]
    model, data = tiny_mlp(), batches()
    opt = two_groups(model, cls, 0.1, **kwargs)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = find_lr(
        model,
        opt,
        nn.CrossEntropyLoss(),
        data,
        start_lr=1e-3,
        end_lr=3.0,
        num_iter=40,
        diverge_th=1e9,
        accumulation_steps=accumulation_steps,
        max_grad_norm=CLIP,
    )
    assert result.steps == 40
    _, losses, norms = clipped_run(model, cls, kwargs, data, result.lrs.tolist(), CLIP, accumulation_steps)
    assert_binds(norms, CLIP)
    np.testing.assert_allclose(result.losses, losses, rtol=RTOL)
    # The unclipped curve is another one: the test can tell.
    _, unclipped, _ = clipped_run(model, cls, kwargs, data, result.lrs.tolist(), None, accumulation_steps)
    assert not np.allclose(result.losses, unclipped, rtol=1e-6)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.05


def test_find_lr_clips_after_the_grad_scaler_unscales() -> None:
    """float16 autocast with a GradScaler (CPU): unscale_, then clip, then scaler.step, as torch's AMP recipe."""
    model, data = tiny_mlp().float(), [(x.float(), y) for x, y in batches()]
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    result = find_lr(
        model,
        opt,
        nn.CrossEntropyLoss(),
        data,
        start_lr=1e-2,
        end_lr=3.0,
        num_iter=20,
        amp=torch.float16,
        diverge_th=1e9,
        max_grad_norm=CLIP,
    )
    ref = copy.deepcopy(model)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    scaler = torch.amp.GradScaler("cpu")
    losses, norms = [], []
    for t, lr in enumerate(result.lrs.tolist()):
        ref_opt.param_groups[0]["lr"] = lr
        ref_opt.zero_grad(set_to_none=True)
        x, y = data[t % len(data)]
        with torch.autocast("cpu", dtype=torch.float16):
            loss = nn.CrossEntropyLoss()(ref(x), y)
        scaler.scale(loss).backward()
        scaler.unscale_(ref_opt)
        norms.append(float(torch.nn.utils.clip_grad_norm_(ref.parameters(), CLIP)))
        scaler.step(ref_opt)
        scaler.update()
        losses.append(loss.item())
    assert_binds(norms, CLIP)
    np.testing.assert_allclose(result.losses, losses, rtol=1e-6)


def test_find_lr_with_a_norm_that_never_binds_is_bitwise_unclipped() -> None:
    """``coef`` clamps to exactly 1.0 and ``g * 1.0 == g``: a huge threshold changes no bit."""
    model, data = tiny_mlp(), batches()
    runs = []
    for clip in (None, 1e12):
        opt = two_groups(model, torch.optim.SGD, 0.1, momentum=0.9)
        runs.append(find_lr(model, opt, nn.CrossEntropyLoss(), data, num_iter=30, max_grad_norm=clip).losses)
    np.testing.assert_array_equal(runs[0], runs[1])


# ---------------------------------------------------------------------------------------- sweep_lr

LRS = [1e-2, 0.1, 0.3, 1.0]
STEPS = 15


def _sweep_reference(
    model: nn.Module, name: str, data: list[Any], factors: np.ndarray | None
) -> tuple[list[nn.Module], list[list[float]], list[float]]:
    cls, kwargs = OPTIMIZERS[name]
    models, curves, norms = [], [], []
    for lr in LRS:
        step_lrs = [lr * (1.0 if factors is None else float(factors[t])) for t in range(STEPS)]
        ref, losses, n = clipped_run(model, cls, kwargs, data, step_lrs, CLIP)
        models.append(ref)
        curves.append(losses)
        norms += n
    return models, curves, norms


def _assert_sweep_matches(result: Any, models: list[nn.Module], curves: list[list[float]]) -> None:
    for k, ref in enumerate(models):
        np.testing.assert_allclose(result.train_losses[k], curves[k], rtol=RTOL)
        got = result.params_of(k)
        for key, value in ref.state_dict().items():
            scale = float(value.abs().max())  # an entry near 0 in a tensor of entries ~10 has no 1e-10 digits
            np.testing.assert_allclose(
                got[key].numpy(), value.numpy(), rtol=RTOL, atol=1e-13 * scale, err_msg=f"{result.mode} {key}"
            )


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_sweep_vmapped_equals_sequential_equals_torch_loops_that_clip(name: str) -> None:
    cls, kwargs = OPTIMIZERS[name]
    model, data = tiny_mlp(), batches()
    models, curves, norms = _sweep_reference(model, name, data, None)
    assert_binds(norms, CLIP)
    for mode in ("vmap", "sequential"):
        opt = two_groups(model, cls, 0.3, **kwargs)
        result = sweep_lr(model, opt, nn.CrossEntropyLoss(), data, lrs=LRS, steps=STEPS, mode=mode, max_grad_norm=CLIP)
        assert result.mode == mode and result.max_grad_norm == CLIP
        _assert_sweep_matches(result, models, curves)


@pytest.mark.parametrize("mode", ["vmap", "sequential"])
def test_sweep_under_a_schedule_with_clipping(mode: str) -> None:
    model, data = tiny_mlp(), batches()
    opt = two_groups(model, torch.optim.SGD, 0.3, momentum=0.9)
    result = sweep_lr(
        model,
        opt,
        nn.CrossEntropyLoss(),
        data,
        lrs=LRS,
        steps=STEPS,
        schedule="warmup_cosine(1.0, warmup=3, total=15, min_lr=0.0)",
        mode=mode,
        max_grad_norm=CLIP,
    )
    assert result.lr_factors is not None and result.lr_factors.min() < 0.5
    models, curves, norms = _sweep_reference(model, "sgd-momentum", data, result.lr_factors)
    assert_binds(norms, CLIP)
    _assert_sweep_matches(result, models, curves)


def test_sweep_with_a_norm_that_never_binds_is_bitwise_unclipped() -> None:
    model, data = tiny_mlp(), batches()
    runs = []
    for clip in (None, 1e12):
        opt = two_groups(model, torch.optim.AdamW, 0.3)
        runs.append(
            sweep_lr(model, opt, nn.CrossEntropyLoss(), data, lrs=LRS, steps=STEPS, mode="vmap", max_grad_norm=clip)
        )
    np.testing.assert_array_equal(runs[0].train_losses, runs[1].train_losses)
    for n in runs[0].stacked:
        assert torch.equal(runs[0].stacked[n], runs[1].stacked[n])


def test_clip_per_copy_is_torchs_clip_on_each_row_even_a_non_finite_one() -> None:
    g = torch.Generator().manual_seed(3)
    grads = [
        torch.randn(4, 3, 2, generator=g, dtype=torch.float64),
        torch.randn(4, 5, generator=g, dtype=torch.float64),
    ]
    grads.append(torch.randn(4, generator=g, dtype=torch.float64))  # a scalar parameter per copy
    for gr in grads:
        gr[0] *= 1e-3  # copy 0's norm is below the threshold: left as it is
    grads[1][2, 1] = math.inf  # copy 2's norm is infinite
    grads[2][3] = math.nan  # copy 3's norm is NaN
    clipped = clip_per_copy(grads, 0.5)
    for k in range(4):
        rows = [nn.Parameter(gr[k].clone()) for gr in grads]
        for p, gr in zip(rows, grads):
            p.grad = gr[k].clone()
        torch.nn.utils.clip_grad_norm_(rows, 0.5)
        for p, c in zip(rows, clipped):
            np.testing.assert_allclose(c[k].numpy(), p.grad.numpy(), rtol=RTOL, atol=0, equal_nan=True)
    assert all(torch.equal(c[0], gr[0]) for c, gr in zip(clipped, grads))
    assert not torch.allclose(clipped[0][1], grads[0][1])  # copy 1 is clipped
    assert torch.isnan(clipped[1][2]).any() and torch.isnan(clipped[0][3]).all()


# ---------------------------------------------------------------------------------------- suggest_lr


def _linear_task() -> tuple[nn.Module, list[Any]]:
    torch.manual_seed(0)
    x = torch.randn(256, 4, dtype=torch.float64)
    y = x @ torch.tensor([[3.0], [-2.0], [1.5], [0.0]], dtype=torch.float64) + 1.0
    return nn.Linear(4, 1).double(), [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)]


def test_suggest_lr_clips_its_range_test_and_every_round() -> None:
    model, data = _linear_task()
    crit = nn.MSELoss()
    common: dict[str, Any] = dict(schedule="cosine(1.0, total=300)", total_steps=300, seed=0, num_iter=40)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    clipped = suggest_lr(model, opt, crit, data, max_grad_norm=0.5, **common)
    plain = suggest_lr(model, opt, crit, data, **common)
    # The range test is find_lr with the same clipping, and clipping binds there.
    direct = find_lr(model, opt, crit, data, num_iter=40, max_grad_norm=0.5)
    np.testing.assert_array_equal(clipped.range_test.losses, direct.losses)
    assert not np.array_equal(clipped.range_test.losses, plain.range_test.losses)
    # Every round is sweep_lr with it.
    for r in clipped.rounds:
        assert r.sweep.max_grad_norm == 0.5
        again = sweep_lr(
            model,
            opt,
            crit,
            data,
            lrs=r.sweep.lrs,
            steps=r.horizon,
            schedule=r.sweep.lr_factors,
            seed=0,
            max_grad_norm=0.5,
        )
        np.testing.assert_array_equal(again.train_losses, r.sweep.train_losses)
    assert all(r.sweep.max_grad_norm is None for r in plain.rounds)
    first = clipped.rounds[0].sweep
    unclipped_first = sweep_lr(
        model, opt, crit, data, lrs=first.lrs, steps=first.steps, schedule=first.lr_factors, seed=0
    )
    assert not np.allclose(first.train_losses, unclipped_first.train_losses, rtol=1e-6, equal_nan=True)
    assert opt.param_groups[0]["lr"] == 0.1


# ---------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0.0, ValueError, r"max_grad_norm must be > 0 or None, got 0\.0"),
        (-1, ValueError, r"max_grad_norm must be > 0 or None, got -1"),
        (math.inf, ValueError, r"max_grad_norm must be > 0 or None, got inf"),
        (math.nan, ValueError, r"max_grad_norm must be > 0 or None, got nan"),
        ("1.0", TypeError, r"max_grad_norm must be a real number > 0 or None, got str '1\.0'"),
        (True, TypeError, r"max_grad_norm must be a real number > 0 or None, got bool True"),
    ],
)
def test_bad_max_grad_norm_is_refused_before_anything_trains(value: Any, error: type, match: str) -> None:
    model, data = tiny_mlp(), batches()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    crit = nn.CrossEntropyLoss()
    with pytest.raises(error, match=match):
        find_lr(model, opt, crit, data, max_grad_norm=value)
    with pytest.raises(error, match=match):
        sweep_lr(model, opt, crit, data, lrs=[0.1], steps=2, max_grad_norm=value)
    with pytest.raises(error, match=match):
        suggest_lr(model, opt, crit, data, max_grad_norm=value)


def test_suggest_lr_refuses_max_grad_norm_in_range_test_options() -> None:
    model, data = tiny_mlp(), batches()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="range_test_options must not repeat"):
        suggest_lr(model, opt, nn.CrossEntropyLoss(), data, range_test_options={"max_grad_norm": 1.0})


# ---------------------------------------------------------------------------------------- CUDA


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_clipped_sweep_and_range_test_equal_the_cpu_ones() -> None:
    model, data = tiny_mlp(), batches()
    gpu_model = copy.deepcopy(model).cuda()
    gpu_data = [(x.cuda(), y.cuda()) for x, y in data]
    crit = nn.CrossEntropyLoss()
    cpu = sweep_lr(
        model,
        two_groups(model, torch.optim.SGD, 0.3, momentum=0.9),
        crit,
        data,
        lrs=LRS,
        steps=STEPS,
        max_grad_norm=CLIP,
    )
    gpu = sweep_lr(
        gpu_model,
        two_groups(gpu_model, torch.optim.SGD, 0.3, momentum=0.9),
        crit,
        gpu_data,
        lrs=LRS,
        steps=STEPS,
        max_grad_norm=CLIP,
    )
    assert gpu.mode == cpu.mode == "vmap"
    np.testing.assert_allclose(gpu.train_losses, cpu.train_losses, rtol=1e-9)
    kwargs: dict[str, Any] = dict(start_lr=1e-3, end_lr=3.0, num_iter=30, diverge_th=1e9, max_grad_norm=CLIP)
    cpu_test = find_lr(model, two_groups(model, torch.optim.SGD, 0.1, momentum=0.9), crit, data, **kwargs)
    gpu_test = find_lr(gpu_model, two_groups(gpu_model, torch.optim.SGD, 0.1, momentum=0.9), crit, gpu_data, **kwargs)
    np.testing.assert_allclose(gpu_test.losses, cpu_test.losses, rtol=1e-9)
