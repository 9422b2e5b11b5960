"""``suggest_lr``: the peak LR for the user's own schedule and training length, measured by training.

* :func:`suggest_lr` runs it (:mod:`lrlab.confirm.suggest`);
* :class:`Confirmation` / :class:`Round` hold the answer and the evidence (:mod:`lrlab.confirm.result`);
* :mod:`lrlab.confirm.rule` holds every decision as a pure function of numbers.
"""

from __future__ import annotations

from lrlab.confirm.result import Confirmation, Round
from lrlab.confirm.suggest import suggest_lr

__all__ = ["suggest_lr", "Confirmation", "Round"]
