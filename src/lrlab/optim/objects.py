"""The tutorial's object style, ``Adam(lr=0.1).step(params, grads) -> params``.

Each class wraps the pure ``(init, update)`` pair of the factory of the same name and
keeps its state between calls, like the tutorial's classes. Arguments, names and
defaults are the factories' (torch's), so the tutorial's ``RMSprop(lr, beta=0.9)`` is
``RMSprop(lr, alpha=0.9)`` here.

Examples:
    >>> import numpy as np
    >>> from lrlab.optim import Adam
    >>> opt = Adam(lr=0.1)
    >>> pos = np.array([-1.0, 1.0])
    >>> for _ in range(2):
    ...     pos = opt.step(pos, 2 * pos)
    >>> np.round(pos, 4).tolist(), opt.state.count
    ([-0.8004, 0.8004], 2)
"""

from __future__ import annotations

from lrlab.optim._base import Array, LearningRate, Optimizer, OptState, Params
from lrlab.optim.adagrad import adagrad
from lrlab.optim.adam import adam, adamw
from lrlab.optim.nadam import nadam
from lrlab.optim.radam import radam
from lrlab.optim.rmsprop import rmsprop
from lrlab.optim.sgd import momentum, nesterov, sgd

__all__ = ["Stateful", "SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW", "Adagrad", "NAdam", "RAdam"]


class Stateful:
    """Any :class:`~lrlab.optim.Optimizer` with its state kept inside the object.

    Attributes:
        optimizer: The wrapped ``(init, update)`` pair.
        state: The current state; ``None`` until the first :meth:`step`.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an lrlab.optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.state: OptState | None = None

    def step(self, params: Params, grads: Array) -> Params:
        """Return the updated parameters (the input arrays are left unchanged)."""
        if self.state is None:
            self.state = self.optimizer.init(params)
        new, self.state = self.optimizer.update(grads, self.state, params)
        return new

    def reset(self) -> None:
        """Forget the state; the next :meth:`step` starts afresh."""
        self.state = None

    def __repr__(self) -> str:
        count = None if self.state is None else self.state.count
        return f"{type(self).__name__}(steps={count})"


class SGD(Stateful):
    """Object-style :func:`~lrlab.optim.sgd`."""

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(sgd(lr, momentum, dampening, weight_decay, nesterov))


class Momentum(Stateful):
    """Object-style :func:`~lrlab.optim.momentum`, the tutorial's heavy ball."""

    def __init__(self, lr: LearningRate = 1e-3, beta: float = 0.9) -> None:
        super().__init__(momentum(lr, beta))


class Nesterov(Stateful):
    """Object-style :func:`~lrlab.optim.nesterov`."""

    def __init__(self, lr: LearningRate = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(nesterov(lr, momentum, weight_decay))


class RMSprop(Stateful):
    """Object-style :func:`~lrlab.optim.rmsprop`."""

    def __init__(
        self,
        lr: LearningRate = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(rmsprop(lr, alpha, eps, weight_decay, momentum, centered))


class Adam(Stateful):
    """Object-style :func:`~lrlab.optim.adam`."""

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(adam(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay))


class AdamW(Stateful):
    """Object-style :func:`~lrlab.optim.adamw`."""

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(adamw(lr, betas, eps, weight_decay, amsgrad))


class Adagrad(Stateful):
    """Object-style :func:`~lrlab.optim.adagrad`."""

    def __init__(
        self,
        lr: LearningRate = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps))


class NAdam(Stateful):
    """Object-style :func:`~lrlab.optim.nadam`."""

    def __init__(
        self,
        lr: LearningRate = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(nadam(lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay))


class RAdam(Stateful):
    """Object-style :func:`~lrlab.optim.radam`."""

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(radam(lr, betas, eps, weight_decay, decoupled_weight_decay))
