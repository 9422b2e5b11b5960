"""What every optimizer shares: the ``(init, update)`` pair, learning rates, validation.

An optimizer is a pair of pure functions over NumPy arrays (the optax shape)::

    state = init(params)
    params, state = update(grads, state, params)

``params`` carries a leading batch axis ``(B, ...)`` so that one call advances a
whole grid of runs; the learning rate may be a scalar, one value per row (shape
``(B,)``, broadcast over the trailing axes) or a schedule ``step -> lr`` evaluated at
the state's ``count`` (0 for the first update). Nothing is mutated in place.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple, overload

import numpy as np

Array = np.ndarray
Params = np.ndarray
Schedule = Callable[[int], Any]
LearningRate = float | Array | Schedule
OptState = Any

__all__ = [
    "Array",
    "Params",
    "Schedule",
    "LearningRate",
    "OptState",
    "Optimizer",
    "check_lr",
    "lr_at",
    "check_params",
    "check_nonneg",
    "check_beta",
    "check_betas",
    "check_eps",
    "check_flag",
    "check_real",
    "check_grads",
    "state_array",
    "lerp",
    "weight_decay_step",
    "prepare",
    "as_dtype",
]


class Optimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state`` and ``update(grads, state, params)``.

    ``update`` returns ``(new_params, new_state)`` and never mutates its inputs.
    """

    init: Callable[[Params], OptState]
    update: Callable[[Array, OptState, Params], tuple[Params, OptState]]


def check_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


@overload
def check_lr(lr: float) -> float: ...
@overload
def check_lr(lr: Array) -> Array: ...
@overload
def check_lr(lr: LearningRate) -> LearningRate: ...


def check_lr(lr: LearningRate) -> LearningRate:
    """Validate a learning rate: a finite number >= 0, a 1-D array of them, or a schedule.

    Returns:
        A float, a read-only float64 copy of the array, or the schedule unchanged
        (a schedule's values are checked each time it is called).

    Raises:
        ValueError: If a value is negative or not finite, or an array is not 1-D and non-empty.
        TypeError: If ``lr`` is none of the accepted kinds.
    """
    if callable(lr):
        return lr
    if isinstance(lr, (list, tuple, np.ndarray)):
        arr = np.array(lr, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"lr array must be 1-D with one value per row, got shape {arr.shape}")
        bad = arr[~((arr >= 0) & np.isfinite(arr))]
        if bad.size:
            raise ValueError(f"Invalid learning rate: lr must be finite and >= 0, got {bad[0]}")
        arr.flags.writeable = False
        return arr
    value = check_real("lr", lr)
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"Invalid learning rate: lr must be finite and >= 0, got {lr}")
    return value


def lr_at(lr: LearningRate, count: int, params: Params) -> float | Array:
    """The learning rate for the update at step ``count``, shaped to broadcast over ``params``.

    A per-row rate of shape ``(B,)`` becomes ``(B, 1, ..., 1)``.

    Raises:
        ValueError: If a schedule returns a negative or non-finite value, or the number of
            per-row rates does not match ``params.shape[0]``.
    """
    rate: float | Array
    if callable(lr):
        value = lr(count)
        rate = check_lr(np.asarray(value, dtype=float)) if np.ndim(value) else check_lr(float(value))
    else:
        rate = lr
    if isinstance(rate, np.ndarray):
        if params.ndim == 0 or params.shape[0] != rate.shape[0]:
            raise ValueError(
                f"lr has {rate.shape[0]} values, so params need a leading batch axis of that size, "
                f"got params of shape {params.shape}"
            )
        return rate.reshape((-1,) + (1,) * (params.ndim - 1))
    return rate


def check_params(params: Any, name: str = "params") -> Params:
    """Return ``params`` as a floating-point ndarray (no copy when it already is one).

    Raises:
        TypeError: If the values are not floating point.
    """
    arr = np.asarray(params)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {arr.dtype}")
    return arr


def check_grads(grads: Any, params: Params) -> Array:
    """Validate that ``grads`` is a float array of the same shape as ``params``."""
    g = check_params(grads, "grads")
    if g.shape != params.shape:
        raise ValueError(f"grads must have the shape of params {params.shape}, got {g.shape}")
    return g


def state_array(value: Array | None, name: str) -> Array:
    """A field of an optimizer's state that its settings need (``init`` made it an array).

    Raises:
        TypeError: If it is ``None``: the state was made by an optimizer with other settings.
    """
    if value is None:
        raise TypeError(
            f"state.{name} must be an array for these settings, got None; make the state with this optimizer's init"
        )
    return value


def check_nonneg(name: str, value: Any) -> float:
    """A finite real number >= 0 (torch's rule for momentum, weight_decay, ...; inf too is refused)."""
    v = check_real(name, value)
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"Invalid {name} value: {name} must be finite and >= 0, got {value}")
    return v


def check_beta(name: str, value: Any) -> float:
    """A real number in ``[0, 1)`` (Adam's betas)."""
    v = check_real(name, value)
    if not 0.0 <= v < 1.0:
        raise ValueError(f"Invalid {name} value: {name} must be in [0, 1), got {value}")
    return v


def check_betas(betas: Any) -> tuple[float, float]:
    """A pair ``(beta1, beta2)``, each in ``[0, 1)``."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return check_beta("beta1", betas[0]), check_beta("beta2", betas[1])


def check_eps(value: Any) -> float:
    """A finite real number > 0 (stricter than torch, which accepts eps = 0)."""
    v = check_real("eps", value)
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"Invalid epsilon value: eps must be > 0, got {value}")
    return v


def check_flag(name: str, value: Any) -> bool:
    """A boolean option (``nesterov``, ``amsgrad``, ``centered``, ...)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def lerp(start: Array, end: Array, weight: float) -> Array:
    """``start + weight * (end - start)``, in the operation order of ``torch.lerp``.

    torch switches formula at ``|weight| >= 0.5`` to stay accurate near ``weight = 1``;
    following it keeps the exponential moving averages bit-close to torch's.
    """
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def weight_decay_step(g: Array, p: Array, lr_t: Any, weight_decay: float, decoupled: bool) -> tuple[Array, Array]:
    """Apply weight decay as torch's Adam family does, returning ``(g, p)``.

    Decoupled (AdamW-style): ``p <- p * (1 - lr * weight_decay)``; otherwise L2 in the
    gradient: ``g <- g + weight_decay * p``. Nothing changes when ``weight_decay == 0``.
    """
    if weight_decay == 0:
        return g, p
    if decoupled:
        return g, p * (1 - lr_t * weight_decay)
    return g + weight_decay * p, p


def prepare(grads: Any, params: Any) -> tuple[Array, Params]:
    """Validate an update's inputs: float arrays of one shape."""
    p = check_params(params)
    return check_grads(grads, p), p


def as_dtype(new: Array, dtype: np.dtype) -> Params:
    """Return ``new`` in ``dtype``, the params' own (a float64 per-row lr must not upcast float32)."""
    return new.astype(dtype, copy=False)
