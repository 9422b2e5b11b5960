"""The figure of a schedule-aware suggestion: the range test, the rounds under the schedule, the schedule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrlab.plots._figure import panels
from lrlab.plots.finder import plot_finder

__all__ = ["plot_confirmation"]

_ROUND_COLORS = ("#9ecae1", "#3182bd", "#08519c", "#08306b")


def plot_confirmation(
    conf: Any, axes: Sequence[Axes] | None = None, *, figsize: tuple[float, float] = (15, 4.8)
) -> Figure:
    """Three panels: the range test with the screened window; each round's score against peak LR
    (diverged copies marked x), the pick and its band; the schedule at the suggested peak.

    Args:
        conf: A :class:`lrlab.confirm.Confirmation`.
        axes: Three axes to draw the panels on; a new figure when ``None``.
        figsize: The size in inches of a new figure.

    Returns:
        The figure the panels are on (save it with ``fig.savefig``). A new one is laid out and
        gets the summary as its title; given axes leave the figure's layout and title to the caller.
    """
    fig, (ax_rt, ax_rounds, ax_sched), created = panels(axes, 3, figsize=figsize)
    plot_finder(conf.range_test, None, ax_rt, shade=None)
    all_lrs = np.concatenate([r.lrs for r in conf.rounds])
    ax_rt.axvspan(float(all_lrs.min()), float(all_lrs.max()), color="#3182bd", alpha=0.08, label="LRs tried")
    ax_rt.axvline(conf.lr, color="#d62728", lw=1.5, label=f"suggested peak {conf.lr:.3g}")
    ax_rt.set_title("1. Range test: where training is plausible")
    ax_rt.legend(loc="upper left", fontsize=8)

    finite_scores = np.concatenate([r.scores[np.isfinite(r.scores)] for r in conf.rounds])
    top = float(np.percentile(finite_scores, 90)) if finite_scores.size else 1.0
    for i, r in enumerate(conf.rounds):
        color = _ROUND_COLORS[min(i, len(_ROUND_COLORS) - 1)]
        order = np.argsort(r.lrs)
        lrs, scores = r.lrs[order], r.scores[order]
        ok = np.isfinite(scores)
        ax_rounds.plot(lrs[ok], scores[ok], "o-", color=color, label=f"{len(lrs)} copies x {r.horizon} steps")
        if (~ok).any():
            ax_rounds.plot(lrs[~ok], np.full((~ok).sum(), top), "x", color=color, ms=9, mew=2)
    ax_rounds.axvspan(*conf.band, color="#d62728", alpha=0.12, label="band (within 5%)")
    ax_rounds.axvline(conf.lr, color="#d62728", lw=1.5, label=f"peak LR {conf.lr:.3g}")
    ax_rounds.set_xscale("log")
    ax_rounds.set_xlabel("peak learning rate")
    ax_rounds.set_ylabel("train loss, last quarter (x: diverged)")
    ax_rounds.set_title("2. Copies trained under the schedule")
    if finite_scores.size:
        low = float(finite_scores.min())
        ax_rounds.set_ylim(low - 0.05 * (top - low + 1e-12), top + 0.1 * (top - low + 1e-12))
    ax_rounds.legend(fontsize=8)

    last = conf.rounds[-1]
    steps = conf.total_steps
    if conf.lr_factors is not None and steps is not None:
        ax_sched.plot(np.arange(steps), conf.lr * conf.lr_factors, color="#d62728", label="your run at the peak")
        if last.sweep.lr_factors is not None:
            h = last.horizon
            ax_sched.plot(
                (np.arange(h) + 0.5) * (steps / h),
                conf.lr * last.sweep.lr_factors,
                ".",
                ms=4,
                color="#08519c",
                label=f"compressed to {h} steps (last round)",
            )
    else:
        ax_sched.axhline(conf.lr, color="#d62728", label="constant")
    ax_sched.set_xlabel("step of your run")
    ax_sched.set_ylabel("learning rate")
    ax_sched.set_title(f"3. Schedule: {conf.schedule[:50]}")
    ax_sched.legend(fontsize=8)
    if created:
        fig.suptitle(
            f"Suggested peak LR {conf.lr:.4g} (band {conf.band[0]:.3g} .. {conf.band[1]:.3g}); "
            f"cost {conf.cost_steps} steps, {conf.wall_s:.1f} s",
            fontsize=11,
        )
        fig.tight_layout()
    return fig
