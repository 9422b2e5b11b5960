"""torch.distributed helpers: single-process no-ops, and 2-process gloo collectives."""

from __future__ import annotations

import time

import pytest

import dist_workers
from dist_harness import run_ranks
from lrlab import distributed


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """One 2-process run of every check that needs a healthy group (see dist_workers.everything)."""
    results = run_ranks(dist_workers.everything, str(tmp_path_factory.mktemp("ranks")))
    assert [s for s, _ in results] == ["ok", "ok"], results
    return [v for _, v in results]


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
    assert [i for part in parts for i in part] == list(range(n))
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


def test_two_ranks_agree(ranks: list[dict]) -> None:
    a, b = (r["collectives"] for r in ranks)
    assert a["world"] == b["world"] == 2 and a["backend"] == "gloo"
    assert a["is_main"] and not b["is_main"]
    assert a["mean"] == b["mean"] == 1.5
    assert a["nan_mean_is_nan"] and b["nan_mean_is_nan"]  # a NaN anywhere reaches every rank
    assert a["gather"] == b["gather"] == [{"r": 0}, {"r": 1}]
    assert a["broadcast"] == b["broadcast"] == "from 0"
    assert a["shard"] == [0, 1, 2] and b["shard"] == [3, 4]


def single_process_curve(batch: int) -> dict:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from lrlab import find_lr

    x, y = dist_workers.make_data()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=False)
    model = dist_workers.make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    result = find_lr(model, optimizer, torch.nn.CrossEntropyLoss(), loader, start_lr=1e-3, end_lr=50.0, num_iter=40)
    return {
        "lrs": result.lrs.tolist(),
        "losses": list(result.losses),
        "stop_reason": result.stop_reason,
        "suggested": result.suggest().lr,
    }


def test_ddp_range_test_equals_one_process_on_the_union_of_batches(ranks: list[dict]) -> None:
    a, b = (r["finder"] for r in ranks)
    # Every rank records the same curve, stops on the same step, reads the same suggestion.
    assert a["losses"] == b["losses"] and a["stop_reason"] == b["stop_reason"] == "diverged"
    assert a["suggested"] == b["suggested"]
    assert a["restored"] and b["restored"]
    ref = single_process_curve(32)  # the union of the two ranks' batches of 16
    assert len(a["losses"]) == len(ref["losses"]) and a["stop_reason"] == ref["stop_reason"]
    assert a["losses"] == pytest.approx(ref["losses"], rel=1e-10, abs=1e-12)
    assert a["suggested"] == pytest.approx(ref["suggested"], rel=1e-12)


def test_nan_on_one_rank_stops_every_rank_on_that_step(ranks: list[dict]) -> None:
    a, b = (r["finder_nan"] for r in ranks)
    assert len(a["losses"]) == len(b["losses"]) == 7
    assert a["stop_reason"] == b["stop_reason"] == "non-finite"
    assert a["restored"] and b["restored"]


def test_teardown_frees_an_unreachable_ddp_model_before_the_group_goes() -> None:
    # A process's first DDP model sits in a reference cycle, so it outlives its last reference;
    # freed only at interpreter exit, gloo's threads aborted the rank (SIGABRT under torchrun).
    results = run_ranks(dist_workers.ddp_freed_at_teardown)
    assert results == [("ok", {"alive_before": True, "alive_after": False})] * 2


def test_a_rank_that_raises_fails_the_others_in_bounded_time_and_restores() -> None:
    t0 = time.monotonic()
    results = run_ranks(dist_workers.finder_curve, 16, "raise", pg_timeout=10.0, timeout=60.0)
    assert time.monotonic() - t0 < 45
    assert [s for s, _ in results] == ["ok", "ok"], results
    a, b = (v for _, v in results)
    assert "rank 1 breaks at step 5" in b["raised"]
    assert "raised" in a  # rank 0's collective failed instead of waiting forever
    assert a["restored"] and b["restored"]


def test_sweep_spread_over_ranks_equals_one_process(ranks: list[dict]) -> None:
    from lrlab import sweep_lr

    a, b = (r["sweep"] for r in ranks)
    assert (a["copies_trained_here"], b["copies_trained_here"]) == (3, 2)  # 5 LRs split 3 + 2
    assert a["train_losses"] == b["train_losses"] and a["best_lr"] == b["best_lr"]
    model, optimizer, criterion, loader = dist_workers.sweep_inputs()
    ref = sweep_lr(model, optimizer, criterion, loader, lrs=dist_workers.SWEEP_LRS, steps=12, seed=7)
    assert a["lrs"] == ref.lrs.tolist()
    assert a["train_losses"] == ref.train_losses.tolist()  # bitwise: the same copies on the same batches
    assert a["best_lr"] == ref.best_lr
    last = ref.params_of(len(dist_workers.SWEEP_LRS) - 1)
    assert a["last_params"] == {k: v.tolist() for k, v in last.items()}


def test_cli_only_rank_0_prints_and_writes(ranks: list[dict]) -> None:
    import json

    a, b = (r["cli_find"] for r in ranks)
    assert a["rc"] == b["rc"] == 0
    assert b["stdout"] == "" and b["wrote"] is None
    assert a["wrote"] == ["lr_finder.csv", "lr_finder.png"]
    doc = json.loads(a["stdout"])
    assert doc["world_size"] == 2
    assert doc["suggested_lr_by_rank"] == [doc["suggested_lr"]] * 2
