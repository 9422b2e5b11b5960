"""Functions that the 2-process tests run on each rank (importable by spawned children)."""

from __future__ import annotations

import math
import time
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


def raise_on_rank_1(ctx: distributed.DistContext) -> float:
    import torch

    if ctx.rank == 1:
        raise RuntimeError("rank 1 fails before the collective")
    t0 = time.monotonic()
    try:
        distributed.mean(torch.ones(1))
    finally:
        elapsed = time.monotonic() - t0
    return elapsed
