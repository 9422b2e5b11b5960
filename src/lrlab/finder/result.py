"""The range test's result: the curve and why it stopped (NumPy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab._checks import one_of
from lrlab.finder._monitor import STOP_REASONS
from lrlab.finder.suggest import DEFAULT_METHOD, Suggestion, every_suggestion, suggest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LRFinderResult", "FLAT_DROP"]

# A curve whose smoothed loss never falls more than this fraction below its start is flat.
FLAT_DROP = 0.01


def _frozen(values: Any) -> np.ndarray:
    arr = np.array(values, dtype=np.float64)  # a copy, so the caller's array stays theirs
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class LRFinderResult:
    """What a range test recorded, step by step.

    Attributes:
        lrs: The learning rate each step used (of the first param group).
        losses: The training loss of each step (the mean over accumulated micro-batches).
        smoothed: The bias-corrected EMA of the monitored loss (``NaN`` from a non-finite step on).
        val_losses: The validation loss after each step, or ``None`` without a ``val_loader``.
        stop_reason: ``"completed"``, ``"diverged"`` (smoothed loss above ``diverge_th`` times
            its best) or ``"non-finite"`` (a NaN or Inf loss).
        start_lr, end_lr, num_iter, mode: The requested sweep.
        smooth, diverge_th: The smoothing factor and divergence threshold used.
        monitor: ``"train"`` or ``"val"``: the loss that was smoothed and checked for divergence.
        sharpness_steps: The steps after which the sharpness was measured (``find_lr(...,
            track_sharpness=EVERY)``), or ``None`` when it was not tracked.
        sharpness: ``lambda_max`` of the probe batch's Hessian after each of those steps
            (preconditioned by Adam's ``P`` when :attr:`sharpness_preconditioned`), ``NaN`` where
            the probe's loss was not finite.
        edge_constant: ``c`` of the stability threshold ``c / lr`` the sharpness is compared with
            (2 for GD, ``2 + 2 * momentum`` for SGD, 38 for Adam at ``beta1 = 0.9``), or ``None``.
        sharpness_preconditioned: Whether :attr:`sharpness` is Adam's preconditioned sharpness.

    All arrays are float64, read-only and of equal length, :attr:`steps`.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    val_losses: np.ndarray | None
    stop_reason: str
    start_lr: float
    end_lr: float
    num_iter: int
    mode: str = "exp"
    smooth: float = 0.98
    diverge_th: float = 4.0
    monitor: str = "train"
    sharpness_steps: np.ndarray | None = None
    sharpness: np.ndarray | None = None
    edge_constant: float | None = None
    sharpness_preconditioned: bool = False

    def __post_init__(self) -> None:
        for name in ("lrs", "losses", "smoothed"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if self.val_losses is not None:
            object.__setattr__(self, "val_losses", _frozen(self.val_losses))
        n = self.lrs.size
        others = [self.losses.size, self.smoothed.size] + ([] if self.val_losses is None else [self.val_losses.size])
        if any(size != n for size in others) or self.lrs.ndim != 1:
            raise ValueError(f"lrs, losses, smoothed and val_losses must be 1-D of equal length, got {[n, *others]}")
        if self.stop_reason not in STOP_REASONS:
            raise ValueError(f"stop_reason must be {one_of(STOP_REASONS)}, got {self.stop_reason!r}")
        if self.monitor not in ("train", "val"):
            raise ValueError(f"monitor must be 'train' or 'val', got {self.monitor!r}")
        self._check_sharpness()

    def _check_sharpness(self) -> None:
        if (self.sharpness is None) != (self.sharpness_steps is None):
            raise ValueError("sharpness and sharpness_steps must be given together, got one of them")
        if self.sharpness is None or self.sharpness_steps is None:
            return
        object.__setattr__(self, "sharpness", _frozen(self.sharpness))
        steps = np.array(self.sharpness_steps, dtype=np.int64)
        steps.setflags(write=False)
        object.__setattr__(self, "sharpness_steps", steps)
        if steps.ndim != 1 or steps.shape != self.sharpness.shape:
            raise ValueError(
                f"sharpness_steps and sharpness must be 1-D of equal length, got {steps.shape} and "
                f"{self.sharpness.shape}"
            )
        if steps.size and (steps.min() < 0 or steps.max() >= self.steps or np.any(np.diff(steps) <= 0)):
            raise ValueError(f"sharpness_steps must be increasing steps in [0, {self.steps}), got {steps.tolist()}")

    @property
    def sharpness_lrs(self) -> np.ndarray | None:
        """The LR of each sharpness probe's step (``None`` when not tracked)."""
        return None if self.sharpness_steps is None else self.lrs[self.sharpness_steps]

    @property
    def sharpness_threshold(self) -> np.ndarray | None:
        """The stability threshold ``edge_constant / lr`` at each probe (``None`` without a constant)."""
        lrs = self.sharpness_lrs
        return None if lrs is None or self.edge_constant is None else self.edge_constant / lrs

    @property
    def steps(self) -> int:
        """How many steps were recorded (``num_iter`` unless the test stopped early)."""
        return int(self.lrs.size)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What makes this curve a poor basis for a suggestion, in words (empty when nothing does).

        * A **flat** curve: no stretch of the test had a loss clearly below its start, so every
          rule reads noise (the steepest point of a flat curve is anywhere) and the range
          probably missed the LRs where the model trains. The raw losses are cut into windows of
          ``max(5, steps // 10)`` steps; the curve is flat when no window's mean lies below the
          first window's by more than :data:`FLAT_DROP` (1%) of it and by more than twice the
          standard error of the difference (batch-to-batch noise alone moves a mean that much).
        """
        n = int(np.flatnonzero(~np.isfinite(self.losses))[0]) if not np.isfinite(self.losses).all() else self.steps
        if n < 2:
            return ("the range test recorded fewer than 2 finite losses: lower start_lr or check the model",)
        k = max(5, n // 10) if n >= 10 else max(1, n // 2)
        windows = self.losses[: n - n % k].reshape(-1, k)
        means = windows.mean(axis=1)
        first = float(means[0])
        noise = float(windows[0].std(ddof=1)) * np.sqrt(2.0 / k) if k > 1 else 0.0
        drop = first - float(means.min())
        if drop <= max(FLAT_DROP * abs(first), 2.0 * noise):
            return (
                f"the loss never fell clearly below its start ({first:.4g}: by more than {FLAT_DROP:.0%} and "
                f"than its batch-to-batch noise) over {self.start_lr:g}..{self.lrs[n - 1]:g}: the curve is flat "
                "and any suggestion read off it is noise; widen the range (end_lr), run more steps, or check that "
                "the model trains",
            )
        return ()

    def __repr__(self) -> str:
        finite = np.isfinite(self.smoothed)
        best = ""
        if finite.any():
            i = int(np.flatnonzero(finite)[np.argmin(self.smoothed[finite])])
            best = f", best smoothed loss {self.smoothed[i]:.4g} at lr {self.lrs[i]:.3g}"
        flat = ", flat" if self.warnings else ""
        sharp = "" if self.sharpness is None else f", sharpness at {self.sharpness.size} probes"
        return (
            f"LRFinderResult({self.steps}/{self.num_iter} steps, {self.start_lr:g}..{self.end_lr:g} {self.mode}, "
            f"{self.stop_reason}{best}{flat}{sharp}, monitor={self.monitor!r})"
        )

    def suggest(self, method: str = DEFAULT_METHOD, **options: Any) -> Suggestion:
        """The learning rate rule ``method`` reads off this curve (see :mod:`lrlab.finder.suggest`)."""
        return suggest(self, method, **options)

    def suggestions(self, methods: Sequence[str] | None = None) -> dict[str, Suggestion]:
        """Rule name -> suggestion, for ``methods`` (default: every rule that can read this curve,
        ``edge`` included when the sharpness was tracked).

        Raises:
            ValueError: If a rule named in ``methods`` is unknown or cannot read the curve.
        """
        if methods is not None:
            return {m: suggest(self, m) for m in methods}
        return every_suggestion(self)[0]  # a rule the curve is too short for is left out

    def plot(self, ax: Axes | None = None, *, methods: Sequence[str] | None = None, **kwargs: Any) -> Axes:
        """The curve with each rule's suggestion marked: :func:`lrlab.plots.finder.plot_finder`.

        Args:
            ax: Axes to draw on; a new figure when ``None``.
            methods: The rules to mark (default: every rule that can read the curve).
            **kwargs: Passed on (``shade``: the rule whose range is shaded).

        Returns:
            The ``Axes`` drawn on.
        """
        from lrlab.plots.finder import plot_finder

        return plot_finder(self, self.suggestions(methods), ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        rows = [
            (m, f"{s.lr:.4g}", "" if s.lr_range is None else f"{s.lr_range[0]:.3g} .. {s.lr_range[1]:.3g}")
            for m, s in self.suggestions().items()
        ]
        notes = "".join(f"<p><b>Warning:</b> {escape(w)}</p>" for w in self.warnings)
        return (
            f"<p>{escape(repr(self))}</p>{notes}{table(('rule', 'LR', 'range'), rows, 'suggestions')}"
            f"{figure_img(self.plot(), 'LR range test', width=640)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers (non-finite values as ``None``) for JSON."""

        def clean(arr: np.ndarray | None) -> list[float | None] | None:
            return None if arr is None else [v if math.isfinite(v) else None for v in arr.tolist()]

        return {
            "lrs": clean(self.lrs),
            "losses": clean(self.losses),
            "smoothed": clean(self.smoothed),
            "val_losses": clean(self.val_losses),
            "stop_reason": self.stop_reason,
            "steps": self.steps,
            "start_lr": self.start_lr,
            "end_lr": self.end_lr,
            "num_iter": self.num_iter,
            "mode": self.mode,
            "smooth": self.smooth,
            "diverge_th": self.diverge_th,
            "monitor": self.monitor,
            "sharpness_steps": None if self.sharpness_steps is None else self.sharpness_steps.tolist(),
            "sharpness": clean(self.sharpness),
            "edge_constant": self.edge_constant,
            "sharpness_preconditioned": self.sharpness_preconditioned,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> LRFinderResult:
        """Rebuild a result from :meth:`to_dict`'s output (``None`` becomes ``NaN``)."""

        def arr(values: list[float | None]) -> np.ndarray:
            return np.array([math.nan if v is None else v for v in values])

        curves = ("lrs", "losses", "smoothed")
        keys = ("stop_reason", "start_lr", "end_lr", "num_iter", "mode", "smooth", "diverge_th", "monitor")
        if not isinstance(doc, dict):
            raise TypeError(f"doc must be a dict (LRFinderResult.to_dict()'s output), got {type(doc).__name__}")
        missing = [k for k in (*curves, *keys) if k not in doc or (k in curves and doc[k] is None)]
        if missing:
            raise ValueError(f"doc must have every key of LRFinderResult.to_dict()'s output, got none for {missing}")
        val_losses = doc.get("val_losses")
        return cls(
            lrs=arr(doc["lrs"]),
            losses=arr(doc["losses"]),
            smoothed=arr(doc["smoothed"]),
            val_losses=None if val_losses is None else arr(val_losses),
            sharpness_steps=doc.get("sharpness_steps"),
            sharpness=None if doc.get("sharpness") is None else arr(doc["sharpness"]),
            edge_constant=doc.get("edge_constant"),
            sharpness_preconditioned=bool(doc.get("sharpness_preconditioned", False)),
            **{k: doc[k] for k in keys},
        )
