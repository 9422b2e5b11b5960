"""What running on several processes needs: setup, rank-consistent reductions, rank-0 output.

lrlab uses the engine PyTorch users already run: ``torch.distributed``, launched by
``torchrun``. Everything here is a no-op in a single process, so library code calls
these helpers unconditionally.

* :func:`setup` joins the process group that ``torchrun`` describes in the
  environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), picking
  ``nccl`` on CUDA and ``gloo`` on the CPU, with a **timeout** (default
  :data:`DEFAULT_TIMEOUT_S` seconds): a rank that fails or stalls makes every other
  rank's next collective fail after at most that long, instead of hanging.
* :func:`mean` averages a tensor over the ranks (an all-reduce), so each rank
  records the same loss; a NaN or Inf on any rank becomes NaN on all of them, so
  every rank takes the same stop decision on the same step.
* :func:`gather` collects one picklable object from each rank, for sweeps that
  spread their learning rates over the ranks (:func:`shard`).

Across machines, launch ``torchrun`` on each with the same rendezvous options, e.g.
``torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500
--rdzv-id lrjob -m lrlab find ...``.
"""

from __future__ import annotations

import datetime
import gc
import os
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_S = 120.0

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DistContext",
    "setup",
    "teardown",
    "launched",
    "is_active",
    "rank",
    "world_size",
    "is_main",
    "mean",
    "gather",
    "broadcast",
    "shard",
]


@dataclass(frozen=True)
class DistContext:
    """Where this process stands.

    Attributes:
        rank: This process's rank (0 in a single process).
        world_size: Number of processes (1 in a single process).
        local_rank: Rank on this machine (picks the CUDA device).
        backend: ``"gloo"``, ``"nccl"``, or ``None`` when not distributed.
        created: Whether :func:`setup` created the process group (and so
            :func:`teardown` destroys it).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    created: bool = False

    @property
    def is_main(self) -> bool:
        """True on rank 0: the only rank that prints and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when more than one process takes part."""
        return self.world_size > 1


def launched() -> bool:
    """True when the environment describes several processes (``torchrun`` sets it)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False


def is_active() -> bool:
    """True when a process group with more than one rank is initialised."""
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    import torch.distributed as dist

    return dist.get_rank() if is_active() else 0


def world_size() -> int:
    """Number of ranks (1 when not distributed)."""
    import torch.distributed as dist

    return dist.get_world_size() if is_active() else 1


def is_main() -> bool:
    """True on rank 0, and in a single process."""
    return rank() == 0


def _check_backend(backend: str | None) -> None:
    if backend not in (None, "gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo' or 'nccl', got {backend!r}")


def setup(backend: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> DistContext:
    """Join the process group described by the environment, if there is one.

    Args:
        backend: ``"gloo"`` or ``"nccl"``; by default ``nccl`` when CUDA is available,
            else ``gloo``.
        timeout_s: Seconds a collective may wait for the other ranks before it
            fails (> 0).

    Returns:
        A :class:`DistContext`; a single-process one when not launched by ``torchrun``.

    Raises:
        ValueError: For an unknown backend or a timeout <= 0.
    """
    _check_backend(backend)
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    import torch
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_available() and dist.is_initialized():
        return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, dist.get_backend(), False)
    if not launched():
        return DistContext()
    chosen = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if chosen == "nccl":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(chosen, timeout=datetime.timedelta(seconds=timeout_s))
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, chosen, True)


def teardown(ctx: DistContext, *, wait: bool = False) -> None:
    """Destroy the process group if :func:`setup` created it.

    Args:
        ctx: What :func:`setup` returned.
        wait: Meet the other ranks at a barrier first (on a normal exit); after an error there
            is no barrier, so a failing rank never waits for the others.

    Objects that are no longer reachable but still hold the group (a ``DistributedDataParallel``
    model sits in reference cycles with its reducer) are collected before the group is
    destroyed. Left to the interpreter's exit, they are freed after Python has stopped and
    gloo's threads abort the process ("terminate called without an active exception").
    """
    if ctx.created:
        import torch.distributed as dist

        if dist.is_initialized():
            if wait:
                dist.barrier()
            gc.collect()
            dist.destroy_process_group()


def mean(tensor: Any) -> Any:
    """The average of ``tensor`` over all ranks (the tensor itself when not distributed).

    Non-finite values propagate: a NaN or Inf on one rank makes the result non-finite
    on every rank.
    """
    if not is_active():
        return tensor
    import torch.distributed as dist

    out = tensor.detach().clone()
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out / dist.get_world_size()


def gather(obj: Any) -> list[Any]:
    """One picklable object from every rank, in rank order, on every rank."""
    if not is_active():
        return [obj]
    import torch.distributed as dist

    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every rank."""
    if not is_active():
        return obj
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def shard(n: int, world: int | None = None, this_rank: int | None = None) -> range:
    """The contiguous block of ``range(n)`` that ``this_rank`` owns out of ``world``.

    Blocks differ in size by at most one, earlier ranks taking the extra items.

    Examples:
        >>> [list(shard(5, 2, r)) for r in range(2)]
        [[0, 1, 2], [3, 4]]
    """
    world = world_size() if world is None else world
    this_rank = rank() if this_rank is None else this_rank
    if world < 1 or not 0 <= this_rank < world:
        raise ValueError(f"rank must be in [0, world) with world >= 1, got rank={this_rank}, world={world}")
    base, extra = divmod(n, world)
    start = this_rank * base + min(this_rank, extra)
    return range(start, start + base + (1 if this_rank < extra else 0))
