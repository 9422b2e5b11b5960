"""An lrlab task: your model, optimizer, loss and data, for ``lrlab find --task`` and ``lrlab sweep --task``.

Written by ``lrlab init-task``. As it stands it trains a small MLP on a synthetic
three-class problem, so that these run out of the box::

    lrlab find --task THIS_FILE.py
    lrlab find --task THIS_FILE.py --confirm     # the peak LR for the schedule below
    lrlab sweep --task THIS_FILE.py

Replace the parts marked "yours" with your own. lrlab calls ``make_task()`` (another
function: ``--task THIS_FILE.py:other``) with no arguments after seeding Python, NumPy
and torch from ``--seed``; this file's folder is on ``sys.path`` meanwhile, so it may
import its neighbours. lrlab trains copies (or restores your objects afterwards): your
model and optimizer come back as they were.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def make_task() -> dict[str, Any]:
    """Return what lrlab needs; the keys below are all there are."""
    # Yours: the data. Any DataLoader, or any re-iterable of batches (a list of (x, y) works too).
    centers = torch.tensor([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    labels = torch.arange(3).repeat_interleave(200)
    points = centers[labels] + 0.8 * torch.randn(600, 2)
    train = TensorDataset(points[:480], labels[:480])
    val = TensorDataset(points[480:], labels[480:])

    # Yours: the model, already on the device it should train on (lrlab never moves it).
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))

    return {
        "model": model,
        # An optimizer over the model's parameters (its LR is the one lrlab scans or sweeps
        # past), or a factory params -> optimizer that lrlab calls with model.parameters():
        #     "optimizer": torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        "optimizer": functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9),
        # The loss, for (x, y) batches: criterion(model(x), y) -> scalar. For other batches
        # (dicts, a model that computes its own loss) give instead
        #     "step_fn": lambda model, batch: model(**batch).loss,
        "criterion": nn.CrossEntropyLoss(),
        "train_loader": DataLoader(train, batch_size=32, shuffle=True),
        # Optional: batches that lrlab sweep scores each learning rate on (its --val-batches).
        "val_loader": DataLoader(val, batch_size=60),
        # Optional, for lrlab find --confirm: the shape of your LR schedule with peak 1 (a spec,
        # see lrlab schedule --list; a callable step -> factor; or a factory optimizer ->
        # LRScheduler) and your run's length in optimizer steps. The flags --schedule and
        # --total-steps take precedence.
        "schedule": "warmup_cosine(1.0, warmup=50, total=1000, min_lr=0)",
        "total_steps": 1000,
    }
