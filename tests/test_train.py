"""The ground floor (lrlab.train): moving batches, cycling loaders, the loss contract, schedule shapes."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR, OneCycleLR, ReduceLROnPlateau

from lrlab.schedules.shape import describe_shape, shape_factors
from lrlab.train import LoaderCycle, TrainModes, as_loss, batch_size, criterion_step, make_step, take, to_device
from lrlab.train.contract import BatchError, LossError, LossTypeError, functional_step

Pair = collections.namedtuple("Pair", ["x", "y"])


class Output:
    """What a Hugging Face model returns: an object with a ``.loss``."""

    def __init__(self, loss: torch.Tensor | None) -> None:
        self.loss = loss


def test_to_device_keeps_every_container_type_and_nesting() -> None:
    cpu = torch.device("cpu")
    t = torch.ones(2)
    batch = {"pair": Pair(t, [t, (t, 3)]), "od": collections.OrderedDict(a=t), "s": "text", "n": None}
    moved = to_device(batch, cpu)
    assert type(moved["pair"]) is Pair and type(moved["od"]) is collections.OrderedDict
    assert isinstance(moved["pair"].y, list) and isinstance(moved["pair"].y[1], tuple)
    assert moved["pair"].y[1][1] == 3 and moved["s"] == "text" and moved["n"] is None
    assert moved["pair"].x is t  # already on the device: not copied
    meta = to_device(batch, torch.device("meta"))
    assert meta["pair"].y[1][0].device.type == "meta" and meta["od"]["a"].device.type == "meta"


def test_loader_cycle_restarts_and_fails_plainly() -> None:
    cycle = LoaderCycle([1, 2, 3])
    assert [cycle.next() for _ in range(7)] == [1, 2, 3, 1, 2, 3, 1]
    with pytest.raises(ValueError, match="train_loader must yield at least one batch, got an empty loader"):
        LoaderCycle([]).next()
    gen = LoaderCycle((b for b in [1, 2]), "val_loader")
    assert [gen.next(), gen.next()] == [1, 2]
    with pytest.raises(
        ValueError,
        match="val_loader must be re-iterable to be cycled, got a one-shot iterator that "
        "ran out after 2 batches; pass a DataLoader or a list",
    ):
        gen.next()
    with pytest.raises(ValueError, match="val_loader must yield at least one batch"):
        take([], 3, torch.device("cpu"))
    assert take([1, 2, 3], 2, torch.device("cpu")) == [1, 2]


def test_loss_contract_reads_tensors_outputs_and_mappings() -> None:
    loss = torch.tensor(1.5, requires_grad=True)
    assert as_loss(loss) is loss and as_loss(Output(loss)) is loss and as_loss({"loss": loss}) is loss
    with pytest.raises(
        LossTypeError,
        match=r"the loss must be a scalar torch.Tensor \(or an output with a .loss\), "
        "got Output; for a Hugging Face model, pass labels",
    ):
        as_loss(Output(None))
    with pytest.raises(LossError, match=r"the loss must be a scalar tensor, got shape \(3,\); reduce it"):
        as_loss(torch.ones(3))
    step = criterion_step(nn.MSELoss())
    with pytest.raises(
        BatchError,
        match=r"batches must be \(inputs, targets\) pairs for the criterion, got a dict; "
        "pass step_fn=",
    ):
        step(nn.Linear(1, 1), {"x": torch.ones(1)})
    with pytest.raises(TypeError, match="criterion must be given unless step_fn is, got neither"):
        make_step(None, None)
    with pytest.raises(TypeError, match="step_fn must be callable, got str 'f'"):
        make_step(None, "f")  # type: ignore[arg-type]


def test_batch_size_of_pairs_dicts_and_nests() -> None:
    assert batch_size((torch.zeros(4, 2), torch.zeros(4))) == 4
    assert batch_size({"input_ids": torch.zeros(6, 9), "labels": torch.zeros(6, 9)}) == 6
    assert batch_size([{"a": [torch.zeros(5)]}]) == 5 and batch_size("x") == 1


def test_functional_step_uses_the_given_tensors_and_leaves_the_model() -> None:
    model = nn.Linear(2, 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def step(m: nn.Module, batch: dict[str, torch.Tensor]) -> Output:
        return Output(((m(batch["x"]) - batch["y"]) ** 2).mean())

    loss = functional_step(model, step)
    tensors = {"weight": torch.zeros(1, 2), "bias": torch.full((1,), 3.0)}
    got = loss(tensors, {"x": torch.ones(4, 2), "y": torch.zeros(4, 1)})
    assert float(got) == 9.0
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_train_modes_restore_each_flag() -> None:
    model = nn.Sequential(nn.Linear(1, 1), nn.Dropout(), nn.BatchNorm1d(1))
    model[2].eval()
    modes = TrainModes(model)
    modes.eval()
    assert not model[0].training
    modes.train()
    assert model[2].training
    modes.restore()
    assert [m.training for m in model] == [True, True, False]


# ------------------------------------------------------------------ schedule shapes


def test_shapes_in_every_form_agree() -> None:
    n = 50
    spec = "warmup_cosine(1.0, warmup=5, total=50, min_lr=0.0)"
    from lrlab.schedules import parse

    want = parse(spec)(np.arange(n))
    np.testing.assert_array_equal(shape_factors(spec, n), want)
    np.testing.assert_array_equal(shape_factors(parse(spec), n), want)
    np.testing.assert_allclose(shape_factors(lambda t: float(want[t]), n), want, rtol=0, atol=0)
    np.testing.assert_array_equal(shape_factors(list(want), n), want)
    np.testing.assert_array_equal(shape_factors(None, 3), [1.0, 1.0, 1.0])
    assert describe_shape(None) == "constant" and describe_shape(spec) == spec


def test_a_factory_is_sampled_as_torch_would_run_it() -> None:
    n = 40

    def factory(opt: torch.optim.Optimizer) -> OneCycleLR:
        return OneCycleLR(opt, max_lr=opt.param_groups[0]["lr"], total_steps=n)

    got = shape_factors(factory, n)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.37, momentum=0.9)
    sched = factory(opt)
    seen = []
    for _ in range(n):
        seen.append(opt.param_groups[0]["lr"] / 0.37)
        opt.step()
        sched.step()
    np.testing.assert_allclose(got, seen, rtol=1e-12)
    assert got.max() == pytest.approx(1.0) and got[0] == pytest.approx(1 / 25)
    lam = shape_factors(lambda opt: LambdaLR(opt, lambda t: 1.0 / (1 + t)), 4)
    np.testing.assert_allclose(lam, [1.0, 1 / 2, 1 / 3, 1 / 4])


@pytest.mark.parametrize(
    ("schedule", "total", "error", "match"),
    [
        (
            "cosine(0.1, total=10, min_lr=0.0)",
            10,
            ValueError,
            r"schedule must have peak 1 \(its largest factor.*got 0.1; "
            r"divide it by its peak",
        ),
        (
            lambda t: 1.0 - 0.2 * t,
            10,
            ValueError,
            r"schedule must give a finite factor >= 0 at every step, got "
            r"-0.(19|2).* at step 6",
        ),
        (lambda t: math.nan if t == 3 else 1.0, 5, ValueError, "got nan at step 3"),
        (
            lambda t: "high",
            5,
            TypeError,
            "schedule must return a torch LRScheduler when called with an optimizer, got 'high'",
        ),
        (
            lambda opt: opt.param_groups,
            5,
            TypeError,
            "schedule must return a torch LRScheduler when called with an "
            r"optimizer, got \[\{",
        ),
        (
            lambda opt: opt.no_such_thing,
            5,
            TypeError,
            "schedule must be a callable step -> factor or a factory "
            "optimizer -> LRScheduler, but calling it with an optimizer "
            "raised AttributeError",
        ),
        (lambda opt: ReduceLROnPlateau(opt), 5, TypeError, "ReduceLROnPlateau follows metrics"),
        ([1.0, 0.5], 3, ValueError, r"schedule must hold one factor per step \(3\), got shape \(2,\)"),
        (3.0, 3, TypeError, "schedule must be None, an lrlab Schedule or spec"),
        ("cosine(1.0", 3, ValueError, "spec"),
        (None, 0, ValueError, r"total_steps must be in \[1, 100,000,000\], got 0"),
    ],
)
def test_bad_shapes_are_refused_naming_the_rule(schedule, total, error, match) -> None:
    with pytest.raises(error, match=match):
        shape_factors(schedule, total)
