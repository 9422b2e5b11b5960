"""The LR range test for any PyTorch model, its result, and the rules that read an LR off it.

``find_lr`` runs the test under a :class:`StateGuard` (the model, the optimizer and the
RNGs come back bitwise as they were) and returns an :class:`LRFinderResult`;
``suggest(result, method)`` applies one of :data:`METHODS` and returns a
:class:`Suggestion`. The pieces are public for loops built on them (the distributed
range test, the confirmation sweep): ``StateGuard``, ``lr_sequence``, ``LossMonitor``,
``train_step`` and the ``StepFn`` convention.

Examples:
    >>> import lrlab
    >>> lrlab.find_lr is find_lr
    True
"""

from __future__ import annotations

from lrlab.finder._guard import StateGuard
from lrlab.finder._monitor import STOP_REASONS, LossMonitor, lr_sequence
from lrlab.finder._step import StepFn, criterion_step, train_step
from lrlab.finder.loop import find_lr
from lrlab.finder.result import LRFinderResult
from lrlab.finder.suggest import DEFAULT_METHOD, METHODS, Suggestion, suggest

__all__ = [
    "find_lr",
    "LRFinderResult",
    "suggest",
    "Suggestion",
    "METHODS",
    "DEFAULT_METHOD",
    "STOP_REASONS",
    "StateGuard",
    "LossMonitor",
    "lr_sequence",
    "StepFn",
    "criterion_step",
    "train_step",
]
