"""Optimizer specs: ``"adam:lr=0.1,beta1=0.9"`` -> a validated, buildable description.

The grammar is ``NAME[:KEY=VALUE[,KEY=VALUE...]]``. Keys are the factory's
arguments (torch's names), except that Adam-family ``betas`` are written
``beta1`` / ``beta2``. Booleans are ``true``/``false`` (also ``1``/``0``,
``yes``/``no``). A spec is checked in full when parsed, so a bad value fails before
anything runs.

Examples:
    >>> from lrlab.optim.spec import parse_spec
    >>> s = parse_spec("rmsprop:lr=0.01,alpha=0.9")
    >>> s.label
    'rmsprop(lr=0.01, alpha=0.9)'
    >>> s.params["alpha"], s.params["eps"]
    (0.9, 1e-08)
    >>> parse_spec("adam:beta=0.9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown hyperparameter 'beta' for adam in 'adam:beta=0.9'; allowed: lr, beta1, beta2, eps, ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lrlab.optim._base import LearningRate, Optimizer
from lrlab.optim.adagrad import adagrad
from lrlab.optim.adam import adam, adamw
from lrlab.optim.nadam import nadam
from lrlab.optim.radam import radam
from lrlab.optim.rmsprop import rmsprop
from lrlab.optim.sgd import momentum, nesterov, sgd

__all__ = ["OptimizerSpec", "REGISTRY", "names", "parse_spec", "make_spec", "as_spec"]

# Name -> factory. The CLI, the demo and the tuning mode all build through this table.
REGISTRY: dict[str, Callable[..., Optimizer]] = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
    "adagrad": adagrad,
    "nadam": nadam,
    "radam": radam,
}

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def names() -> tuple[str, ...]:
    """The optimizer names a spec may start with."""
    return tuple(REGISTRY)


def _defaults(name: str) -> dict[str, Any]:
    """The factory's keyword defaults in spec terms (``betas`` split into beta1/beta2)."""
    out: dict[str, Any] = {}
    for pname, param in inspect.signature(REGISTRY[name]).parameters.items():
        if pname == "betas":
            out["beta1"], out["beta2"] = param.default
        else:
            out[pname] = param.default
    return out


@dataclass(frozen=True)
class OptimizerSpec:
    """A named optimizer with all its hyperparameters, ready to build.

    Attributes:
        name: Registry name (``"adam"``).
        params: Every hyperparameter in spec terms, defaults filled in.
        given: The keys the user set, in the order given (used for labels).
    """

    name: str
    params: Mapping[str, Any]
    given: tuple[str, ...] = field(default=())

    @property
    def lr(self) -> float:
        """The spec's learning rate."""
        return float(self.params["lr"])

    @property
    def label(self) -> str:
        """Short human label: the name and the hyperparameters that were set."""
        keys = ["lr"] + [k for k in self.given if k != "lr"]
        return f"{self.name}(" + ", ".join(f"{k}={_fmt(self.params[k])}" for k in keys) + ")"

    @property
    def options_label(self) -> str:
        """Like :attr:`label` without the learning rate: ``"rmsprop(alpha=0.9)"``, ``"adam"``."""
        keys = [k for k in self.given if k != "lr"]
        if not keys:
            return self.name
        return f"{self.name}(" + ", ".join(f"{k}={_fmt(self.params[k])}" for k in keys) + ")"

    def build(self, lr: LearningRate | None = None) -> Optimizer:
        """The optimizer, optionally with another learning rate (e.g. one per row).

        Raises:
            ValueError: If a hyperparameter breaks the optimizer's rules.
        """
        kwargs = dict(self.params)
        if "beta1" in kwargs:
            kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
        if lr is not None:
            kwargs["lr"] = lr
        return REGISTRY[self.name](**kwargs)

    def with_lr(self, lr: float) -> OptimizerSpec:
        """The same spec with another (scalar) learning rate."""
        spec = replace(
            self,
            params={**self.params, "lr": float(lr)},
            given=self.given if "lr" in self.given else ("lr", *self.given),
        )
        spec.build()
        return spec


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _convert(key: str, text: str, default: Any, spec: str) -> Any:
    raw = text.strip()
    if isinstance(default, bool):
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{key} must be true or false, got {raw!r} in {spec!r}")
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{key} must be a number, got {raw!r} in {spec!r}") from None


def make_spec(name: str, **params: Any) -> OptimizerSpec:
    """Build a spec from a name and keyword hyperparameters (spec terms), validated.

    Raises:
        ValueError: Unknown name or hyperparameter, or a value the optimizer rejects.
    """
    key = name.strip().lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(REGISTRY)}")
    defaults = _defaults(key)
    for k in params:
        if k not in defaults:
            raise ValueError(f"unknown hyperparameter {k!r} for {key}; allowed: {', '.join(defaults)}")
    spec = OptimizerSpec(key, {**defaults, **params}, tuple(params))
    spec.build()  # validate eagerly, with the optimizer's own rules
    return spec


def parse_spec(text: str) -> OptimizerSpec:
    """Parse ``NAME[:KEY=VALUE,...]`` into an :class:`OptimizerSpec`.

    Raises:
        ValueError: A malformed spec, an unknown optimizer or hyperparameter, a value
            that is not a number (or boolean), a repeated key, or a value the
            optimizer rejects (lr < 0, betas outside [0, 1), eps <= 0, ...).
    """
    if not isinstance(text, str):
        raise TypeError(f"optimizer spec must be a string, got {type(text).__name__}")
    name, sep, rest = text.strip().partition(":")
    name = name.strip().lower()
    if not name:
        raise ValueError(f"optimizer spec must look like NAME[:key=value,...], got {text!r}")
    if name not in REGISTRY:
        raise ValueError(f"unknown optimizer {name!r} in {text!r}; known: {', '.join(REGISTRY)}")
    defaults = _defaults(name)
    params: dict[str, Any] = {}
    if sep and not rest.strip():
        raise ValueError(f"optimizer spec {text!r} has ':' but no key=value pairs")
    for item in rest.split(",") if rest.strip() else []:
        k, eq, v = item.partition("=")
        k = k.strip()
        if not eq or not k or not v.strip():
            raise ValueError(f"each hyperparameter must be key=value, got {item.strip()!r} in {text!r}")
        if k not in defaults:
            raise ValueError(f"unknown hyperparameter {k!r} for {name} in {text!r}; allowed: {', '.join(defaults)}")
        if k in params:
            raise ValueError(f"hyperparameter {k!r} given twice in {text!r}")
        params[k] = _convert(k, v, defaults[k], text)
    try:
        return make_spec(name, **params)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{exc} in {text!r}") from None


def as_spec(spec: str | OptimizerSpec) -> OptimizerSpec:
    """Accept a spec string or an :class:`OptimizerSpec`."""
    if isinstance(spec, OptimizerSpec):
        return spec
    return parse_spec(spec)
