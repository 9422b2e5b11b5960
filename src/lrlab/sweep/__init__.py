"""Parallel short-run LR sweeps: K copies of a model trained at K learning rates at once.

``sweep_lr`` stacks K copies of the model's parameters, runs one ``vmap`` forward and one
backward per step on a shared batch, and updates all copies with a fused SGD/Adam/AdamW
rule exact to ``torch.optim``; it returns a :class:`SweepResult` with every copy's loss
curve, the best LR and each copy's final state dict.

Copies are independent, so a sweep of a slice of the LRs gives exactly those rows of the
full sweep: a distributed layer calls ``sweep_lr`` with each rank's slice (same batches,
same ``seed``) and joins the parts with :meth:`SweepResult.concat`.

Examples:
    >>> import torch
    >>> from torch import nn
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = nn.Linear(3, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> data = [(torch.randn(16, 3), torch.randn(16, 1)) for _ in range(4)]
    >>> result = sweep_lr(model, opt, nn.MSELoss(), data, lrs=[1e-3, 1e-2, 1e-1], steps=20)
    >>> result.train_losses.shape
    (3, 20)
    >>> result.best_lr
    0.1
"""

from __future__ import annotations

from lrlab.sweep._api import MODES, SweepFallbackWarning, check_lrs, sweep_lr
from lrlab.sweep.result import SweepResult

__all__ = ["sweep_lr", "SweepResult", "SweepFallbackWarning", "MODES", "check_lrs"]
