"""Every NumPy optimizer beside its ``torch.optim`` twin, in float64, step by step.

One registry of optimizer + options crossed with three problems (an ill-conditioned
quadratic, the tutorial's landscape, a random multi-dimensional log-cosh regression).
Each row of the batch has its own learning rate; on the torch side each row is its
own parameter in its own param group, so the batching itself is under test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lrlab import landscapes, optim  # noqa: E402

STEPS = 200
RTOL = 1e-12
# Coordinates that pass through zero cannot meet a relative tolerance alone; the
# absolute floor is 1e-13 times the problem's scale (its largest start coordinate).
ATOL = 1e-13


def atol(x0: np.ndarray) -> float:
    return ATOL * max(1.0, float(np.abs(x0).max()))


SMALL = (0.001, 0.002, 0.004)  # plain SGD: the tutorial landscape diverges above ~0.03
ADAPT = (0.002, 0.005, 0.01)
AGRAD = (0.02, 0.05, 0.1)


@dataclass(frozen=True)
class Case:
    id: str
    ours: Callable[..., optim.Optimizer]
    theirs: str
    lrs: tuple[float, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    their_kwargs: dict[str, Any] | None = None  # None: same as kwargs


CASES = [
    Case("sgd", optim.sgd, "SGD", SMALL),
    Case("sgd-momentum", optim.sgd, "SGD", SMALL, {"momentum": 0.9}),
    Case("sgd-dampening", optim.sgd, "SGD", SMALL, {"momentum": 0.8, "dampening": 0.5}),
    Case("sgd-nesterov-wd", optim.sgd, "SGD", SMALL, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    Case("sgd-wd", optim.sgd, "SGD", SMALL, {"weight_decay": 0.3}),
    Case("momentum", optim.momentum, "SGD", SMALL, {"beta": 0.9}, {"momentum": 0.9}),
    Case("nesterov", optim.nesterov, "SGD", SMALL, {"momentum": 0.7}, {"momentum": 0.7, "nesterov": True}),
    Case("rmsprop", optim.rmsprop, "RMSprop", ADAPT),
    Case("rmsprop-alpha", optim.rmsprop, "RMSprop", ADAPT, {"alpha": 0.9, "eps": 1e-6}),
    Case("rmsprop-centered", optim.rmsprop, "RMSprop", ADAPT, {"centered": True}),
    Case("rmsprop-momentum-wd", optim.rmsprop, "RMSprop", SMALL, {"momentum": 0.5, "weight_decay": 0.1}),
    Case(
        "rmsprop-all",
        optim.rmsprop,
        "RMSprop",
        SMALL,
        {"alpha": 0.95, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    ),
    Case("adam", optim.adam, "Adam", ADAPT),
    Case("adam-amsgrad", optim.adam, "Adam", ADAPT, {"amsgrad": True}),
    Case("adam-betas-wd", optim.adam, "Adam", ADAPT, {"betas": (0.3, 0.9), "weight_decay": 0.1, "eps": 1e-6}),
    Case("adam-decoupled", optim.adam, "Adam", ADAPT, {"weight_decay": 0.2, "decoupled_weight_decay": True}),
    Case("adamw", optim.adamw, "AdamW", ADAPT),
    Case("adamw-amsgrad", optim.adamw, "AdamW", ADAPT, {"weight_decay": 0.3, "amsgrad": True}),
    Case("adagrad", optim.adagrad, "Adagrad", AGRAD),
    Case(
        "adagrad-options",
        optim.adagrad,
        "Adagrad",
        AGRAD,
        {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.1, "eps": 1e-8},
    ),
    Case("nadam", optim.nadam, "NAdam", ADAPT),
    Case("nadam-wd", optim.nadam, "NAdam", ADAPT, {"weight_decay": 0.1, "momentum_decay": 0.01}),
    Case(
        "nadam-decoupled",
        optim.nadam,
        "NAdam",
        ADAPT,
        {"weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.8, 0.99)},
    ),
    Case("radam", optim.radam, "RAdam", ADAPT),
    Case("radam-wd", optim.radam, "RAdam", ADAPT, {"weight_decay": 0.1, "betas": (0.6, 0.99)}),
    Case("radam-decoupled", optim.radam, "RAdam", ADAPT, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
]


@dataclass(frozen=True)
class Problem:
    id: str
    grad: Callable[[np.ndarray], np.ndarray]
    far: np.ndarray  # (3, ...) starts from which 200 steps never reach the optimum
    near: np.ndarray  # (3, ...) starts from which the runs reach it and hover there


def _quadratic() -> Problem:
    h = np.logspace(-1, 1, 6).reshape(2, 3)  # condition number 100, trailing shape (2, 3)
    far = np.linspace(4.0, 9.0, 18).reshape(3, 2, 3) * np.array([1.0, -1.0, 1.0])
    return Problem("quadratic", lambda p: h * p, far, far / 8)


def _tutorial() -> Problem:
    land = landscapes.get("tutorial")
    far = np.array([[-1.5, -0.5], [-1.2, -1.0], [-1.8, 0.5]])
    near = np.array([[-1.0, 1.0], [0.5, -0.5], [-1.2, 1.5]])
    return Problem("tutorial", land.gradient, far, near)


def _random() -> Problem:
    # f(x) = 1/2 (x - c)' H (x - c) + 0.1 sum(logcosh(A x - b)): coupled, non-quadratic.
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    h = q @ np.diag(np.linspace(0.1, 1.0, 5)) @ q.T
    a = rng.normal(size=(7, 5)) / math.sqrt(5)
    b = rng.normal(size=7)
    c = rng.normal(size=5)
    # Far starts where every gradient component is about +-10, so no coordinate
    # reaches its optimum within the test's travel.
    far = c + 10.0 * np.linalg.solve(h, rng.choice([-1.0, 1.0], size=(5, 3))).T
    near = c + 0.5 * rng.normal(size=(3, 5))
    return Problem("random-5d", lambda p: (p - c) @ h + 0.1 * np.tanh(p @ a.T - b) @ a, far, near)


PROBLEMS = [_quadratic(), _tutorial(), _random()]


def run_ours(
    opt: optim.Optimizer, x0: np.ndarray, grad: Callable, steps: int, sync: np.ndarray | None = None
) -> tuple[np.ndarray, Any]:
    """Our path; with ``sync``, each step starts from ``sync[t - 1]`` instead."""
    p = x0.copy()
    state = opt.init(p)
    path = []
    for t in range(steps):
        if sync is not None and t > 0:
            p = sync[t - 1]
        p, state = opt.update(grad(p), state, p)
        path.append(p)
    return np.stack(path), state


def run_torch(
    case: Case,
    x0: np.ndarray,
    grad: Callable,
    steps: int,
    lrs: tuple[float, ...] | None = None,
    schedule: Callable[[int], float] | None = None,
    foreach: bool | None = False,
    sync: np.ndarray | None = None,
) -> tuple[np.ndarray, Any]:
    kwargs = case.kwargs if case.their_kwargs is None else case.their_kwargs
    rows = [torch.tensor(x, dtype=torch.float64) for x in x0]
    lr0 = schedule(0) if schedule is not None else None
    groups = [{"params": [r], "lr": lr0 if lrs is None else lrs[i]} for i, r in enumerate(rows)]
    opt = getattr(torch.optim, case.theirs)(groups, foreach=foreach, **kwargs)
    path = []
    for t in range(steps):
        if schedule is not None:
            for g in opt.param_groups:
                g["lr"] = schedule(t)
        if sync is not None and t > 0:
            for r, x in zip(rows, sync[t - 1]):
                r.copy_(torch.from_numpy(x))
        grads = grad(np.stack([r.numpy() for r in rows]))
        for r, g in zip(rows, grads):
            r.grad = torch.from_numpy(np.array(g))
        opt.step()
        path.append(np.stack([r.numpy().copy() for r in rows]))
    return np.stack(path), opt


@pytest.fixture(autouse=True)
def _float64_default():
    # torch keeps scalar state (step, NAdam's mu_product) in the default dtype.
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _travelled(path: np.ndarray, x0: np.ndarray) -> float:
    return float(np.min(np.abs(path[-1] - x0).reshape(len(x0), -1).max(axis=1)))


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.id)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_parity_free_running(case: Case, problem: Problem) -> None:
    """200 steps from far starts, one learning rate per row, paths compared every step.

    Far from the optimum the dynamics do not amplify rounding, so the two independent
    runs must agree throughout (near an optimum adaptive methods hover chaotically and
    a one-ulp difference — torch fuses multiply-adds, NumPy does not — would grow).
    """
    ours, _ = run_ours(case.ours(lr=np.array(case.lrs), **case.kwargs), problem.far, problem.grad, STEPS)
    theirs, _ = run_torch(case, problem.far, problem.grad, STEPS, lrs=case.lrs)
    assert np.all(np.isfinite(theirs))
    assert _travelled(theirs, problem.far) > 1e-3  # or parity would be trivial
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol(problem.far))


# torch state names -> ours
STATE_FIELDS = {
    "momentum_buffer": "momentum_buffer",
    "square_avg": "square_avg",
    "grad_avg": "grad_avg",
    "exp_avg": "exp_avg",
    "exp_avg_sq": "exp_avg_sq",
    "max_exp_avg_sq": "max_exp_avg_sq",
    "sum": "sum",
    "mu_product": "mu_product",
}


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.id)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_parity_step_by_step_near_optimum(case: Case, problem: Problem) -> None:
    """Ten-times larger rates from near starts, into the regime where runs hover.

    Both sides start every step from our previous parameters, so each of the 200
    steps and the final optimizer state (every moment buffer) are compared at rtol 1e-12.
    """
    lrs = tuple(lr * 10 for lr in case.lrs) if case.theirs != "SGD" else case.lrs
    ours, state = run_ours(case.ours(lr=np.array(lrs), **case.kwargs), problem.near, problem.grad, STEPS)
    theirs, opt = run_torch(case, problem.near, problem.grad, STEPS, lrs=lrs, sync=ours)
    assert np.all(np.isfinite(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)
    assert state.count == STEPS
    compared = 0
    for key, field_name in STATE_FIELDS.items():
        theirs_state = [opt.state[g["params"][0]].get(key) for g in opt.param_groups]
        if theirs_state[0] is None:
            continue
        mine = getattr(state, field_name)
        expected = np.stack([np.asarray(x) for x in theirs_state])
        np.testing.assert_allclose(np.broadcast_to(mine, expected.shape), expected, rtol=RTOL, atol=ATOL)
        compared += 1
    assert compared >= 1 or case.kwargs.get("momentum", 0) == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_parity_schedule_and_torch_default_path(case: Case) -> None:
    """A schedule ``step -> lr`` (step 0 first), against torch's default implementation."""
    base = case.lrs[1]

    def schedule(t: int) -> float:
        return base * 0.5 * (1 + math.cos(math.pi * t / STEPS)) + base * 0.1

    problem = PROBLEMS[2]
    ours, _ = run_ours(case.ours(lr=schedule, **case.kwargs), problem.far, problem.grad, STEPS)
    theirs, _ = run_torch(case, problem.far, problem.grad, STEPS, schedule=schedule, foreach=None)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol(problem.far))


@pytest.mark.parametrize("case", CASES[::3], ids=lambda c: c.id)
def test_parity_scalar_lr_against_foreach(case: Case) -> None:
    """A scalar lr; torch's multi-tensor (foreach) implementation agrees too."""
    problem = PROBLEMS[1]
    ours, _ = run_ours(case.ours(lr=case.lrs[0], **case.kwargs), problem.far, problem.grad, STEPS)
    theirs, _ = run_torch(case, problem.far, problem.grad, STEPS, lrs=(case.lrs[0],) * 3, foreach=True)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol(problem.far))
