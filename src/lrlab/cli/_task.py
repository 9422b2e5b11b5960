"""The training task a model-level subcommand works on: data, model, optimizer, loss.

Shared by ``lrlab find`` (and any subcommand that trains the tutorial's kind of
model): :func:`add_task_arguments` adds ``--data --model --optimizer --batch-size
--seed --device``, and :func:`build_task` turns them into ready objects.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

OPTIMIZERS = ("sgd", "momentum", "adam")

__all__ = ["OPTIMIZERS", "Task", "add_task_arguments", "build_task", "make_optimizer"]


@dataclass
class Task:
    """A model with its optimizer, loss and data loaders, as the CLI builds them."""

    model: Any
    optimizer: Any
    criterion: Any
    train_loader: Any
    val_loader: Any
    device: Any
    description: str


def add_task_arguments(p: argparse.ArgumentParser) -> None:
    """Add the task flags; defaults are the tutorial's set-up."""
    p.add_argument("--data", default="mnist", metavar="mnist|DIR",
                   help="'mnist' for the 5,000 embedded digits, or a folder with MNIST IDX files (default: mnist)")
    p.add_argument("--model", default="mlp", choices=("mlp", "cnn"),
                   help="mlp is the tutorial's SimpleNet (default: mlp)")
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS,
                   help="sgd, momentum (SGD, momentum 0.9) or adam (default: sgd)")
    p.add_argument("--batch-size", type=int, default=128, metavar="N", help="batch size (default: 128)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the model's weights and the batch order")
    p.add_argument("--device", default="auto", metavar="DEV", help="cpu, cuda, cuda:1 ... (default: cuda if available)")


def make_optimizer(name: str, params: Any, lr: float) -> Any:
    """``sgd``, ``momentum`` or ``adam`` over ``params`` at ``lr``."""
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"--optimizer must be one of {OPTIMIZERS}, got {name!r}")


def build_task(args: argparse.Namespace, lr: float, *, with_val: bool = False) -> Task:
    """Build the task the flags describe; the optimizer starts at ``lr``.

    The validation loader (the ``"test"`` split) is built only ``with_val``, so a folder
    holding just the training files is enough otherwise.

    Raises:
        ValueError: For a bad batch size or device, or a folder without MNIST files.
        FileNotFoundError: For a --data folder that does not exist.
    """
    import torch
    from torch import nn

    from lrlab import data, models

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(args.device)
        except RuntimeError as exc:
            raise ValueError(f"--device must name a torch device, got {args.device!r}") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"--device {args.device} asked for CUDA, which is not available here")
    source = data.EMBEDDED if args.data == "mnist" else args.data
    train_loader = data.tensor_loader(*data.load_mnist(source, "train"), args.batch_size, shuffle=True, seed=args.seed)
    val_loader = data.tensor_loader(*data.load_mnist(source, "test"), args.batch_size) if with_val else None
    model = models.build_model(args.model, seed=args.seed).to(device)
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr)
    what = "embedded MNIST (4,000 train digits)" if source == data.EMBEDDED else f"MNIST from {args.data}"
    description = f"{args.model} + {args.optimizer}, batch {args.batch_size}, {what}, {device}"
    return Task(model, optimizer, nn.CrossEntropyLoss(), train_loader, val_loader, device, description)
