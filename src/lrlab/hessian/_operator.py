"""The Hessian of a step function's loss on one batch, as a matrix-free operator ``v -> H v``.

The loss is evaluated through :func:`lrlab.train.contract.functional_step` on *detached
aliases* of the model's parameters (the same storage, new autograd leaves), so the model's
parameters, their ``.grad`` and the autograd graph of any training step are never touched.
The gradient ``g`` is built once with ``create_graph=True``; each product is one more
backward pass through it (Pearlmutter's trick, "double backward"):
``H v = d/dθ (g(θ) · v)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from lrlab.train.contract import StepFn, check_loss, functional_step

__all__ = ["NonFiniteLoss", "HessianOperator", "trainable"]


def twice_differentiable() -> contextlib.AbstractContextManager[Any]:
    """A context in which attention runs by its math kernel, the one with a double backward.

    The fused flash / memory-efficient kernels of ``scaled_dot_product_attention`` (what
    transformers call by default) have no derivative of their backward, so a Hessian-vector
    product through them fails; the math kernel gives the same values.
    """
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # torch < 2.3: no kernel choice to make here
        return contextlib.nullcontext()
    return sdpa_kernel(SDPBackend.MATH)


class NonFiniteLoss(ValueError):
    """The probe batch's loss is NaN or infinite at the current weights."""


def trainable(model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> list[tuple[str, nn.Parameter]]:
    """The parameters the Hessian is taken over: those that require grad (and, with an optimizer,
    that it trains), in ``model.named_parameters()`` order."""
    held = None if optimizer is None else {id(p) for g in optimizer.param_groups for p in g["params"]}
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad and (held is None or id(p) in held)]


class HessianOperator:
    """``H v`` (flattened, in :func:`trainable` order) for the loss of ``step_fn`` on ``batch``.

    Args:
        model: The model; its mode (train/eval) is the caller's business and is not changed here.
        step_fn: The batch -> loss contract's step function.
        batch: A batch already on the model's device.
        params: ``(name, parameter)`` pairs to differentiate (see :func:`trainable`).
        scale: Optional ``s`` (flattened): the operator is then ``diag(s) H diag(s)``
            (the preconditioned Hessian ``P^{-1/2} H P^{-1/2}`` with ``s = P^{-1/2}``).
        others: Buffers and frozen tensors to use instead of the model's own (a sweep copy's);
            default: the model's.

    Raises:
        NonFiniteLoss: If the loss is NaN or infinite.
        LossError, LossTypeError: If the step function gives no trainable scalar loss.
    """

    def __init__(
        self,
        model: nn.Module,
        step_fn: StepFn,
        batch: Any,
        params: Sequence[tuple[str, torch.Tensor]],
        scale: torch.Tensor | None = None,
        others: Mapping[str, torch.Tensor] | None = None,
    ) -> None:
        self.shapes = [p.shape for _, p in params]
        self.sizes = [p.numel() for _, p in params]
        self.size = sum(self.sizes)
        self.dtype = params[0][1].dtype
        self.device = params[0][1].device
        self.scale = scale
        leaves = [p.detach().requires_grad_(True) for _, p in params]
        tensors: dict[str, torch.Tensor] = {}
        if others is not None:
            tensors.update(others)
        if model.training:
            # Train-mode layers update their buffers (BatchNorm's running stats): give them copies.
            own = dict(model.named_buffers())
            tensors.update({n: b.clone() for n, b in (others or own).items() if n in own})
        tensors.update(zip((n for n, _ in params), leaves))
        with torch.enable_grad(), twice_differentiable():
            loss = functional_step(model, step_fn)(tensors, batch)
            if not bool(torch.isfinite(loss.detach())):
                raise NonFiniteLoss(
                    f"batch must give a finite loss at the model's current weights, got {float(loss.detach())}"
                )
            check_loss(loss)
            grads = torch.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
        self.loss = float(loss.detach())
        # A parameter the loss does not use has zero Hessian rows; so does one whose gradient is constant.
        self._pairs = [(g, leaf) for g, leaf in zip(grads, leaves) if g is not None and g.requires_grad]
        self._index = [i for i, g in enumerate(grads) if g is not None and g.requires_grad]
        self.matvecs = 0

    def _split(self, v: torch.Tensor) -> list[torch.Tensor]:
        return [c.view(s) for c, s in zip(torch.split(v, self.sizes), self.shapes)]

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        """``H v`` (or ``diag(s) H diag(s) v``) for a flat vector ``v`` of :attr:`size` entries."""
        self.matvecs += 1
        if self.scale is not None:
            v = v * self.scale
        chunks = self._split(v.to(self.dtype))
        out = torch.zeros(self.size, dtype=v.dtype, device=v.device)
        if self._pairs:
            with torch.enable_grad():
                dot = torch.stack([(g * chunks[i]).sum() for (g, _), i in zip(self._pairs, self._index)]).sum()
                hv = torch.autograd.grad(dot, [leaf for _, leaf in self._pairs], retain_graph=True, allow_unused=True)
            parts = self._split(out)
            for i, h in zip(self._index, hv):
                if h is not None:
                    parts[i].copy_(h)
        return out if self.scale is None else out * self.scale


MatVec = Callable[[torch.Tensor], torch.Tensor]
