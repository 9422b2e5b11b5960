"""The result of a parallel LR sweep: curves, the best LR, and each copy's final state.

Best-LR rule (:attr:`SweepResult.best_index`): every copy gets a *score*, its validation
loss at the last evaluation when a validation loader was given, otherwise its mean train
loss over the last quarter of its steps (:func:`tail_steps`; the mean damps one lucky
batch). The confirmation (:func:`lrlab.suggest_lr`) reads the same window. A copy
whose train or validation loss was ever NaN or Inf has *diverged* and scores ``+inf``, so
it is never picked. The best copy has the lowest score; ties go to the smaller LR. When
every copy diverged there is no best (``best_index`` and ``best_lr`` are ``None``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def tail_steps(steps: int) -> int:
    """How many final steps the train-loss score averages: ``max(1, steps // 4)``, the last quarter."""
    return max(1, steps // 4)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """K short training runs at K learning rates, on the same batches.

    Attributes:
        lrs: ``(K,)`` learning rates (of the first param group; others keep their ratios).
        steps: Training steps each copy ran.
        train_losses: ``(K, steps)`` train loss of each copy at each step (NaN/Inf kept).
        val_losses: ``(K, V)`` validation loss at ``val_steps``, or ``None`` without a loader.
        val_steps: ``(V,)`` steps (1-based, after the update) at which validation ran.
        optimizer: Name of the optimizer class the copies used.
        mode: ``"vmap"`` (one vectorised pass) or ``"sequential"`` (copies one by one).
        fallback_reason: Why the sweep ran sequentially, or ``None``.
        lr_factors: ``(steps,)`` the schedule's shape (step ``t`` trained copy ``k`` at
            ``lrs[k] * lr_factors[t]``), or ``None`` for a constant LR.
        momenta: ``(steps,)`` the momentum (or beta1) the schedule set at each step, or ``None``.
        sharpness_steps: ``(P,)`` steps (0-based) after which each copy's sharpness was measured
            (``sweep_lr(..., track_sharpness=EVERY)``), or ``None``.
        sharpness: ``(K, P)`` each copy's ``lambda_max`` on the probe batch there (Adam/AdamW:
            preconditioned), ``NaN`` where its loss was not finite; or ``None``.
        edge_constant: ``c`` of the stability threshold ``c / lr`` (2 for GD, 38 for Adam at
            ``beta1 = 0.9``), or ``None``.
        sharpness_preconditioned: Whether :attr:`sharpness` is Adam's preconditioned sharpness.
        max_grad_norm: The gradient-norm clipping every copy trained with (each by its own
            gradients' norm), or ``None``.
    """

    lrs: np.ndarray
    steps: int
    train_losses: np.ndarray
    val_losses: np.ndarray | None
    val_steps: np.ndarray
    optimizer: str
    mode: str
    fallback_reason: str | None = None
    lr_factors: np.ndarray | None = None
    momenta: np.ndarray | None = None
    stacked: dict[str, Tensor] = field(default_factory=dict, repr=False)
    shared: dict[str, Any] = field(default_factory=dict, repr=False)
    state_keys: dict[str, str | None] = field(default_factory=dict, repr=False)
    sharpness_steps: np.ndarray | None = None
    sharpness: np.ndarray | None = None
    edge_constant: float | None = None
    sharpness_preconditioned: bool = False
    max_grad_norm: float | None = None

    @property
    def sharpness_threshold(self) -> np.ndarray | None:
        """``(K, P)``: the threshold ``edge_constant / lr`` of each copy at each probe (its LR there,
        under the schedule), or ``None``."""
        if self.sharpness_steps is None or self.edge_constant is None:
            return None
        factors = np.ones(self.steps) if self.lr_factors is None else np.asarray(self.lr_factors, dtype=np.float64)
        return self.edge_constant / (self.lrs[:, None] * factors[np.asarray(self.sharpness_steps)][None, :])

    def __repr__(self) -> str:
        best = "none (every copy diverged)" if self.best_lr is None else f"{self.best_lr:.4g}"
        lo, hi = (float(self.lrs.min()), float(self.lrs.max()))
        shape = "constant" if self.lr_factors is None else "scheduled"
        return (
            f"SweepResult({self.num_lrs} LRs {lo:.3g}..{hi:.3g} x {self.steps} steps, {shape}, {self.optimizer}, "
            f"{self.mode}, best_lr={best}, diverged={int(self.diverged.sum())}/{self.num_lrs})"
        )

    @property
    def num_lrs(self) -> int:
        """K, the number of copies."""
        return int(self.lrs.size)

    @property
    def diverged(self) -> np.ndarray:
        """``(K,)`` True where a train or validation loss was ever NaN or Inf."""
        bad = ~np.isfinite(self.train_losses).all(axis=1)
        if self.val_losses is not None:
            bad |= ~np.isfinite(self.val_losses).all(axis=1)
        return bad

    @property
    def diverged_at(self) -> np.ndarray:
        """``(K,)`` first step (0-based) with a non-finite train loss, ``-1`` where none."""
        bad = ~np.isfinite(self.train_losses)
        return np.where(bad.any(axis=1), bad.argmax(axis=1), -1)

    @property
    def score_name(self) -> str:
        """What :attr:`scores` measures."""
        if self.val_losses is not None:
            return "final validation loss"
        return f"mean train loss of the last {tail_steps(self.steps)} steps"

    @property
    def scores(self) -> np.ndarray:
        """``(K,)`` the numbers the best LR minimises (``+inf`` for diverged copies)."""
        if self.val_losses is not None:
            raw = self.val_losses[:, -1].astype(np.float64)
        else:
            raw = self.train_losses[:, -tail_steps(self.steps) :].mean(axis=1)
        return np.where(self.diverged | ~np.isfinite(raw), np.inf, raw)

    @property
    def best_index(self) -> int | None:
        """Index of the best copy (lowest score, smaller LR on ties), ``None`` if all diverged."""
        scores = self.scores
        if not np.isfinite(scores).any():
            return None
        order = np.lexsort((self.lrs, scores))
        return int(order[0])

    @property
    def best_lr(self) -> float | None:
        """The LR of the best copy, ``None`` if every copy diverged."""
        i = self.best_index
        return None if i is None else float(self.lrs[i])

    def params_of(self, k: int) -> OrderedDict[str, Any]:
        """Copy ``k``'s final state dict, with the model's ``state_dict()`` keys.

        ``model.load_state_dict(result.params_of(k))`` turns a model of the same
        architecture into copy ``k`` after the sweep (tensors are fresh clones).

        Raises:
            IndexError: If ``k`` is not in ``[-K, K)``.
        """
        if not -self.num_lrs <= k < self.num_lrs:
            raise IndexError(f"k must be in [-{self.num_lrs}, {self.num_lrs}), got {k}")
        out: OrderedDict[str, Any] = OrderedDict()
        for key, name in self.state_keys.items():
            if name is not None and name in self.stacked:
                out[key] = self.stacked[name][k].clone()
            else:
                value = self.shared[name if name is not None else key]
                out[key] = value.clone() if isinstance(value, Tensor) else value
        return out

    def plot(self, ax: Sequence[Axes] | None = None, **kwargs: Any) -> Figure:
        """Both panels, the curves and the score against LR: :func:`lrlab.plots.sweep.plot_sweep`.

        Args:
            ax: Two axes to draw the panels on (curves, final loss); a new figure when ``None``.
            **kwargs: Passed on.

        Returns:
            The ``Figure`` the panels are on.
        """
        from lrlab.plots.sweep import plot_sweep

        return plot_sweep(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        best = self.best_index
        rows = [
            ("copies x steps", f"{self.num_lrs} x {self.steps}"),
            ("LRs", f"{float(self.lrs.min()):.3g} .. {float(self.lrs.max()):.3g}"),
            ("optimizer, mode", f"{self.optimizer}, {self.mode}"),
            ("schedule", "constant" if self.lr_factors is None else "scheduled (peak 1)"),
            ("best LR", "none (every copy diverged)" if best is None else f"{self.lrs[best]:.4g}"),
            ("best score", "" if best is None else f"{self.scores[best]:.4g} ({self.score_name})"),
            ("diverged", f"{int(self.diverged.sum())} of {self.num_lrs}"),
        ]
        return (
            f"<p>{escape(repr(self))}</p>{table(('', 'sweep'), rows)}{figure_img(self.plot(), 'LR sweep', width=900)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The numbers as plain Python values (non-finite floats kept as float NaN/Inf)."""
        return {
            "optimizer": self.optimizer,
            "mode": self.mode,
            "fallback_reason": self.fallback_reason,
            "steps": self.steps,
            "lrs": self.lrs.tolist(),
            "train_losses": self.train_losses.tolist(),
            "val_losses": None if self.val_losses is None else self.val_losses.tolist(),
            "val_steps": self.val_steps.tolist(),
            "diverged": self.diverged.tolist(),
            "diverged_at": self.diverged_at.tolist(),
            "score": self.score_name,
            "scores": self.scores.tolist(),
            "best_index": self.best_index,
            "best_lr": self.best_lr,
            "lr_factors": None if self.lr_factors is None else self.lr_factors.tolist(),
            "sharpness_steps": None if self.sharpness_steps is None else np.asarray(self.sharpness_steps).tolist(),
            "sharpness": None if self.sharpness is None else np.asarray(self.sharpness).tolist(),
            "edge_constant": self.edge_constant,
            "sharpness_preconditioned": self.sharpness_preconditioned,
            "max_grad_norm": self.max_grad_norm,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> SweepResult:
        """Rebuild a result from :meth:`to_dict`'s output (``None`` becomes ``NaN``).

        The copies' final weights are not in it; every number and curve is.

        Raises:
            ValueError: If a curve is not a list of numbers or has the wrong shape.
        """

        def arr(values: Any, name: str) -> np.ndarray:
            try:
                return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a list of numbers, got {str(values)[:60]}") from None

        def rows(values: Any, name: str) -> np.ndarray:
            return np.array([arr(row, name) for row in values], dtype=np.float64)

        lrs, steps = arr(doc["lrs"], "lrs"), int(doc["steps"])
        train = rows(doc["train_losses"], "train_losses")
        if train.shape != (lrs.size, steps):
            raise ValueError(f"train_losses must be K x steps = {lrs.size} x {steps}, got {train.shape}")
        val, factors = doc.get("val_losses"), doc.get("lr_factors")
        probes, sharp = doc.get("sharpness_steps"), doc.get("sharpness")
        return cls(
            lrs=lrs,
            steps=steps,
            train_losses=train,
            val_losses=None if val is None else rows(val, "val_losses"),
            val_steps=np.asarray(doc["val_steps"], dtype=np.int64),
            optimizer=str(doc.get("optimizer", "?")),
            mode=str(doc.get("mode", "?")),
            fallback_reason=doc.get("fallback_reason"),
            lr_factors=None if factors is None else arr(factors, "lr_factors"),
            sharpness_steps=None if probes is None else np.asarray(probes, dtype=np.int64),
            sharpness=None if sharp is None else rows(sharp, "sharpness"),
            edge_constant=doc.get("edge_constant"),
            sharpness_preconditioned=bool(doc.get("sharpness_preconditioned", False)),
            max_grad_norm=doc.get("max_grad_norm"),
        )

    @classmethod
    def concat(cls, parts: Sequence[SweepResult]) -> SweepResult:
        """Join sweeps of disjoint LR slices (same model, batches and steps) into one.

        Copies are independent, so the sweep of a slice of LRs gives exactly those rows of
        the full sweep; a distributed layer runs one slice per rank and joins them here.

        Raises:
            ValueError: If ``parts`` is empty or the parts disagree on steps or validation.
        """
        if not parts:
            raise ValueError("parts must hold at least one SweepResult, got none")
        first = parts[0]
        for p in parts[1:]:
            if (
                p.steps != first.steps
                or not np.array_equal(p.val_steps, first.val_steps)
                or ((p.val_losses is None) != (first.val_losses is None))
            ):
                raise ValueError("parts must share steps and validation steps to be joined")
        cat = np.concatenate
        return cls(
            lrs=cat([p.lrs for p in parts]),
            steps=first.steps,
            train_losses=cat([p.train_losses for p in parts]),
            val_losses=None if first.val_losses is None else cat([p.val_losses for p in parts]),
            val_steps=first.val_steps,
            optimizer=first.optimizer,
            mode="vmap" if all(p.mode == "vmap" for p in parts) else "sequential",
            fallback_reason=next((p.fallback_reason for p in parts if p.fallback_reason), None),
            lr_factors=first.lr_factors,
            momenta=first.momenta,
            stacked={n: torch.cat([p.stacked[n] for p in parts]) for n in first.stacked},
            shared=first.shared,
            state_keys=first.state_keys,
            sharpness_steps=first.sharpness_steps,
            sharpness=None if first.sharpness is None else cat([np.asarray(p.sharpness) for p in parts]),
            edge_constant=first.edge_constant,
            sharpness_preconditioned=first.sharpness_preconditioned,
            max_grad_norm=first.max_grad_norm,
        )
