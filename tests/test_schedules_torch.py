"""``to_torch``: a pure schedule as a torch LRScheduler, in a real training loop."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
import torch

import lrlab.schedules as S
from lrlab.schedules import warmup_cosine

SCHEDULE = warmup_cosine(base_lr=0.05, warmup=5, total=40, min_lr=0.001)
STEPS = 40


def make_run(seed: int, kind: str) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    groups = [
        {"params": [p for n, p in model.named_parameters() if n.endswith("weight")], "lr": 0.2},
        {"params": [p for n, p in model.named_parameters() if n.endswith("bias")], "lr": 0.05},
    ]
    if kind == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(groups, lr=0.2, momentum=0.9)
    else:
        opt = torch.optim.AdamW(groups, lr=0.2, weight_decay=0.01)
    return model, opt


def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g, dtype=torch.float64)
    return x, torch.sin(x.sum(dim=1, keepdim=True))


def train(model: torch.nn.Module, opt: torch.optim.Optimizer, sched: object, steps: range) -> list[list[float]]:
    x, y = data()
    lrs = []
    for _ in steps:
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()  # type: ignore[attr-defined]
    return lrs


@pytest.mark.parametrize("kind", ["sgd", "adamw"])
def test_resume_from_checkpoint_continues_the_same_run(kind: str) -> None:
    model, opt = make_run(1, kind)
    full = train(model, opt, S.to_torch(SCHEDULE, opt), range(STEPS))

    model_a, opt_a = make_run(1, kind)
    sched_a = S.to_torch(SCHEDULE, opt_a)
    first = train(model_a, opt_a, sched_a, range(17))
    buf = io.BytesIO()
    torch.save({"model": model_a.state_dict(), "opt": opt_a.state_dict(), "sched": sched_a.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)

    # A fresh process would start from other weights; the checkpoint must override them.
    model_b, opt_b = make_run(2, kind)
    sched_b = S.to_torch(SCHEDULE, opt_b)  # before the optimizer's state, as torch advises
    model_b.load_state_dict(ckpt["model"])
    opt_b.load_state_dict(ckpt["opt"])
    sched_b.load_state_dict(ckpt["sched"])
    rest = train(model_b, opt_b, sched_b, range(17, STEPS))

    assert first + rest == full
    for a, b in zip(model.parameters(), model_b.parameters()):
        assert torch.equal(a, b)


def test_groups_follow_the_schedule_and_keep_their_ratio() -> None:
    model, opt = make_run(0, "sgd")
    lrs = np.array(train(model, opt, S.to_torch(SCHEDULE, opt), range(STEPS)))
    expected = SCHEDULE(np.arange(STEPS))
    assert np.array_equal(lrs[:, 0], expected)  # the first group bit for bit
    np.testing.assert_allclose(lrs[:, 1], expected * 0.25, rtol=1e-15)


def test_state_dict_is_plain_and_names_the_schedule() -> None:
    _model, opt = make_run(0, "sgd")
    sched = S.to_torch(SCHEDULE, opt)
    opt.step()
    sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 1 and state["schedule_spec"] == repr(SCHEDULE)
    assert "schedule" not in state and "optimizer" not in state
    assert sched.get_last_lr() == [SCHEDULE(1), SCHEDULE(1) * 0.25]
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)


def test_any_callable_schedule() -> None:
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = S.to_torch(lambda k: 0.5**k, opt)
    lrs = []
    for _ in range(4):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [1.0, 0.5, 0.25, 0.125]


def test_errors() -> None:
    p = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(TypeError, match="schedule must be a callable"):
        S.to_torch(0.1, torch.optim.SGD([p], lr=1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer, got list"):
        S.to_torch(SCHEDULE, [p])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"first param group's lr must be > 0.*got 0\.0"):
        S.to_torch(SCHEDULE, torch.optim.SGD([p], lr=0.0))


def test_pure_schedules_do_not_import_torch() -> None:
    code = (
        "import sys, lrlab.schedules as s; s.parse('cosine(0.1)')(3); "
        "print('torch' in sys.modules, 'matplotlib' in sys.modules); s.to_torch; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "True"]
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        S.nope  # noqa: B018


def test_numpy_adam_with_a_schedule_matches_torch_adam_with_to_torch() -> None:
    from lrlab import optim

    schedule = S.parse("with_warmup(cosine(0.05, total=25, min_lr=0.0), warmup_steps=5)")
    target = np.array([[0.5, -1.5, 2.0]])
    p = np.array([[1.0, -2.0, 3.0]])
    opt = optim.adam(lr=schedule)
    state = opt.init(p)
    w = torch.nn.Parameter(torch.tensor(p[0], dtype=torch.float64))
    t_opt = torch.optim.Adam([w], lr=1.0)
    sched = S.to_torch(schedule, t_opt)
    for _ in range(30):
        p, state = opt.update(2 * (p - target), state, p)
        t_opt.zero_grad()
        ((w - torch.tensor(target[0])) ** 2).sum().backward()
        t_opt.step()
        sched.step()
    np.testing.assert_allclose(p[0], w.detach().numpy(), rtol=1e-12)
    assert not np.allclose(p, [[1.0, -2.0, 3.0]])


def one_param_sgd() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], lr=1.0)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(-0.5, "-0.5"), (float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")],
)
def test_a_bad_rate_is_refused_at_the_step_it_appears(bad: float, shown: str) -> None:
    def schedule(k: int) -> float:
        return 0.1 if k < 3 else bad

    opt = one_param_sgd()
    sched = S.to_torch(schedule, opt)
    for _ in range(2):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.1  # step 2, still fine
    opt.step()
    with pytest.raises(
        ValueError, match=f"schedule must return a finite learning rate >= 0, got {shown} at step 3 from <function"
    ):
        sched.step()


def test_a_bad_rate_at_step_zero_is_refused_when_the_scheduler_is_made() -> None:
    opt = one_param_sgd()
    with pytest.raises(ValueError, match=r"got -1\.0 at step 0 from <function"):
        S.to_torch(lambda k: -1.0, opt)
    assert opt.param_groups[0]["lr"] == 1.0  # the optimizer never saw it


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "None"), ("0.1", "'0.1'"), (True, "True"), (np.array([0.1, 0.2]), "array")]
)
def test_a_rate_that_is_not_one_number_is_refused(value: object, shown: str) -> None:
    with pytest.raises(TypeError, match=f"schedule must return one number per step, got {shown}.* at step 0"):
        S.to_torch(lambda k: value, one_param_sgd())


def test_a_schedule_whose_bounds_allow_a_bad_rate_is_refused_up_front() -> None:
    from lrlab.schedules import Schedule

    negative = Schedule(lambda t: np.full(t.shape, 0.1), "constant", {"base_lr": 0.1}, -1.0, 0.1)
    with pytest.raises(
        ValueError,
        match=r"schedule must keep its learning rates finite and >= 0, got bounds "
        r"\[-1\.0, 0\.1\] for constant\(base_lr=0\.1\)",
    ):
        S.to_torch(negative, one_param_sgd())
    unbounded = Schedule(lambda t: np.full(t.shape, 0.1), "constant", {"base_lr": 0.1}, 0.0, float("inf"))
    with pytest.raises(ValueError, match=r"got bounds \[0\.0, inf\]"):
        S.to_torch(unbounded, one_param_sgd())


def test_a_lrlab_schedule_with_a_zero_rate_is_fine() -> None:
    opt = one_param_sgd()
    sched = S.to_torch(warmup_cosine(0.1, warmup=2, total=4), opt)
    lrs = []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == 0.0 and lrs[2] == 0.1 and lrs[4:] == [0.0, 0.0]


def test_groups_with_a_non_finite_rate_are_refused() -> None:
    def opt(lr0: float, lr1: float) -> torch.optim.Optimizer:
        p, q = (torch.nn.Parameter(torch.zeros(1)) for _ in range(2))
        return torch.optim.SGD([{"params": [p], "lr": lr0}, {"params": [q], "lr": lr1}])

    with pytest.raises(ValueError, match=r"the first param group's lr must be > 0 and finite .*, got inf"):
        S.to_torch(SCHEDULE, opt(float("inf"), 0.1))
    with pytest.raises(ValueError, match=r"first param group's lr must be > 0.*got nan"):
        S.to_torch(SCHEDULE, opt(float("nan"), 0.1))
    with pytest.raises(
        ValueError, match="param group 1's lr must be >= 0 and finite \\(its ratio to group 0 is kept\\), got nan"
    ):
        S.to_torch(SCHEDULE, opt(0.1, float("nan")))
    assert S.to_torch(SCHEDULE, opt(0.1, 0.0)).get_last_lr() == [0.0, 0.0]
