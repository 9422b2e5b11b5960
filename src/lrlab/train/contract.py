"""The batch -> loss contract every training loop of lrlab follows.

A *step function* ``step_fn(model, batch) -> loss`` turns one batch into a scalar loss.
The default, built from a criterion, reads ``(inputs, targets, *rest)`` batches and
returns ``criterion(model(inputs), targets)``. For dict batches, or models that compute
their own loss (Hugging Face models return an output object with a ``.loss``), pass your
own; it may return the loss tensor itself or any object with a ``.loss`` attribute (or a
``"loss"`` key)::

    def step_fn(model, batch):
        return model(**batch)            # outputs.loss is used

The range test, the sweep (vmapped and sequential) and ``suggest_lr`` all call the step
function the same way, so every batch format works in all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from lrlab._checks import check_callable

# step_fn(model, batch) -> a scalar loss tensor, or an object with a ``.loss`` (a Hugging Face output).
StepFn = Callable[[nn.Module, Any], Any]
Criterion = Callable[[Any, Any], torch.Tensor]

__all__ = [
    "StepFn",
    "Criterion",
    "ContractError",
    "BatchError",
    "LossError",
    "LossTypeError",
    "criterion_step",
    "make_step",
    "as_loss",
    "check_loss",
    "batch_size",
    "functional_step",
]


class ContractError(Exception):
    """The user's batches or loss break the batch -> loss contract (no retry can help)."""


class BatchError(ContractError, TypeError):
    """A batch the step function cannot read (a dict given to the default ``(inputs, targets)`` step)."""


class LossTypeError(ContractError, TypeError):
    """A step function returned no loss tensor."""


class LossError(ContractError, ValueError):
    """A step function returned a loss that cannot be trained on (not a scalar, no grad)."""


def criterion_step(criterion: Criterion) -> StepFn:
    """The default step function: ``criterion(model(batch[0]), batch[1])`` for ``(x, y, *rest)`` batches.

    Raises (when called):
        BatchError: For a batch that is not a tuple or list of at least two items.
    """

    def step(model: nn.Module, batch: Any) -> Any:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            kind = type(batch).__name__ + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
            raise BatchError(
                f"batches must be (inputs, targets) pairs for the criterion, got a {kind}; "
                "pass step_fn=lambda model, batch: <loss> for other batches (e.g. model(**batch).loss)"
            )
        return criterion(model(batch[0]), batch[1])

    return step


def make_step(criterion: Criterion | None, step_fn: StepFn | None) -> StepFn:
    """The step function a loop runs: ``step_fn`` if given, else one built from ``criterion``.

    Raises:
        TypeError: If neither is given, or one is not callable.
    """
    check_callable("step_fn", step_fn, allow_none=True)
    check_callable("criterion", criterion, allow_none=True)
    if step_fn is not None:
        return step_fn
    if criterion is None:
        raise TypeError(
            "criterion must be given unless step_fn is, got neither; pass a loss such as "
            "nn.CrossEntropyLoss(), or step_fn=lambda model, batch: <loss>"
        )
    return criterion_step(criterion)


def as_loss(out: Any) -> torch.Tensor:
    """The loss tensor in a step function's output: the tensor itself, ``out.loss`` or ``out["loss"]``.

    Raises:
        LossTypeError: If there is no loss tensor.
        LossError: If it is not a scalar.
    """
    loss = out
    if not isinstance(loss, torch.Tensor):
        loss = getattr(out, "loss", None)
        if loss is None and isinstance(out, Mapping):
            loss = out.get("loss")
    if not isinstance(loss, torch.Tensor):
        raise LossTypeError(
            f"the loss must be a scalar torch.Tensor (or an output with a .loss), got {type(out).__name__}; "
            "for a Hugging Face model, pass labels in the batch so that it computes its loss"
        )
    if loss.dim() != 0:
        raise LossError(f"the loss must be a scalar tensor, got shape {tuple(loss.shape)}; reduce it (e.g. .mean())")
    return loss


def check_loss(loss: torch.Tensor) -> None:
    """Raise unless ``loss`` can be trained on (it requires grad).

    Raises:
        LossError: If the loss does not require grad.
    """
    if not loss.requires_grad:
        raise LossError("the loss does not require grad: is the output detached or every parameter frozen?")


def batch_size(batch: Any) -> int:
    """How many samples a batch holds: the targets' first dimension for ``(x, y)`` pairs, else that of its
    first tensor (1 when there is none); the weight of its loss in a mean over batches."""
    if isinstance(batch, (tuple, list)) and len(batch) >= 2 and isinstance(batch[1], torch.Tensor):
        return int(batch[1].shape[0]) if batch[1].dim() > 0 else 1
    stack = [batch]
    while stack:
        item = stack.pop(0)
        if isinstance(item, torch.Tensor):
            return int(item.shape[0]) if item.dim() > 0 else 1
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
    return 1


class _Step(nn.Module):
    """The user's model as a submodule, and a forward that runs the step function on a batch."""

    def __init__(self, model: nn.Module, step_fn: StepFn) -> None:
        super().__init__()
        self.model = model
        self.step_fn = step_fn

    def forward(self, batch: Any) -> torch.Tensor:
        return as_loss(self.step_fn(self.model, batch))


def functional_step(model: nn.Module, step_fn: StepFn) -> Callable[[Mapping[str, torch.Tensor], Any], torch.Tensor]:
    """``loss(tensors, batch)``: the step function's loss with the model's parameters and buffers
    replaced by ``tensors`` (names as in ``model.named_parameters()``), the model itself untouched.

    Built on :func:`torch.func.functional_call`, so it composes with ``vmap`` and ``grad``:
    the sweep runs K copies of a model through the same step function as the range test.

    Examples:
        >>> import torch
        >>> model = torch.nn.Linear(1, 1, bias=False)
        >>> loss = functional_step(model, criterion_step(torch.nn.MSELoss()))
        >>> float(loss({"weight": torch.full((1, 1), 2.0)}, (torch.ones(1, 1), torch.zeros(1, 1))))
        4.0
    """
    wrapper = _Step(model, step_fn)
    # The model is the wrapper's submodule "model": its tensors' names gain that prefix.
    prefix: dict[str, str] = {}

    def loss(tensors: Mapping[str, torch.Tensor], batch: Any) -> torch.Tensor:
        names = {}
        for name, tensor in tensors.items():
            full = prefix.get(name)
            if full is None:
                full = prefix[name] = "model." + name
            names[full] = tensor
        out: torch.Tensor = functional_call(wrapper, names, (batch,))
        return out

    return loss
