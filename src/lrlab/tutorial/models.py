"""Small models for the range test, the sweep and the demo: the tutorial's SimpleNet and a CNN.

Examples:
    >>> import torch
    >>> model = build_model("mlp", seed=0)
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> sum(p.numel() for p in model.parameters())
    101770
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from lrlab._checks import check_choice, check_seed

__all__ = ["SimpleNet", "SmallCNN", "MODELS", "build_model"]


class SimpleNet(nn.Module):
    """The tutorial's model: ``Flatten -> Linear(784, 128) -> ReLU -> Linear(128, 10)``.

    The layers sit in ``self.fc`` as in the tutorial, so its state-dict keys
    (``fc.1.weight`` ...) match code written against the tutorial.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class SmallCNN(nn.Module):
    """A small CNN for 28x28 digits: two 3x3 conv blocks (8 and 16 channels) and a linear head.

    ``conv(1->8) ReLU maxpool2 -> conv(8->16) ReLU maxpool2 -> Flatten -> Linear(784, 10)``,
    about 9k parameters. It has no BatchNorm so that a vmapped sweep can batch it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


MODELS: dict[str, Callable[[], nn.Module]] = {"mlp": SimpleNet, "cnn": SmallCNN}


def build_model(name: str, *, seed: int | None = None) -> nn.Module:
    """Build a model by name.

    Args:
        name: ``"mlp"`` (the tutorial's SimpleNet) or ``"cnn"`` (:class:`SmallCNN`).
        seed: When given, the initial weights are drawn from a generator seeded with it
            and the global torch RNG is left as it was; ``None`` draws from the global RNG.

    Raises:
        ValueError: If ``name`` is unknown or ``seed`` negative.
        TypeError: If ``seed`` is not an int.
    """
    check_choice("model", name, MODELS)
    check_seed("seed", seed)
    if seed is None:
        return MODELS[name]()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODELS[name]()
