"""What :func:`lrlab.suggest_lr` returns: the peak LR for the user's schedule, and the evidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab.finder.result import LRFinderResult
from lrlab.sweep.result import SweepResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Round", "Confirmation"]


@dataclass(frozen=True, eq=False)
class Round:
    """One round of copies trained under the user's schedule shape, compressed to ``horizon`` steps.

    Attributes:
        horizon: Steps each copy trained.
        sweep: The round's sweep (``sweep.lrs``, ``sweep.train_losses``, ``sweep.lr_factors``).
        scores: ``(K,)`` each copy's score (``inf``: it diverged).
        lr: Where this round puts the best peak LR (NaN when every copy diverged).
        how: How ``lr`` was read (:func:`lrlab.confirm.rule.locate`).
        held_out: Batches of the train loader each copy was scored on at the end (0: its train loss).
    """

    horizon: int
    sweep: SweepResult
    scores: np.ndarray
    lr: float
    how: str
    held_out: int = 0

    @property
    def cost(self) -> int:
        """Training steps the round spent, every copy counted (a forward-only scoring batch as a third)."""
        from lrlab.confirm.rule import eval_cost

        return len(self.lrs) * self.horizon + eval_cost(len(self.lrs), self.held_out)

    @property
    def lrs(self) -> np.ndarray:
        """``(K,)`` the peak LRs the round tried."""
        return self.sweep.lrs

    @property
    def diverged(self) -> np.ndarray:
        """``(K,)`` True where a copy diverged (non-finite, or ended above where it started)."""
        return ~np.isfinite(self.scores)

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON."""
        return {
            "horizon": self.horizon,
            "lrs": self.lrs.tolist(),
            "scores": self.scores.tolist(),
            "diverged": self.diverged.tolist(),
            "lr": self.lr,
            "how": self.how,
        }


@dataclass(frozen=True, eq=False)
class Confirmation:
    """The peak learning rate for the user's own schedule and training length, with the evidence.

    Attributes:
        lr: The suggested **peak** LR: train with the schedule at this peak (for a constant
            schedule, the LR itself).
        band: ``(low, high)`` peak LRs the last round found about as good (scores within 5%
            of the best), always holding ``lr``.
        schedule: The schedule shape's name (its spec, ``"constant"``, the factory's name).
        total_steps: The user's training length the suggestion is for (``None``: not given).
        budget_steps: The most training steps the suggestion was allowed to spend.
        cost_steps: Training steps it spent: the range test's plus every copy's.
        wall_s: Wall time of the whole suggestion, in seconds.
        range_test: The range test's result.
        rounds: The rounds of copies trained under the schedule, shortest first.
        how: How the last round's best was read (``"vertex"``, ``"best"``, ``"low-end"``,
            ``"high-end"``), or ``"fallback"`` when every copy diverged.
        horizon_factor: The factor applied for a run longer than the last round (1: none).
        warnings: What makes the suggestion less trustworthy, in words.
        lr_factors: ``(total_steps,)`` your schedule's shape (peak 1), or ``None`` for a constant LR.
    """

    lr: float
    band: tuple[float, float]
    schedule: str
    total_steps: int | None
    budget_steps: int
    cost_steps: int
    wall_s: float
    range_test: LRFinderResult
    rounds: tuple[Round, ...]
    how: str
    horizon_factor: float = 1.0
    warnings: tuple[str, ...] = ()
    lr_factors: np.ndarray | None = None

    @property
    def sweep(self) -> SweepResult:
        """The last round's sweep."""
        return self.rounds[-1].sweep

    @property
    def scores(self) -> np.ndarray:
        """The last round's scores."""
        return self.rounds[-1].scores

    @property
    def diverged_lrs(self) -> np.ndarray:
        """Every peak LR of every round whose copy diverged under the schedule, ascending."""
        bad = [r.lrs[r.diverged] for r in self.rounds]
        return np.sort(np.concatenate(bad)) if bad else np.zeros(0)

    def __repr__(self) -> str:
        steps = "?" if self.total_steps is None else f"{self.total_steps:,}"
        return (
            f"Confirmation(lr={self.lr:.4g}, band=({self.band[0]:.3g}, {self.band[1]:.3g}), "
            f"schedule={self.schedule[:60]!r}, total_steps={steps}, cost_steps={self.cost_steps}, "
            f"wall_s={self.wall_s:.1f}, how={self.how!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON (non-finite floats kept as float NaN/Inf)."""
        return {
            "lr": self.lr,
            "band": list(self.band),
            "schedule": self.schedule,
            "total_steps": self.total_steps,
            "budget_steps": self.budget_steps,
            "cost_steps": self.cost_steps,
            "wall_s": self.wall_s,
            "how": self.how,
            "horizon_factor": self.horizon_factor,
            "range_test_steps": self.range_test.steps,
            "rounds": [r.to_dict() for r in self.rounds],
            "warnings": list(self.warnings),
        }

    def plot(self, ax: Sequence[Axes] | None = None, **kwargs: Any) -> Figure:
        """The three panels (range test, rounds, schedule): :func:`lrlab.plots.confirm.plot_confirmation`.

        Args:
            ax: Three axes to draw the panels on; a new figure when ``None``.
            **kwargs: Passed on (``figsize``).

        Returns:
            The ``Figure`` the panels are on.
        """
        from lrlab.plots.confirm import plot_confirmation

        return plot_confirmation(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        from lrlab.plots._html import escape, figure_img, table

        rows = [
            (
                r.horizon,
                len(r.lrs),
                f"{r.lrs.min():.3g} .. {r.lrs.max():.3g}",
                int(r.diverged.sum()),
                "" if math.isnan(r.lr) else f"{r.lr:.4g}",
            )
            for r in self.rounds
        ]
        steps = "?" if self.total_steps is None else f"{self.total_steps:,}"
        notes = "".join(f"<p><b>Warning:</b> {escape(w)}</p>" for w in self.warnings)
        return (
            f"<p><b>Peak LR {self.lr:.4g}</b> for <code>{escape(self.schedule)}</code> over {steps} steps "
            f"(band {self.band[0]:.3g} .. {self.band[1]:.3g}); cost {self.cost_steps} steps, "
            f"{self.wall_s:.1f} s.</p>{notes}"
            f"{table(('horizon', 'copies', 'LRs', 'diverged', 'best'), rows, 'rounds under the schedule')}"
            f"{figure_img(self.plot(), 'suggest_lr', width=960)}"
        )
