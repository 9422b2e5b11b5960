"""Run a function on several CPU processes joined by a gloo process group (for tests).

Each rank is a fresh interpreter (``spawn``) with the environment ``torchrun`` would
set; results come back in rank order. A rank that raises comes back as the exception
text; a run that outlasts ``timeout`` is killed and reported, so CI never hangs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
import traceback
from collections.abc import Callable
from contextlib import suppress
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(
    fn: Callable[..., Any], rank: int, world: int, port: int, pg_timeout: float, queue: Any, args: tuple
) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        OMP_NUM_THREADS="1",
    )
    import torch

    torch.set_num_threads(1)
    from lrlab import distributed

    ctx = distributed.setup("gloo", timeout_s=pg_timeout)
    try:
        queue.put((rank, "ok", fn(ctx, *args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put((rank, "error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        with suppress(Exception):  # a peer may already be gone
            distributed.teardown(ctx)


def run_ranks(
    fn: Callable[..., Any], *args: Any, world: int = 2, timeout: float = 90.0, pg_timeout: float = 30.0
) -> list[tuple[str, Any]]:
    """Run ``fn(ctx, *args)`` on ``world`` ranks; return ``[(status, value), ...]`` by rank.

    ``status`` is ``"ok"`` (value = what ``fn`` returned), ``"error"`` (value = the
    exception text) or ``"lost"`` (the process died or was killed at ``timeout``).
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=_worker, args=(fn, r, world, port, pg_timeout, queue, args)) for r in range(world)]
    for p in procs:
        p.start()
    results: dict[int, tuple[str, Any]] = {}
    import queue as _queue
    import time

    deadline = time.monotonic() + timeout
    while len(results) < world and time.monotonic() < deadline:
        try:
            r, status, value = queue.get(timeout=0.5)
            results[r] = (status, value)
        except _queue.Empty:
            if all(not p.is_alive() for p in procs) and queue.empty():
                break
    for p in procs:
        p.join(timeout=max(0.0, deadline - time.monotonic()) + 1)
        if p.is_alive():
            p.kill()
            p.join()
    return [results.get(r, ("lost", None)) for r in range(world)]
