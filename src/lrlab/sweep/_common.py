"""What the vmapped and the sequential paths share: their outcome, the loss call, the seeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call

Progress = Callable[[int, int], None]
Criterion = Callable[[Any, Any], Tensor]


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


def model_loss(model: nn.Module, criterion: Criterion, tensors: dict[str, Tensor], x: Any, y: Any) -> Tensor:
    """``criterion(model(x), y)`` with the model's tensors replaced by ``tensors``.

    Raises:
        ValueError: If the loss is not a scalar.
    """
    out = functional_call(model, tensors, (x,))
    loss = criterion(out, y)
    if not isinstance(loss, Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"criterion must return a scalar loss tensor, got {shape}")
    return loss


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


def val_step_set(steps: int, val_every: int | None) -> list[int]:
    """Steps (1-based, after the update) at which validation runs: every ``val_every`` and the last."""
    every = steps if val_every is None else val_every
    out = list(range(every, steps + 1, every))
    if not out or out[-1] != steps:
        out.append(steps)
    return out


class TrainModes:
    """Switch the model between train and eval mode and put every module's flag back after."""

    def __init__(self, model: nn.Module) -> None:
        self._model = model
        self._saved = [(m, m.training) for m in model.modules()]

    def train(self) -> None:
        self._model.train()

    def eval(self) -> None:
        self._model.eval()

    def restore(self) -> None:
        for m, training in self._saved:
            # Set the flag directly: m.train(flag) would recurse into children.
            m.training = training
