"""sweep_lr behaviour: untouched inputs, fallbacks, divergence, validation, loaders, bad input."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from lrlab.sweep import SweepFallbackWarning, sweep_lr

LRS = [1e-2, 1e-1, 1.0]


def mlp(*extra: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), *extra, nn.ReLU(), nn.Linear(8, 3)).double()


def data(n: int = 3, seed: int = 1, batch: int = 8) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(batch, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (batch,), generator=g))
        for _ in range(n)
    ]


def run(model: nn.Module, **kw: Any) -> Any:
    opt = kw.pop("optimizer", None) or torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    kw.setdefault("lrs", LRS)
    kw.setdefault("steps", 5)
    return sweep_lr(model, opt, kw.pop("criterion", nn.CrossEntropyLoss()), kw.pop("loader", data()), **kw)


def assert_same_result(a: Any, b: Any, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(a.train_losses, b.train_losses, rtol=rtol)
    for k in range(a.num_lrs):
        pa, pb = a.params_of(k), b.params_of(k)
        assert list(pa) == list(pb)
        for key in pa:
            np.testing.assert_allclose(pa[key].numpy(), pb[key].numpy(), rtol=rtol, atol=1e-14, err_msg=key)


def test_model_optimizer_rng_and_modes_come_back_bitwise() -> None:
    model = mlp(nn.BatchNorm1d(8), nn.Dropout(0.2))
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    # Real optimizer state, a mixed train/eval mode and live RNG: all must survive.
    x, y = data(1)[0]
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    model.eval()
    model[0].train()
    state, opt_state = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict())
    grads = [p.grad.clone() for p in model.parameters()]
    modes = [m.training for m in model.modules()]
    rng = torch.get_rng_state()
    run(model, optimizer=opt, val_loader=data(2, seed=5))
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert [torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads)] == [True] * len(grads)
    assert [m.training for m in model.modules()] == modes
    assert torch.equal(torch.get_rng_state(), rng)
    after = opt.state_dict()
    assert after["param_groups"] == opt_state["param_groups"]
    for i, s in opt_state["state"].items():
        assert all(torch.equal(after["state"][i][k], v) for k, v in s.items())


def test_batchnorm_in_train_mode_is_vmapped_and_equals_sequential() -> None:
    model = mlp(nn.BatchNorm1d(8))
    a, b = run(model), run(model, mode="sequential")
    assert (a.mode, b.mode) == ("vmap", "sequential")
    assert_same_result(a, b)
    # Each copy keeps its own running statistics.
    means = [a.params_of(k)["1.running_mean"] for k in range(3)]
    assert not torch.equal(means[0], means[2])


def test_model_vmap_cannot_batch_falls_back_with_one_warning() -> None:
    model = mlp(nn.BatchNorm1d(8, momentum=None))  # cumulative average calls .item()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = run(model)
    assert [w.category for w in caught] == [SweepFallbackWarning]
    assert "vmap cannot batch this model" in str(caught[0].message)
    assert got.mode == "sequential" and "vmap cannot batch" in got.fallback_reason
    assert_same_result(got, run(model, mode="sequential"))


def test_mode_vmap_raises_instead_of_falling_back() -> None:
    with pytest.raises(RuntimeError, match="item"):
        run(mlp(nn.BatchNorm1d(8, momentum=None)), mode="vmap")
    model = mlp()
    with pytest.raises(ValueError, match=r"mode='vmap' needs a fused update.*RMSprop"):
        run(model, optimizer=torch.optim.RMSprop(model.parameters()), mode="vmap")


def test_the_vmapped_engine_refuses_a_plan_without_fused_rules() -> None:
    from lrlab.sweep._engine import run_vmapped
    from lrlab.sweep._plan import make_plan

    model = mlp()
    plan = make_plan(model, torch.optim.RMSprop(model.parameters()))
    with pytest.raises(ValueError, match=r"mode='vmap' needs a fused update, but .*RMSprop"):
        run_vmapped(plan, None, torch.tensor(LRS), None, 5, None, set(), None, 0, None)  # type: ignore[arg-type]


def test_weighted_mean_of_no_batches_is_refused() -> None:
    from lrlab.sweep._common import weighted_mean

    assert weighted_mean([(torch.tensor([1.0, 3.0]), 1), (torch.tensor([2.0, 6.0]), 3)]).tolist() == [1.75, 5.25]
    with pytest.raises(ValueError, match="parts must hold at least one batch, got none"):
        weighted_mean([])


def test_optimizer_without_fused_rule_runs_sequentially_with_the_real_optimizer() -> None:
    model, loader = mlp(), data()
    with pytest.warns(SweepFallbackWarning, match="RMSprop has no fused rule"):
        got = run(model, optimizer=torch.optim.RMSprop(model.parameters(), lr=0.1, alpha=0.9), loader=loader)
    ref = copy.deepcopy(model)
    opt = torch.optim.RMSprop(ref.parameters(), lr=LRS[1], alpha=0.9)
    for t in range(5):
        x, y = loader[t % 3]
        opt.zero_grad()
        nn.functional.cross_entropy(ref(x), y).backward()
        opt.step()
    for key, value in ref.state_dict().items():
        assert torch.equal(got.params_of(1)[key], value), key


def test_dropout_copies_share_masks_in_both_modes() -> None:
    model = mlp(nn.Dropout(0.5))
    a, b = run(model, seed=7), run(model, seed=7, mode="sequential")
    assert_same_result(a, b)
    assert not np.allclose(a.train_losses, run(model, seed=8).train_losses)
    # Same LR twice: identical rows, because masks are shared across copies.
    twin = run(model, lrs=[0.1, 0.1], seed=7)
    np.testing.assert_array_equal(twin.train_losses[0], twin.train_losses[1])


def regression() -> tuple[nn.Module, list[tuple[torch.Tensor, torch.Tensor]]]:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(2)
    batches = [
        (torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randn(8, 1, generator=g, dtype=torch.float64))
        for _ in range(3)
    ]
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1)).double(), batches


def test_a_diverged_copy_is_recorded_and_poisons_nothing() -> None:
    model, loader = regression()
    kw = {"steps": 8, "loader": loader, "criterion": nn.MSELoss()}
    got = run(model, lrs=[0.05, 1e200, 0.1], **kw)
    alone = run(model, lrs=[0.05, 0.1], **kw)
    assert got.diverged.tolist() == [False, True, False]
    assert got.diverged_at[1] >= 0 and got.diverged_at[0] == -1
    assert not np.isfinite(got.train_losses[1]).all()
    np.testing.assert_allclose(got.train_losses[[0, 2]], alone.train_losses, rtol=1e-12)
    assert got.best_index in (0, 2) and np.isinf(got.scores[1])


def test_every_copy_diverging_leaves_no_best() -> None:
    model, loader = regression()
    got = run(model, lrs=[1e200, 1e250], steps=8, loader=loader, criterion=nn.MSELoss())
    assert got.diverged.all()
    assert got.best_index is None and got.best_lr is None


def test_validation_losses_at_requested_steps() -> None:
    model = mlp(nn.Dropout(0.5))
    got = run(model, steps=6, val_loader=data(4, seed=9), val_batches=2, val_every=4)
    assert got.val_steps.tolist() == [4, 6]
    assert got.val_losses.shape == (3, 2)
    # Final validation loss of copy 0, recomputed by hand in eval mode on the first 2 batches.
    ref = copy.deepcopy(model)
    ref.load_state_dict(got.params_of(0))
    ref.eval()
    with torch.no_grad():
        vb = data(4, seed=9)[:2]
        want = sum(nn.functional.cross_entropy(ref(x), y).item() * len(y) for x, y in vb) / 16
    assert got.val_losses[0, -1] == pytest.approx(want, rel=1e-12)
    assert got.score_name == "final validation loss"
    assert got.best_index == int(np.argmin(got.val_losses[:, -1]))


def test_short_loader_is_cycled_and_one_shot_iterators_work_when_long_enough() -> None:
    loader = data(2)
    cycled = run(mlp(), loader=loader, steps=5)
    as_list = run(mlp(), loader=[loader[t % 2] for t in range(5)], steps=5)
    np.testing.assert_array_equal(cycled.train_losses, as_list.train_losses)
    one_shot = run(mlp(), loader=iter([loader[t % 2] for t in range(5)]), steps=5)
    np.testing.assert_array_equal(one_shot.train_losses, as_list.train_losses)


def test_progress_reports_copy_steps() -> None:
    seen: list[tuple[int, int]] = []
    run(mlp(), steps=4, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 12), (6, 12), (9, 12), (12, 12)]
    seen.clear()
    run(mlp(), steps=2, mode="sequential", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 6) for i in range(1, 7)]


def test_dataloader_and_float32_model() -> None:
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    ds = TensorDataset(torch.randn(40, 5), torch.randint(0, 3, (40,)))
    loader = DataLoader(ds, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    got = run(model, loader=loader, steps=7)
    assert got.train_losses.shape == (3, 7) and got.params_of(0)["0.weight"].dtype == torch.float32


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lrs": []}, ValueError, r"at least one learning rate \(K >= 1\)"),
        ({"lrs": [0.1, 0.0]}, ValueError, r"positive and finite, got \[0.0\]"),
        ({"lrs": [0.1, -1.0, float("nan")]}, ValueError, r"positive and finite, got \[-1.0, nan\]"),
        ({"lrs": [[0.1]]}, ValueError, r"1-D sequence"),
        ({"steps": 0}, ValueError, r"steps must be >= 1, got 0"),
        ({"steps": 2.5}, TypeError, r"steps must be an int, got float"),
        ({"val_batches": 0, "val_loader": data(1)}, ValueError, r"val_batches must be >= 1, got 0"),
        ({"val_every": -1}, ValueError, r"val_every must be >= 1, got -1"),
        ({"mode": "fast"}, ValueError, r"mode must be one of"),
        ({"seed": -3}, ValueError, r"seed must be None or an int >= 0, got -3"),
        ({"criterion": "mse"}, TypeError, r"criterion must be callable"),
        ({"loader": []}, ValueError, r"train_loader must yield at least one batch"),
        ({"loader": iter(data(2)), "steps": 5}, ValueError, r"one-shot iterator that ran out after 2"),
        (
            {"loader": [torch.zeros(3)]},
            TypeError,
            r"batches must be \(inputs, targets\) pairs for the criterion, got a Tensor",
        ),
        ({"val_loader": []}, ValueError, r"val_loader must yield at least one batch"),
        ({"criterion": lambda out, y: out.sum(1)}, ValueError, r"the loss must be a scalar tensor, got shape \(8,\)"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    model = mlp()
    state = copy.deepcopy(model.state_dict())
    with pytest.raises(error, match=match):
        run(model, **kwargs)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_bad_model_or_optimizer() -> None:
    model, other = mlp(), mlp()
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        sweep_lr("net", torch.optim.SGD(model.parameters()), nn.MSELoss(), data(), lrs=LRS, steps=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer"):
        sweep_lr(model, "sgd", nn.MSELoss(), data(), lrs=LRS, steps=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a parameter of model"):
        run(model, optimizer=torch.optim.SGD(other.parameters(), lr=0.1))
    for p in model.parameters():
        p.requires_grad_(False)
    with pytest.raises(ValueError, match=r"model must have trainable parameters \(requires_grad=True\), got none"):
        run(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    model = mlp()
    groups = [{"params": model[0].parameters(), "lr": 0.0}, {"params": model[2].parameters(), "lr": 0.1}]
    with pytest.raises(ValueError, match="first group's lr must be > 0"):
        run(model, optimizer=torch.optim.SGD(groups))


def test_a_slice_of_lrs_gives_the_same_rows_so_parts_can_be_joined() -> None:
    from lrlab.sweep import SweepResult

    model, loader = mlp(nn.Dropout(0.3)), data()
    lrs = [0.01, 0.05, 0.2, 1.0]
    full = run(model, lrs=lrs, loader=loader, seed=4, val_loader=data(1, seed=3))
    parts = [
        run(model, lrs=lrs[:1], loader=loader, seed=4, val_loader=data(1, seed=3)),
        run(model, lrs=lrs[1:], loader=loader, seed=4, val_loader=data(1, seed=3)),
    ]
    joined = SweepResult.concat(parts)
    assert_same_result(joined, full)
    np.testing.assert_allclose(joined.val_losses, full.val_losses, rtol=1e-12)
    assert joined.best_index == full.best_index
