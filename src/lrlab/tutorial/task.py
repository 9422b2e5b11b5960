"""The tutorial's training task from plain keywords: data, model, optimizer, loss and device.

One builder for everyone who trains the tutorial's kind of model — ``lrlab find`` and
``lrlab sweep`` (their flags become these keywords), the demo's Part 4 and the
benchmarks::

    task = build_task(lr=1e-7)            # SimpleNet + SGD, batch 128, the 4,000 embedded digits
    find_lr(task.model, task.optimizer, task.criterion, task.train_loader)

Every argument is checked before anything is loaded or built. The module itself imports
neither torch nor the data; :func:`build_task` and :func:`resolve_device` import torch
when called.

Examples:
    >>> task = build_task(model="cnn", optimizer="adam", lr=1e-3, batch_size=64, device="cpu")
    >>> task
    Task(cnn + adam, batch 64, embedded MNIST (4,000 train digits), cpu)
    >>> type(task.optimizer).__name__, task.optimizer.param_groups[0]["lr"], len(task.train_loader)
    ('Adam', 0.001, 63)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from lrlab._checks import check_bool, check_choice, check_int, check_real, show

# The embedded digits; any other ``data`` is a folder of MNIST IDX files.
EMBEDDED_DATA = "mnist"
OPTIMIZERS = ("sgd", "momentum", "adam")
MODELS = ("mlp", "cnn")
# torch's generators take seeds up to 2**64 - 1; int64 is what every other seeded thing takes too.
MAX_SEED = 2**63 - 1

__all__ = [
    "EMBEDDED_DATA",
    "OPTIMIZERS",
    "MODELS",
    "MAX_SEED",
    "Task",
    "build_task",
    "make_optimizer",
    "resolve_device",
]


@dataclass(repr=False)
class Task:
    """A model with its optimizer, loss and data loaders, ready to train.

    Attributes:
        model: The model, on ``device`` (wrapped in ``DistributedDataParallel`` under DDP).
        optimizer: A ``torch.optim`` optimizer over the model's parameters.
        criterion: ``nn.CrossEntropyLoss()``.
        train_loader: Shuffled ``(x, y)`` batches of the training split.
        val_loader: Batches of the test split, or ``None`` unless asked for.
        device: Where the model is.
        description: One line for titles: model, optimizer, batch, data, device.
    """

    model: Any
    optimizer: Any
    criterion: Any
    train_loader: Any
    val_loader: Any
    device: Any
    description: str

    def __repr__(self) -> str:
        return f"Task({self.description})"


def resolve_device(device: Any = "auto", name: str = "device") -> Any:
    """``"auto"`` (CUDA when available, else the CPU), a device string or a ``torch.device``.

    Raises:
        ValueError: If the text names no torch device, or names CUDA where there is none.
        TypeError: If ``device`` is neither text nor a ``torch.device``.
    """
    import torch

    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(device)
        except RuntimeError:
            raise ValueError(f"{name} must name a torch device (auto, cpu, cuda, cuda:1 ...), got {device!r}") from None
    else:
        raise TypeError(f"{name} must be 'auto', a device name or a torch.device, got {show(device)}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name} must be a device this machine has, got {str(device)!r}: CUDA is not available here")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(
            f"{name} must be a device this machine has, got {str(device)!r}: it has "
            f"{torch.cuda.device_count()} CUDA device(s)"
        )
    if dev.type == "meta":
        raise ValueError(f"{name} must be a device that holds data, got {str(device)!r}: meta tensors have none")
    try:
        torch.empty(1, device=dev)
    except (RuntimeError, NotImplementedError):
        raise ValueError(
            f"{name} must be a device this machine has, got {str(device)!r}: this torch build cannot allocate there"
        ) from None
    return dev


def make_optimizer(name: str, params: Any, lr: float) -> Any:
    """``sgd``, ``momentum`` (SGD with momentum 0.9) or ``adam`` over ``params`` at ``lr``.

    Raises:
        ValueError: If ``name`` is not one of :data:`OPTIMIZERS`.
    """
    import torch

    check_choice("optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def build_task(
    *,
    data: str | os.PathLike[str] = EMBEDDED_DATA,
    model: str = "mlp",
    optimizer: str = "sgd",
    lr: float,
    batch_size: int = 128,
    seed: int = 0,
    device: Any = "auto",
    with_val: bool = False,
    ddp: Any = None,
    data_parallel: bool = True,
) -> Task:
    """Build the tutorial's task; the optimizer starts at ``lr``.

    The model's weights and the batch order are drawn from ``seed``, so two tasks built
    alike train alike. With ``ddp``, a :class:`lrlab.distributed.DistContext` of several
    ranks, the model is wrapped in ``DistributedDataParallel`` (on ``cuda:LOCAL_RANK``
    with nccl) and each rank reads its share of every global batch through a
    ``DistributedSampler``: ``batch_size`` is then the batch of one rank, as in a DDP
    training script. With ``data_parallel=False`` (the sweep, which spreads learning
    rates, not data, over the ranks) every rank gets the plain model and the whole
    loader, on its own device.

    Args:
        data: ``"mnist"`` for the 4,000 embedded training digits (1,000 held out), or a
            folder of MNIST IDX files (see :func:`lrlab.tutorial.data.load_mnist`).
        model: ``"mlp"`` (the tutorial's SimpleNet) or ``"cnn"``.
        optimizer: ``"sgd"``, ``"momentum"`` or ``"adam"``.
        lr: The optimizer's learning rate (finite, >= 0).
        batch_size: Batch size, at most the training split's size (one rank's share under DDP).
        seed: Seed (``0 .. MAX_SEED``) of the model's weights and the batch order.
        device: ``"auto"``, a device name or a ``torch.device``.
        with_val: Also build the validation loader (the ``"test"`` split); without it a
            folder holding just the training files is enough.
        ddp: The process group's context, or ``None`` for one process.
        data_parallel: Under DDP, shard the data and wrap the model (default).

    Returns:
        A :class:`Task`.

    Raises:
        TypeError: For an argument of the wrong kind.
        ValueError: For a bad choice, LR, batch size, seed or device, or a folder without
            MNIST files.
        FileNotFoundError: For a ``data`` folder that does not exist.
    """
    if not isinstance(data, (str, os.PathLike)):
        raise TypeError(f"data must be {EMBEDDED_DATA!r} or a folder of MNIST IDX files, got {show(data)}")
    check_choice("model", model, MODELS)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = check_real("lr", lr, minimum=0.0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0, maximum=MAX_SEED)
    with_val = check_bool("with_val", with_val)
    data_parallel = check_bool("data_parallel", data_parallel)
    dev = resolve_device(device)

    import torch
    from torch import nn

    from lrlab.tutorial import data as mnist
    from lrlab.tutorial import models

    if ddp is not None and ddp.distributed and ddp.backend == "nccl":
        dev = torch.device("cuda", ddp.local_rank)
    distributed = ddp is not None and ddp.distributed and data_parallel
    source = mnist.EMBEDDED if isinstance(data, str) and data == EMBEDDED_DATA else data
    images, labels = mnist.load_mnist(source, "train")
    ranks = ddp.world_size if distributed else 1
    share = math.ceil(len(labels) / ranks)
    if batch_size > share:
        of = f"the {len(labels):,} training digits" + (f" over {ranks} ranks" if ranks > 1 else "")
        raise ValueError(f"batch_size must be <= {share:,} ({of}), got {batch_size:,}")
    if distributed:
        train_loader = _sharded_loader(images, labels, batch_size, seed)
    else:
        train_loader = mnist.tensor_loader(images, labels, batch_size, shuffle=True, seed=seed)
    val_loader = mnist.tensor_loader(*mnist.load_mnist(source, "test"), batch_size) if with_val else None
    net = models.build_model(model, seed=seed).to(dev)
    if distributed:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(net, device_ids=[dev.index] if dev.type == "cuda" else None)
    opt = make_optimizer(optimizer, net.parameters(), lr)
    what = (
        f"embedded MNIST ({len(labels):,} train digits)"
        if source == mnist.EMBEDDED
        else f"MNIST from {os.fspath(data)}"
    )
    batch = f"batch {batch_size}" + (f" x {ddp.world_size} ranks (DDP, {ddp.backend})" if distributed else "")
    description = f"{model} + {optimizer}, {batch}, {what}, {dev}"
    return Task(net, opt, nn.CrossEntropyLoss(), train_loader, val_loader, dev, description)


def _sharded_loader(images: Any, labels: Any, batch_size: int, seed: int) -> Any:
    """Each rank's share of every global batch (a shuffled ``DistributedSampler``)."""
    import numpy as np
    import torch
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    dataset = TensorDataset(torch.from_numpy(np.asarray(images)), torch.from_numpy(np.asarray(labels)))
    return DataLoader(dataset, batch_size=batch_size, sampler=DistributedSampler(dataset, shuffle=True, seed=seed))
