"""Functions that the 2-process tests run on each rank (importable by spawned children)."""

from __future__ import annotations

import math
from typing import Any

from lrlab import distributed


def collectives(ctx: distributed.DistContext) -> dict[str, Any]:
    import torch

    r = ctx.rank
    mean = distributed.mean(torch.tensor([r + 1.0], dtype=torch.float64)).item()
    nan_mean = distributed.mean(torch.tensor([math.nan if r == 1 else 1.0])).item()
    return {
        "rank": r,
        "world": ctx.world_size,
        "backend": ctx.backend,
        "is_main": ctx.is_main,
        "mean": mean,
        "nan_mean_is_nan": math.isnan(nan_mean),
        "gather": distributed.gather({"r": r}),
        "broadcast": distributed.broadcast(f"from {r}"),
        "shard": list(distributed.shard(5)),
    }


# --- the range test under DDP -------------------------------------------------------

N_SAMPLES, N_FEATURES, N_CLASSES = 256, 6, 3


def make_data() -> tuple[Any, Any]:
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(N_SAMPLES, N_FEATURES, generator=g, dtype=torch.float64)
    y = torch.randint(0, N_CLASSES, (N_SAMPLES,), generator=g)
    return x, y


def make_model() -> Any:
    import torch
    from torch import nn

    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(N_FEATURES, 16), nn.Tanh(), nn.Linear(16, N_CLASSES)).double()


def snapshot(model: Any, optimizer: Any) -> tuple[dict, dict]:
    import copy

    return copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())


def same_state(a: tuple[dict, dict], b: tuple[dict, dict]) -> bool:
    import torch

    params_same = all(torch.equal(a[0][k], b[0][k]) for k in a[0])
    return params_same and repr(a[1]) == repr(b[1])


def finder_curve(ctx: distributed.DistContext, batch_per_rank: int, fail: str | None = None) -> dict[str, Any]:
    """find_lr on a DDP model, each rank reading its share of every global batch."""
    import torch
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    from lrlab import find_lr

    x, y = make_data()
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, shuffle=False)
    loader = DataLoader(dataset, batch_size=batch_per_rank, sampler=sampler)
    model = DDP(make_model())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = torch.nn.CrossEntropyLoss()
    steps = {"n": 0}

    def step_fn(m: Any, batch: Any) -> Any:
        steps["n"] += 1
        loss = criterion(m(batch[0]), batch[1])
        if fail == "nan" and ctx.rank == 1 and steps["n"] == 7:
            return loss * float("nan")
        if fail == "raise" and ctx.rank == 1 and steps["n"] == 5:
            raise RuntimeError("rank 1 breaks at step 5")
        return loss

    before = snapshot(model, optimizer)
    try:
        result = find_lr(model, optimizer, None, loader, start_lr=1e-3, end_lr=50.0, num_iter=40, step_fn=step_fn)
    except Exception as exc:  # noqa: BLE001 - reported, with the restore check
        return {"raised": f"{type(exc).__name__}: {exc}", "restored": same_state(before, snapshot(model, optimizer))}
    return {
        "lrs": result.lrs.tolist(),
        "losses": list(result.losses),
        "stop_reason": result.stop_reason,
        "suggested": result.suggest().lr,
        "restored": same_state(before, snapshot(model, optimizer)),
    }


def cli_find(ctx: distributed.DistContext, out_root: str) -> dict[str, Any]:
    """``lrlab find`` on each rank (inside an existing group), each told its own --out."""
    import contextlib
    import io
    import os

    from lrlab.cli import main

    out = os.path.join(out_root, f"rank{ctx.rank}")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["find", "--data", "mnist", "--num-iter", "20", "--json", "--out", out])
    return {"rc": rc, "stdout": buf.getvalue(), "wrote": sorted(os.listdir(out)) if os.path.isdir(out) else None}


# --- the sweep across ranks --------------------------------------------------------

SWEEP_LRS = [1e-3, 3e-3, 1e-2, 3e-2, 0.1]


def sweep_inputs() -> tuple[Any, Any, Any, Any]:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    x, y = make_data()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=False)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, optimizer, torch.nn.CrossEntropyLoss(), loader


def sweep_on_ranks(ctx: distributed.DistContext) -> dict[str, Any]:
    from lrlab import sweep_lr

    model, optimizer, criterion, loader = sweep_inputs()
    copies = []
    result = sweep_lr(
        model,
        optimizer,
        criterion,
        loader,
        lrs=SWEEP_LRS,
        steps=12,
        seed=7,
        progress=lambda done, total: copies.append(total),
    )
    return {
        "lrs": result.lrs.tolist(),
        "train_losses": result.train_losses.tolist(),
        "best_lr": result.best_lr,
        "last_params": {k: v.tolist() for k, v in result.params_of(len(SWEEP_LRS) - 1).items()},
        "copies_trained_here": copies[-1] // 12 if copies else 0,
    }


def everything(ctx: distributed.DistContext, out_root: str) -> dict[str, Any]:
    """All the 2-process checks that share one healthy process group (one spawn, less start-up)."""
    return {
        "collectives": collectives(ctx),
        "finder": finder_curve(ctx, 16),
        "finder_nan": finder_curve(ctx, 16, "nan"),
        "sweep": sweep_on_ranks(ctx),
        "cli_find": cli_find(ctx, out_root),
    }


def ddp_freed_at_teardown(ctx: distributed.DistContext) -> dict[str, bool]:
    """Is a DDP model nobody refers to any more freed by ``teardown``, not left to the exit?

    Run in a fresh process: the first DDP model a process builds is the one left in a
    reference cycle (through the frame of its ``__init__``).
    """
    import gc
    import weakref

    from lrlab.tutorial import build_task

    def train_once() -> Any:
        task = build_task(data="mnist", lr=0.1, ddp=ctx)  # the CLI's DDP model
        x, y = next(iter(task.train_loader))
        task.criterion(task.model(x), y).backward()
        return weakref.ref(task.model)

    gc.disable()  # so that only teardown can collect the cycle
    try:
        ref = train_once()
        alive_before = ref() is not None
        distributed.teardown(ctx, wait=True)
        return {"alive_before": alive_before, "alive_after": ref() is not None}
    finally:
        gc.enable()
