"""torch.distributed helpers: single-process no-ops, and 2-process gloo collectives."""

from __future__ import annotations

import time

import pytest

import dist_workers
from dist_harness import run_ranks
from lrlab import distributed


def test_single_process_helpers_are_no_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    ctx = distributed.setup()
    assert (ctx.rank, ctx.world_size, ctx.backend, ctx.is_main, ctx.distributed) == (0, 1, None, True, False)
    t = torch.tensor([2.0])
    assert distributed.mean(t) is t
    assert distributed.gather("x") == ["x"]
    assert distributed.broadcast(3) == 3
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
    distributed.teardown(ctx)


@pytest.mark.parametrize(("n", "world"), [(5, 2), (64, 8), (3, 4), (0, 2), (16, 1)])
def test_shard_covers_everything_once(n: int, world: int) -> None:
    parts = [list(distributed.shard(n, world, r)) for r in range(world)]
    assert sum(parts, []) == list(range(n))
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="backend must be 'gloo' or 'nccl', got 'mpi'"):
        distributed.setup("mpi")
    with pytest.raises(ValueError, match="timeout_s must be > 0, got 0"):
        distributed.setup(timeout_s=0)
    with pytest.raises(ValueError, match="rank must be in"):
        distributed.shard(4, 2, 2)


def test_launched_reads_world_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed.launched()
    monkeypatch.setenv("WORLD_SIZE", "x")
    assert not distributed.launched()


def test_two_ranks_agree() -> None:
    results = run_ranks(dist_workers.collectives)
    assert [s for s, _ in results] == ["ok", "ok"], results
    a, b = (v for _, v in results)
    assert a["world"] == b["world"] == 2 and a["backend"] == "gloo"
    assert a["is_main"] and not b["is_main"]
    assert a["mean"] == b["mean"] == 1.5
    assert a["nan_mean_is_nan"] and b["nan_mean_is_nan"]  # a NaN anywhere reaches every rank
    assert a["gather"] == b["gather"] == [{"r": 0}, {"r": 1}]
    assert a["broadcast"] == b["broadcast"] == "from 0"
    assert a["shard"] == [0, 1, 2] and b["shard"] == [3, 4]


def test_a_failing_rank_does_not_hang_the_others() -> None:
    t0 = time.monotonic()
    results = run_ranks(dist_workers.raise_on_rank_1, pg_timeout=10.0, timeout=60.0)
    assert results[1][0] == "error" and "rank 1 fails" in results[1][1]
    assert results[0][0] == "error", results[0]  # its collective failed instead of waiting forever
    assert time.monotonic() - t0 < 45
