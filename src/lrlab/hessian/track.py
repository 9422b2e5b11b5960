"""Sharpness during a training loop: ``lambda_max`` every few steps on one fixed probe batch.

The range test and the sweep call :meth:`SharpnessTracker.after_step` after each optimizer step.
The **probe batch** is the first batch the loop itself drew (:class:`FirstBatch` keeps it as the
loop's own loader cycle serves it), so the loader is iterated exactly as without tracking: the
same order, no extra ``iter()`` of a DataLoader (which would draw a shuffling seed from the global
RNG). Each measurement runs in eval mode (the Hessian of the deterministic loss), under a forked
RNG, and warm-starts Lanczos from the previous top eigenvector, so a slowly moving top direction
converges in a few products. A probe whose loss is not finite records ``NaN`` (the loop itself
decides whether that stops it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab.hessian._operator import NonFiniteLoss, trainable
from lrlab.hessian.api import measure
from lrlab.hessian.edge import edge_constant, is_adam
from lrlab.train.batches import LoaderCycle, to_device
from lrlab.train.contract import StepFn
from lrlab.train.guard import fork_rng

__all__ = ["TRACK_ITERS", "FirstBatch", "SharpnessTracker", "CopyTracker"]

# Lanczos steps per probe (at most; fewer once converged).
TRACK_ITERS = 20
# Relative Ritz residual at which a probe stops: lambda_max then has a relative error of about
# TRACK_TOL**2 * lambda_max / gap (measured on the tutorial's MLP: within 1e-4 of a tol=1e-3 run).
TRACK_TOL = 1e-2
# Weight of the random vector added to the warm start (see lrlab.hessian._lanczos.lanczos's noise).
TRACK_NOISE = 0.1


class FirstBatch(LoaderCycle):
    """A :class:`~lrlab.train.batches.LoaderCycle` that also keeps the first batch it served."""

    def __init__(self, loader: Any, name: str = "train_loader") -> None:
        super().__init__(loader, name)
        self.first: Any = None

    def next(self) -> Any:
        batch = super().next()
        if self.served == 1 and self.first is None:
            self.first = batch
        return batch


class SharpnessTracker:
    """Measures ``lambda_max`` (preconditioned for Adam/AdamW) every ``every`` steps.

    Args:
        model: The model being trained (its state is not changed by a measurement).
        optimizer: Its optimizer (Adam's preconditioner, the edge constant); ``None``: plain GD.
        step_fn: The loop's step function.
        every: Measure after steps ``0, every, 2 * every, ...``.
        device: The model's device.
        iters: Lanczos steps per probe.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None,
        step_fn: StepFn,
        every: int,
        device: torch.device,
        iters: int = TRACK_ITERS,
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.step_fn = step_fn
        self.every = every
        self.device = device
        self.iters = iters
        self.preconditioned = is_adam(optimizer)
        self.edge_constant = edge_constant(optimizer, self.preconditioned)
        self.params = trainable(model, optimizer)
        self.steps: list[int] = []
        self.values: list[float] = []
        self.matvecs = 0
        self._probe: Any = None
        self._start: torch.Tensor | None = None

    def after_step(self, step: int, batch: Any) -> None:
        """Measure after step ``step`` (0-based) when it is due; ``batch`` is the probe batch."""
        if step % self.every:
            return
        if self._probe is None:
            self._probe = to_device(batch, self.device)
        with fork_rng(self.device):
            try:
                res = measure(
                    self.model,
                    self.step_fn,
                    self._probe,
                    self.params,
                    optimizer=self.optimizer,
                    preconditioned=self.preconditioned,
                    k=1,
                    iters=self.iters,
                    tol=TRACK_TOL,
                    train=False,
                    start=self._start,
                    noise=TRACK_NOISE,
                    vectors=True,
                )
            except NonFiniteLoss:
                value = math.nan
            else:
                value = res.lambda_max
                self.matvecs += res.iterations
                if res.vectors is not None and bool(torch.isfinite(res.vectors).all()):
                    self._start = res.vectors[0]
        self.steps.append(int(step))
        self.values.append(float(value))

    def arrays(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """The probe steps below ``steps`` and their sharpness."""
        s = np.asarray(self.steps, dtype=np.int64)
        v = np.asarray(self.values, dtype=np.float64)
        keep = s < steps
        return s[keep], v[keep]


class CopyTracker:
    """``lambda_max`` of each of a sweep's K copies after steps ``0, every, 2 * every ...``.

    The sweep calls :meth:`measure` with copy ``c``'s own tensors (and, for Adam, its ``P^{-1/2}``)
    on the probe batch, the first batch of the sweep's stream. Measured in eval mode, under a forked
    RNG, warm-started from the copy's previous top eigenvector.

    Args:
        model: The model the sweep runs through ``functional_call``.
        step_fn: The sweep's step function.
        every: Probe every this many steps.
        num_lrs: K.
        steps: Steps per copy.
        device: The sweep's device.
        edge_constant: ``c`` of the threshold ``c / lr`` (or ``None``).
        preconditioned: Whether copies pass Adam's ``P^{-1/2}``.
    """

    def __init__(
        self,
        model: nn.Module,
        step_fn: StepFn,
        every: int,
        num_lrs: int,
        steps: int,
        device: torch.device,
        edge_constant: float | None,
        preconditioned: bool,
        iters: int = TRACK_ITERS,
    ) -> None:
        self.model = model
        self.step_fn = step_fn
        self.every = every
        self.device = device
        self.iters = iters
        self.edge_constant = edge_constant
        self.preconditioned = preconditioned
        self.steps = np.arange(0, steps, every, dtype=np.int64)
        self.values = np.full((num_lrs, self.steps.size), np.nan)
        self.probe: Any = None
        self._start: dict[int, torch.Tensor] = {}

    def due(self, step: int) -> bool:
        """Whether step ``step`` (0-based) is followed by a probe."""
        return step % self.every == 0

    def measure(
        self,
        copy: int,
        step: int,
        params: dict[str, torch.Tensor],
        others: dict[str, torch.Tensor],
        scale: torch.Tensor | None = None,
    ) -> None:
        """Measure copy ``copy`` after step ``step`` from its tensors (``params``: the trainable ones)."""
        with fork_rng(self.device):
            try:
                res = measure(
                    self.model,
                    self.step_fn,
                    self.probe,
                    list(params.items()),
                    optimizer=None,
                    preconditioned=self.preconditioned,
                    k=1,
                    iters=self.iters,
                    tol=TRACK_TOL,
                    train=False,
                    start=self._start.get(copy),
                    noise=TRACK_NOISE,
                    vectors=True,
                    scale=scale,
                    others=others,
                )
            except NonFiniteLoss:
                return  # stays NaN
        if res.vectors is not None and bool(torch.isfinite(res.vectors).all()):
            self._start[copy] = res.vectors[0]
        self.values[copy, step // self.every] = res.lambda_max
