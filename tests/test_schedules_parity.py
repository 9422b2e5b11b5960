"""Every schedule with a ``torch.optim.lr_scheduler`` twin gives torch's LR sequence.

torch updates most rates recursively (``lr *= factor`` each step); lrlab uses closed
forms. The table compares lrlab with what torch actually produces over >= 1,000
steps in float64, to rtol 1e-12 (the recursion's rounding stays below ~1e-13).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as tl

from lrlab.schedules import (
    Schedule,
    cosine,
    cosine_restarts,
    cyclic,
    exponential,
    join,
    linear,
    multistep,
    onecycle,
    polynomial,
    step,
)

LR = 0.1


@dataclass(frozen=True)
class Case:
    id: str
    torch_scheduler: Callable[[SGD], tl.LRScheduler]
    ours: Schedule
    steps: int


def _sequential(opt: SGD, parts: list[Callable[[SGD], tl.LRScheduler]], milestones: list[int]) -> tl.LRScheduler:
    return tl.SequentialLR(opt, [make(opt) for make in parts], milestones=milestones)


CASES = [
    Case("StepLR", lambda o: tl.StepLR(o, step_size=30, gamma=0.5), step(LR, drop=0.5, every=30), 1200),
    Case("StepLR-0.9", lambda o: tl.StepLR(o, step_size=7, gamma=0.9), step(LR, drop=0.9, every=7), 1000),
    Case(
        "MultiStepLR",
        lambda o: tl.MultiStepLR(o, milestones=[100, 400, 750], gamma=0.3),
        multistep(LR, milestones=[100, 400, 750], gamma=0.3),
        1000,
    ),
    Case("ExponentialLR", lambda o: tl.ExponentialLR(o, gamma=0.995), exponential(LR, gamma=0.995), 1500),
    Case(
        "LinearLR-up",
        lambda o: tl.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=400),
        linear(LR * 0.25, end_lr=LR * 1.0, total_steps=400),
        1000,
    ),
    Case(
        "LinearLR-down",
        lambda o: tl.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=1000),
        linear(LR * 1.0, end_lr=LR * 0.05, total_steps=1000),
        1200,
    ),
    Case(
        "PolynomialLR-2", lambda o: tl.PolynomialLR(o, total_iters=800, power=2.0), polynomial(LR, 800, power=2.0), 1000
    ),
    Case(
        "PolynomialLR-0.5",
        lambda o: tl.PolynomialLR(o, total_iters=1000, power=0.5),
        polynomial(LR, 1000, power=0.5),
        1100,
    ),
    # One period of CosineAnnealingLR is steps 0..T_max; past it torch climbs back up.
    Case(
        "CosineAnnealingLR",
        lambda o: tl.CosineAnnealingLR(o, T_max=1000, eta_min=1e-4),
        cosine(LR, total=1000, min_lr=1e-4),
        1001,
    ),
    Case(
        "CosineAnnealingLR-0", lambda o: tl.CosineAnnealingLR(o, T_max=1000), cosine(LR, total=1000, min_lr=0.0), 1001
    ),
    Case(
        "WarmRestarts",
        lambda o: tl.CosineAnnealingWarmRestarts(o, T_0=50, eta_min=1e-3),
        cosine_restarts(LR, cycle_steps=50, min_lr=1e-3),
        1200,
    ),
    Case(
        "WarmRestarts-mult2",
        lambda o: tl.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2),
        cosine_restarts(LR, cycle_steps=10, cycle_mult=2),
        1300,
    ),
    Case(
        "WarmRestarts-mult3",
        lambda o: tl.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=3, eta_min=5e-3),
        cosine_restarts(LR, cycle_steps=7, cycle_mult=3, min_lr=5e-3),
        1100,
    ),
    Case(
        "CyclicLR-triangular",
        lambda o: tl.CyclicLR(o, 0.01, 0.1, step_size_up=100, step_size_down=150, cycle_momentum=False),
        cyclic(0.01, 0.1, step_size_up=100, step_size_down=150),
        1000,
    ),
    Case(
        "CyclicLR-triangular2",
        lambda o: tl.CyclicLR(o, 0.01, 0.1, step_size_up=50, mode="triangular2", cycle_momentum=False),
        cyclic(0.01, 0.1, step_size_up=50, mode="triangular2"),
        1000,
    ),
    Case(
        "CyclicLR-exp_range",
        lambda o: tl.CyclicLR(o, 0.01, 0.1, step_size_up=75, mode="exp_range", gamma=0.999, cycle_momentum=False),
        cyclic(0.01, 0.1, step_size_up=75, mode="exp_range", gamma=0.999),
        1000,
    ),
]

for _strategy in ("cos", "linear"):
    for _three in (False, True):
        CASES.append(
            Case(
                f"OneCycleLR-{_strategy}-{'three' if _three else 'two'}",
                lambda o, s=_strategy, th=_three: tl.OneCycleLR(
                    o, max_lr=LR, total_steps=1000, anneal_strategy=s, three_phase=th, cycle_momentum=False
                ),
                onecycle(LR, total_steps=1000, anneal_strategy=_strategy, three_phase=_three),
                1000,
            )
        )
CASES += [
    Case(
        "OneCycleLR-custom",
        lambda o: tl.OneCycleLR(
            o,
            max_lr=0.5,
            total_steps=1234,
            pct_start=0.25,
            div_factor=10.0,
            final_div_factor=100.0,
            cycle_momentum=False,
        ),
        onecycle(0.5, total_steps=1234, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
        1234,
    ),
    Case(
        "SequentialLR-warmup-cosine",
        lambda o: _sequential(
            o,
            [
                lambda p: tl.LinearLR(p, start_factor=0.01, total_iters=100),
                lambda p: tl.CosineAnnealingLR(p, T_max=900, eta_min=1e-5),
            ],
            [100],
        ),
        join([linear(LR * 0.01, end_lr=LR, total_steps=100), cosine(LR, total=900, min_lr=1e-5)], boundaries=[100]),
        1000,
    ),
    Case(
        "SequentialLR-three-parts",
        lambda o: _sequential(
            o,
            [
                lambda p: tl.ExponentialLR(p, gamma=0.99),
                lambda p: tl.StepLR(p, step_size=100, gamma=0.5),
                lambda p: tl.PolynomialLR(p, total_iters=300, power=1.5),
            ],
            [300, 700],
        ),
        join(
            [exponential(LR, gamma=0.99), step(LR, drop=0.5, every=100), polynomial(LR, 300, power=1.5)],
            boundaries=[300, 700],
        ),
        1100,
    ),
]


def torch_lrs(make: Callable[[SGD], tl.LRScheduler], steps: int) -> np.ndarray:
    """The rate torch uses for each of ``steps`` updates, in float64."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = SGD([param], lr=LR)
    sched = make(opt)
    out = []
    for k in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if k < steps - 1:
            sched.step()
    return np.array(out, dtype=np.float64)


def test_the_table_covers_every_twin() -> None:
    twins = {
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "LinearLR",
        "PolynomialLR",
        "CosineAnnealingLR",
        "WarmRestarts",
        "CyclicLR",
        "OneCycleLR",
        "SequentialLR",
    }
    assert twins == {c.id.split("-")[0] for c in CASES}
    assert all(c.steps >= 1000 for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_torch(case: Case) -> None:
    ref = torch_lrs(case.torch_scheduler, case.steps)
    ours = case.ours(np.arange(case.steps))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=0)
    # Scalar calls (what an optimizer makes) give the same numbers as the array call.
    for k in (0, 1, case.steps // 2, case.steps - 1):
        assert case.ours(k) == ours[k]
