"""What the vmapped and the sequential paths share: their outcome and the per-step seeds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Outcome:
    """Raw numbers of one sweep, rows indexed by copy.

    ``train_losses`` is ``(K, steps)``, ``val_losses`` ``(K, len(val_steps))`` or None;
    ``params`` and ``buffers`` map names to ``(K, ...)`` tensors (each copy's final state).
    """

    train_losses: Tensor
    val_losses: Tensor | None
    params: dict[str, Tensor]
    buffers: dict[str, Tensor]


def step_seed(base_seed: int, step: int, device: torch.device) -> None:
    """Seed the CPU RNG (and ``device``'s) for step ``step``: every copy draws the same masks there.

    Common random numbers make the copies differ by their learning rate only. On the CPU
    the sequential path then draws exactly what the vmapped one (``randomness="same"``)
    draws; on CUDA an unbatched dropout runs a fused kernel that draws other numbers from
    the same seed, so there the copies share masks but the two paths differ.
    """
    seed = (base_seed + step) % (2**63)
    torch.random.default_generator.manual_seed(seed)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        torch.cuda.default_generators[index].manual_seed(seed)


def weighted_mean(parts: Iterable[tuple[Tensor, int]]) -> Tensor:
    """The mean loss over batches: ``sum(loss * n) / sum(n)`` in float64, added in the batches' order.

    Args:
        parts: ``(loss, n)`` per batch: the batch's mean loss (one value or one per copy) and its sample count.

    Raises:
        ValueError: If ``parts`` is empty.

    Examples:
        >>> weighted_mean([(torch.tensor(1.0), 3), (torch.tensor(2.0), 1)]).item()
        1.25
    """
    total: Tensor | None = None
    count = 0
    for loss, n in parts:
        weighted = loss.double() * n
        total = weighted if total is None else total + weighted
        count += n
    if total is None:
        raise ValueError("parts must hold at least one batch, got none")
    return total / count


def val_step_set(steps: int, val_every: int | None) -> list[int]:
    """Steps (1-based, after the update) at which validation runs: every ``val_every`` and the last."""
    every = steps if val_every is None else val_every
    out = list(range(every, steps + 1, every))
    if not out or out[-1] != steps:
        out.append(steps)
    return out
