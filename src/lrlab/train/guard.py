"""A context manager that puts a model, its optimizer and the RNGs back exactly as they were.

``StateGuard`` snapshots, on entry, everything a training loop can change:

* every parameter and buffer of the model (and any optimizer parameter outside it),
  with its ``.grad``;
* the optimizer's per-parameter state (momentum buffers, Adam moments and step),
  each param group's hyperparameters (``lr``, ``momentum``, ``betas`` ...) and the
  optimizer's own attributes (a scheduler's ``_opt_called`` flag);
* the RNG states of Python's ``random``, NumPy's legacy global generator, torch's CPU
  generator and, where CUDA is in use, every CUDA generator;
* the ``training`` flag of every submodule.

On a GPU the copies go to pinned host memory asynchronously (no host sync on entry).
On exit — normal, exception or ``KeyboardInterrupt`` — it writes the snapshot back into
the *same* tensor objects, so references the user holds stay valid and the values are
bitwise what they were. The copies live on the CPU (a GPU model does not double its
GPU memory) and nothing touches the disk.
"""

from __future__ import annotations

import contextlib
import copy
import random
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["StateGuard", "TrainModes", "fork_rng"]


def fork_rng(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """A context that puts back the global torch RNG of the CPU (and of ``device``, if not the CPU)."""
    if device.type == "cpu":
        return torch.random.fork_rng(devices=[])
    index = device.index if device.index is not None else torch.get_device_module(device.type).current_device()
    return torch.random.fork_rng(devices=[index], device_type=device.type)


class TrainModes:
    """Every module's ``training`` flag, kept on creation and put back by :meth:`restore`.

    ``model.train()`` / ``model.eval()`` set every submodule's flag at once; a model whose
    submodules the user had set differently (a frozen BatchNorm in eval mode inside a
    training model) gets each flag back exactly as it was.

    Examples:
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.BatchNorm1d(1))
        >>> _ = model[1].eval()
        >>> modes = TrainModes(model)
        >>> _ = model.train()
        >>> modes.restore(); model[1].training
        False
    """

    def __init__(self, model: nn.Module) -> None:
        self._model = model
        self._saved = [(m, m.training) for m in model.modules()]

    def train(self) -> None:
        """Put the whole model in training mode."""
        self._model.train()

    def eval(self) -> None:
        """Put the whole model in evaluation mode."""
        self._model.eval()

    def restore(self) -> None:
        """Give every module its flag back."""
        for m, training in self._saved:
            # Set the flag directly: ``m.train(flag)`` would recurse and clobber children.
            m.training = training


@dataclass
class _Saved:
    """One tensor object and a CPU copy of its value."""

    obj: torch.Tensor
    value: torch.Tensor
    requires_grad: bool

    @classmethod
    def of(cls, t: torch.Tensor) -> _Saved:
        if t.is_cuda:
            # Into pinned memory, without a host sync: the copy is ordered on the stream before
            # any later kernel that changes ``t``, and the restore's copy back is ordered after it.
            value = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)
            value.copy_(t.detach(), non_blocking=True)
        else:
            value = t.detach().to("cpu", copy=True)
        return cls(t, value, t.requires_grad)

    def restore(self) -> torch.Tensor:
        t = self.obj
        with torch.no_grad():
            same = t.shape == self.value.shape and t.dtype == self.value.dtype
            if same and not t.is_inference():
                t.copy_(self.value, non_blocking=self.value.is_pinned())
            else:
                # Resized or retyped in place (``.data = ...``) during the run: swap the data back.
                t.data = self.value.to(t.device)
        if t.requires_grad != self.requires_grad and t.is_leaf:
            t.requires_grad_(self.requires_grad)
        return t


def _save_value(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return _Saved.of(v)
    try:
        return copy.deepcopy(v)
    except Exception:  # noqa: BLE001 - an uncopyable hyperparameter (a callable): keep the object itself
        return v


def _load_value(v: Any) -> Any:
    if isinstance(v, _Saved):
        return v.restore()
    try:
        return copy.deepcopy(v)  # a fresh copy each time, so restore() can run twice
    except Exception:  # noqa: BLE001 - uncopyable, as when it was saved
        return v


class StateGuard:
    """Snapshot on ``__enter__``, restore on ``__exit__`` (whatever ended the block).

    Args:
        model: The module whose parameters, buffers, grads and modes are kept.
        optimizer: Its optimizer (state, param groups, attributes); ``None`` to skip.
        rng: Also keep and restore the Python, NumPy and torch RNG states.

    Examples:
        >>> import torch
        >>> model = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> w = model.weight.clone()
        >>> with StateGuard(model, opt):
        ...     model(torch.ones(1, 2)).sum().backward()
        ...     opt.step()
        >>> torch.equal(model.weight, w)
        True
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *, rng: bool = True):
        self.model = model
        self.optimizer = optimizer
        self.rng = rng

    # -- snapshot ---------------------------------------------------------------------
    def __enter__(self) -> StateGuard:
        model, opt = self.model, self.optimizer
        tensors: dict[int, torch.Tensor] = {}
        for t in [*model.parameters(), *model.buffers()]:
            tensors.setdefault(id(t), t)
        if opt is not None:
            for group in opt.param_groups:
                for p in group["params"]:
                    tensors.setdefault(id(p), p)
        self._tensors = [_Saved.of(t) for t in tensors.values()]
        self._grads = [(t, None if t.grad is None else _Saved.of(t.grad)) for t in tensors.values()]
        self._modes = TrainModes(model)
        if opt is not None:
            self._save_optimizer(opt)
        if self.rng:
            self._save_rng(any(t.is_cuda for t in tensors.values()))
        return self

    def _save_optimizer(self, opt: torch.optim.Optimizer) -> None:
        self._groups = [
            (g, g["params"], list(g["params"]), {k: _save_value(v) for k, v in g.items() if k != "params"})
            for g in opt.param_groups
        ]
        self._group_list = list(opt.param_groups)
        self._state = [(p, st, {k: _save_value(v) for k, v in st.items()}) for p, st in opt.state.items()]
        self._attrs = {k: v for k, v in vars(opt).items() if k not in ("state", "param_groups")}

    def _save_rng(self, uses_cuda: bool) -> None:
        self._py_rng = random.getstate()
        self._np_rng = np.random.get_state()
        self._torch_rng = torch.get_rng_state()
        # Reading CUDA RNG state would initialise CUDA; only do it where CUDA is in use.
        cuda = torch.cuda.is_available() and (uses_cuda or torch.cuda.is_initialized())
        self._cuda_rng = torch.cuda.get_rng_state_all() if cuda else None

    # -- restore ----------------------------------------------------------------------
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.restore()

    def restore(self) -> None:
        """Write the snapshot back; may be called more than once."""
        for saved in self._tensors:
            saved.restore()
        for t, grad in self._grads:
            t.grad = None if grad is None else grad.restore()
        self._modes.restore()
        if self.optimizer is not None:
            self._restore_optimizer(self.optimizer)
        if self.rng:
            random.setstate(self._py_rng)
            np.random.set_state(self._np_rng)
            torch.set_rng_state(self._torch_rng)
            if self._cuda_rng is not None:
                torch.cuda.set_rng_state_all(self._cuda_rng)

    def _restore_optimizer(self, opt: torch.optim.Optimizer) -> None:
        opt.param_groups[:] = self._group_list
        for group, plist, params, values in self._groups:
            plist[:] = params
            group.clear()
            group["params"] = plist
            group.update({k: _load_value(v) for k, v in values.items()})
        opt.state.clear()
        for p, st, values in self._state:
            st.clear()
            st.update({k: _load_value(v) for k, v in values.items()})
            opt.state[p] = st
        for k in [k for k in vars(opt) if k not in ("state", "param_groups") and k not in self._attrs]:
            delattr(opt, k)
        for k, v in self._attrs.items():
            setattr(opt, k, v)
