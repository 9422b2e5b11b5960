"""The optimizers' contract: purity, batching, lr kinds, dtype, validation, object style."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrlab import descent, landscapes, optim, schedules

FACTORIES = {
    "sgd": lambda lr: optim.sgd(lr, momentum=0.9, weight_decay=0.1, nesterov=True),
    "momentum": lambda lr: optim.momentum(lr),
    "nesterov": lambda lr: optim.nesterov(lr),
    "rmsprop": lambda lr: optim.rmsprop(lr, centered=True, momentum=0.5),
    "adam": lambda lr: optim.adam(lr, amsgrad=True, weight_decay=0.1),
    "adamw": lambda lr: optim.adamw(lr),
    "adagrad": lambda lr: optim.adagrad(lr, lr_decay=0.1),
    "nadam": lambda lr: optim.nadam(lr, weight_decay=0.1, decoupled_weight_decay=True),
    "radam": lambda lr: optim.radam(lr, weight_decay=0.1),
}


def _grad(p: np.ndarray) -> np.ndarray:
    return p**3 - p + 0.3


def _run(opt: optim.Optimizer, p: np.ndarray, steps: int = 20) -> np.ndarray:
    state = opt.init(p)
    for _ in range(steps):
        p, state = opt.update(_grad(p), state, p)
    return p


@pytest.mark.parametrize("name", FACTORIES)
def test_update_is_pure(name: str) -> None:
    opt = FACTORIES[name](0.05)
    p = np.linspace(-1, 1, 12).reshape(3, 4)
    state = opt.init(p)
    for _ in range(3):  # past the first step, whose path differs for momentum
        p, state = opt.update(_grad(p), state, p)
    p_before, g = p.copy(), _grad(p)
    g_before = g.copy()
    leaves_before = [np.copy(x) if isinstance(x, np.ndarray) else x for x in state]
    new_p, new_state = opt.update(g, state, p)
    np.testing.assert_array_equal(p, p_before)
    np.testing.assert_array_equal(g, g_before)
    for before, now in zip(leaves_before, state):
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(now, before)
        else:
            assert now == before
    assert new_state.count == state.count + 1
    assert not np.shares_memory(new_p, p)


@pytest.mark.parametrize("name", FACTORIES)
def test_per_row_lr_equals_separate_runs(name: str) -> None:
    lrs = np.array([0.01, 0.05, 0.2])
    p0 = np.linspace(-1.5, 1.5, 18).reshape(3, 2, 3)
    batched = _run(FACTORIES[name](lrs), p0)
    for k, lr in enumerate(lrs):
        alone = _run(FACTORIES[name](float(lr)), p0[k : k + 1])
        np.testing.assert_allclose(batched[k], alone[0], rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", FACTORIES)
def test_schedule_lr_is_called_with_the_step_count(name: str) -> None:
    seen: list[int] = []

    def lr(step: int) -> float:
        seen.append(step)
        return 0.05

    p0 = np.full((2, 3), 0.5)
    np.testing.assert_array_equal(_run(FACTORIES[name](lr), p0, 5), _run(FACTORIES[name](0.05), p0, 5))
    assert seen == [0, 1, 2, 3, 4]


def test_lrlab_schedule_object_drives_adam() -> None:
    sched = schedules.cosine(0.1, total=50, min_lr=0.001)
    land = landscapes.get("tutorial")
    opt = optim.adam(sched)
    p = q = np.array([[-1.0, 1.0]])
    state = rstate = opt.init(p)
    for t in range(50):
        p, state = opt.update(land.gradient(p), state, p)
        # The same run with the learning rate set by hand each step.
        q, rstate = optim.adam(sched(t)).update(land.gradient(q), rstate, q)
    np.testing.assert_array_equal(p, q)
    assert not np.array_equal(p, _run_adam_constant(land))


def _run_adam_constant(land: landscapes.Landscape) -> np.ndarray:
    opt = optim.adam(0.1)
    p = np.array([[-1.0, 1.0]])
    state = opt.init(p)
    for _ in range(50):
        p, state = opt.update(land.gradient(p), state, p)
    return p


@pytest.mark.parametrize("name", FACTORIES)
def test_float32_params_stay_float32(name: str) -> None:
    p = np.ones((3, 2), dtype=np.float32)
    out = _run(FACTORIES[name](np.array([0.01, 0.02, 0.03])), p, 3)
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    ("tutorial_opt", "expected"),
    [
        (optim.SGD(lr=0.001), 3.60109),
        (optim.Momentum(lr=0.001, beta=0.9), 0.515235),
        (optim.RMSprop(lr=0.01, alpha=0.9, eps=1e-8), 0.911073),
        (optim.Adam(lr=0.1), 0.000234841),
    ],
    ids=["sgd", "momentum", "rmsprop", "adam"],
)
def test_tutorial_numbers_object_style(tutorial_opt: optim.Stateful, expected: float) -> None:
    """The tutorial's own loop: ``pos = opt.step(pos, grad)``, 100 steps from (-1, 1)."""
    land = landscapes.get("tutorial")
    pos = np.array((-1, 1), dtype=float)
    for _ in range(100):
        pos = tutorial_opt.step(pos, np.array(land.grad(pos[0], pos[1])))
    assert float(land.value(pos[0], pos[1])) == pytest.approx(expected, rel=1e-5, abs=0)
    assert tutorial_opt.state.count == 100


def test_tutorial_numbers_batched_through_descend() -> None:
    land = landscapes.get("tutorial")
    runs = {
        "sgd": (optim.sgd(0.001), 3.60109),
        "momentum": (optim.momentum(0.001, 0.9), 0.515235),
        "rmsprop": (optim.rmsprop(0.01, alpha=0.9, eps=1e-8), 0.911073),
        "adam": (optim.adam(0.1), 0.000234841),
    }
    for name, (opt, expected) in runs.items():
        res = descent.descend(land, opt, (-1.0, 1.0), steps=100)
        assert not res.diverged[0], name
        assert float(res.final_loss[0]) == pytest.approx(expected, rel=1e-5, abs=0), name


def test_stateful_reset_and_repr() -> None:
    opt = optim.Adam(lr=0.1)
    assert repr(opt) == "Adam(steps=None)"
    p = opt.step(np.array([1.0]), np.array([1.0]))
    assert repr(opt) == "Adam(steps=1)"
    opt.reset()
    np.testing.assert_array_equal(opt.step(np.array([1.0]), np.array([1.0])), p)
    with pytest.raises(TypeError, match=r"optimizer must be an lrlab\.optim\.Optimizer"):
        optim.Stateful((1, 2))  # type: ignore[arg-type]


def test_init_update_unpack_like_a_tuple() -> None:
    init, update = optim.sgd(0.1)
    p, state = update(np.array([2.0]), init(np.array([1.0])), np.array([1.0]))
    assert p.tolist() == [pytest.approx(0.8)] and state.count == 1


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: optim.sgd(-0.1), r"lr must be finite and >= 0, got -0.1"),
        (lambda: optim.adam(float("nan")), r"lr must be finite and >= 0, got nan"),
        (lambda: optim.adam(math.inf), r"lr must be finite and >= 0, got inf"),
        (lambda: optim.adam(np.array([0.1, -1.0])), r"lr must be finite and >= 0, got -1.0"),
        (lambda: optim.adam(np.ones((2, 2))), r"lr array must be 1-D .* got shape \(2, 2\)"),
        (lambda: optim.adam(np.array([])), r"lr array must be 1-D"),
        (lambda: optim.sgd(0.1, momentum=-0.5), r"momentum must be finite and >= 0, got -0.5"),
        (lambda: optim.sgd(0.1, weight_decay=-1), r"weight_decay must be finite and >= 0, got -1"),
        (lambda: optim.sgd(0.1, nesterov=True), r"Nesterov momentum requires momentum > 0 and dampening = 0"),
        (lambda: optim.sgd(0.1, momentum=0.9, dampening=0.1, nesterov=True), r"dampening=0.1"),
        (lambda: optim.nesterov(0.1, momentum=0.0), r"Nesterov momentum requires momentum > 0"),
        (lambda: optim.adam(0.1, betas=(1.0, 0.999)), r"beta1 must be in \[0, 1\), got 1.0"),
        (lambda: optim.adam(0.1, betas=(0.9, -0.1)), r"beta2 must be in \[0, 1\), got -0.1"),
        (lambda: optim.nadam(0.1, betas=(0.9, 1.5)), r"beta2 must be in \[0, 1\), got 1.5"),
        (lambda: optim.radam(0.1, betas=(-1, 0.9)), r"beta1 must be in \[0, 1\), got -1"),
        (lambda: optim.adamw(0.1, eps=0.0), r"eps must be > 0, got 0.0"),
        (lambda: optim.rmsprop(0.1, eps=-1e-8), r"eps must be > 0, got -1e-08"),
        (lambda: optim.adagrad(0.1, eps=0), r"eps must be > 0, got 0"),
        (lambda: optim.rmsprop(0.1, alpha=-0.9), r"alpha must be finite and >= 0, got -0.9"),
        (lambda: optim.adagrad(0.1, lr_decay=-1), r"lr_decay must be finite and >= 0"),
        (lambda: optim.adagrad(0.1, initial_accumulator_value=-1), r"initial_accumulator_value must be"),
        (lambda: optim.nadam(0.1, momentum_decay=-1), r"momentum_decay must be finite and >= 0"),
        (lambda: optim.adamw(0.1, weight_decay=-0.01), r"weight_decay must be finite and >= 0"),
    ],
)
def test_bad_hyperparameters_raise_value_error(make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: optim.sgd("0.1"), r"lr must be a real number, got '0.1'"),
        (lambda: optim.sgd(True), r"lr must be a real number, got True"),
        (lambda: optim.adam(0.1, betas=0.9), r"betas must be a pair \(beta1, beta2\), got 0.9"),
        (lambda: optim.adam(0.1, amsgrad="yes"), r"amsgrad must be True or False, got 'yes'"),
        (lambda: optim.rmsprop(0.1, centered=1), r"centered must be True or False, got 1"),
        (lambda: optim.sgd(0.1, dampening=None), r"dampening must be a real number, got None"),
    ],
)
def test_bad_types_raise_type_error(make, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        make()


def test_update_input_errors() -> None:
    opt = optim.adam(np.array([0.1, 0.2]))
    p = np.zeros((3, 2))
    with pytest.raises(
        ValueError,
        match=r"lr has 2 values, so params need a leading batch axis of that size, "
        r"got params of shape \(3, 2\)",
    ):
        opt.update(np.zeros((3, 2)), opt.init(p), p)
    with pytest.raises(ValueError, match=r"lr has 2 values.*got params of shape \(\)"):
        opt.update(np.zeros(()), opt.init(np.zeros(())), np.zeros(()))
    with pytest.raises(ValueError, match=r"grads must have the shape of params \(2, 2\), got \(2,\)"):
        opt.update(np.zeros(2), opt.init(np.zeros((2, 2))), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="params must be a floating-point array, got dtype int64"):
        optim.sgd(0.1).update(np.zeros(2), None, np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError, match="grads must be a floating-point array, got dtype bool"):
        optim.sgd(0.1).update(np.array([True, False]), None, np.zeros(2))


@pytest.mark.parametrize(
    ("make", "other", "field"),
    [
        (lambda: optim.sgd(0.1, momentum=0.9), lambda: optim.sgd(0.1), "momentum_buffer"),
        (lambda: optim.rmsprop(0.1, centered=True), lambda: optim.rmsprop(0.1), "grad_avg"),
        (lambda: optim.rmsprop(0.1, momentum=0.5), lambda: optim.rmsprop(0.1), "momentum_buffer"),
        (lambda: optim.adam(0.1, amsgrad=True), lambda: optim.adam(0.1), "max_exp_avg_sq"),
    ],
    ids=["sgd-momentum", "rmsprop-centered", "rmsprop-momentum", "adam-amsgrad"],
)
def test_a_state_made_with_other_settings_is_refused(make, other, field: str) -> None:
    p = np.zeros(2)
    state = other().init(p)
    state = state._replace(count=1)  # past the first step, where the buffer is read
    with pytest.raises(TypeError, match=rf"state\.{field} must be an array for these settings, got None; make the"):
        make().update(np.ones(2), state, p)


def test_schedule_returning_bad_value_raises() -> None:
    opt = optim.sgd(lambda step: 0.1 - 0.1 * step)
    p = np.zeros(2)
    state = opt.init(p)
    p, state = opt.update(np.ones(2), state, p)
    p, state = opt.update(np.ones(2), state, p)  # lr(1) = 0.0 is allowed
    with pytest.raises(ValueError, match=r"lr must be finite and >= 0, got -0.1"):
        opt.update(np.ones(2), state, p)


def test_schedule_may_return_one_lr_per_row() -> None:
    rows = np.array([0.01, 0.1])
    opt = optim.adam(lambda step: rows * 0.5**step)
    p = np.ones((2, 3))
    state = opt.init(p)
    q, qstate = p, state
    for t in range(4):
        p, state = opt.update(np.full((2, 3), 0.7), state, p)
        q, qstate = optim.adam(rows * 0.5**t).update(np.full((2, 3), 0.7), qstate, q)
    np.testing.assert_array_equal(p, q)
