"""Saved results back into result objects: the JSON that ``lrlab find``/``sweep`` print, a demo's summary.json.

``lrlab find --json`` keeps the curve, every rule's LR and band and the stop reason, not the test's
settings (``start_lr``, ``num_iter``, ...); a page built from it says "recorded" where it can only show
what was recorded. ``lrlab sweep --json`` keeps every number of :meth:`SweepResult.to_dict`, which
:func:`sweep_from_dict` turns back into a :class:`~lrlab.sweep.SweepResult` (its best LR recomputed and
checked against the saved one). Nothing here suggests an LR: the saved suggestions are read as they are.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Saved", "kind_of", "load_json", "finder_from_doc", "sweep_from_dict"]

KINDS = ("find", "sweep", "demo")


@dataclass(frozen=True)
class Saved:
    """One JSON file read back: what it is, its document, and where it lies (for a demo's figures)."""

    kind: str
    doc: dict[str, Any]
    path: Path
    extra: dict[str, Any] = field(default_factory=dict)


def _arr(values: Any, name: str, path: Path) -> np.ndarray:
    try:
        return np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {name} must be a list of numbers, got {str(values)[:60]}") from None


def kind_of(doc: Any) -> str | None:
    """``"find"``, ``"sweep"``, ``"demo"`` (a summary.json), or ``None`` for anything else."""
    if not isinstance(doc, dict):
        return None
    if {"lrs", "losses", "smoothed", "suggestions"} <= doc.keys():
        return "find"
    if {"lrs", "train_losses", "val_steps", "steps"} <= doc.keys():
        return "sweep"
    if doc and all(isinstance(v, dict) and {"title", "figures"} <= v.keys() for v in doc.values()):
        return "demo"
    return None


def load_json(path: str | Path) -> Saved:
    """Read one saved result.

    Raises:
        OSError: If the file cannot be read.
        ValueError: If it is not JSON, or not the output of ``lrlab find --json``, ``lrlab sweep --json``
            or a demo's ``summary.json``.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"RESULT must be a JSON file, got {str(p)!r} ({exc.msg} at line {exc.lineno})") from None
    kind = kind_of(doc)
    if kind is None:
        got = f"keys {sorted(doc)[:8]}" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
        raise ValueError(
            f"RESULT must be the --json output of lrlab find or lrlab sweep, or a demo's summary.json, "
            f"got {got} in {str(p)!r}"
        )
    return Saved(kind, doc, p)


def _nearest(lrs: np.ndarray, lr: float) -> int:
    ok = np.flatnonzero(np.isfinite(lrs) & (lrs > 0))
    return int(ok[np.argmin(np.abs(np.log(lrs[ok]) - math.log(lr)))])


def finder_from_doc(doc: Mapping[str, Any], path: Path) -> tuple[Any, dict[str, Any], dict[str, str], str | None]:
    """The range test's result, its suggestions and errors, and the rule behind ``suggested_lr``.

    The rule is the one whose LR equals the saved ``suggested_lr`` (the default rule first); with
    ``--confirm`` the suggested LR is the confirmed one and no rule is marked.

    Raises:
        ValueError: Naming the file, if the curve or a suggestion is malformed.
    """
    from lrlab.finder import DEFAULT_METHOD, LRFinderResult, Suggestion

    lrs, losses, smoothed = (_arr(doc[k], k, path) for k in ("lrs", "losses", "smoothed"))
    if lrs.size < 1 or not (np.isfinite(lrs) & (lrs > 0)).any():
        raise ValueError(f"{path}: lrs must hold at least one positive learning rate, got {lrs.size} values")
    if "start_lr" in doc:  # a full LRFinderResult.to_dict()
        result = LRFinderResult.from_dict(dict(doc))
    else:
        result = LRFinderResult(
            lrs=lrs,
            losses=losses,
            smoothed=smoothed,
            val_losses=None,
            stop_reason=doc["stop_reason"],
            start_lr=float(lrs[0]),
            end_lr=float(lrs[-1]),
            num_iter=int(lrs.size),
        )
    suggestions: dict[str, Any] = {}
    errors: dict[str, str] = {}
    rules = doc["suggestions"]
    if not isinstance(rules, dict):
        raise ValueError(f"{path}: suggestions must be an object of rule -> {{lr, lr_range}}, got {str(rules)[:60]}")
    for name, rule in rules.items():
        if not isinstance(rule, dict) or "lr" not in rule:
            raise ValueError(f"{path}: suggestions[{name!r}] must hold an lr, got {str(rule)[:60]}")
        if rule["lr"] is None:
            errors[name] = str(rule.get("error", "no LR"))
            continue
        lr = float(rule["lr"])
        band = rule.get("lr_range")
        i = _nearest(result.lrs, lr)
        curve = result.losses if name == "tutorial" else result.smoothed
        suggestions[name] = Suggestion(
            name, lr, None if band is None else (float(band[0]), float(band[1])), i, float(curve[i])
        )
    chosen = doc.get("suggested_lr")
    order = [DEFAULT_METHOD, *(n for n in suggestions if n != DEFAULT_METHOD)]
    method = next((n for n in order if n in suggestions and suggestions[n].lr == chosen), None)
    return result, suggestions, errors, method


def sweep_from_dict(doc: Mapping[str, Any], path: Path | str = "sweep") -> Any:
    """A :class:`~lrlab.sweep.SweepResult` from :meth:`SweepResult.to_dict`'s output (JSON nulls as NaN).

    The copies' final weights are not in the JSON; everything the page shows is.

    Raises:
        ValueError: If a curve has the wrong shape, or the recomputed best LR is not the saved one.
    """
    from lrlab.sweep import SweepResult

    p = Path(path)
    try:
        result = SweepResult.from_dict(dict(doc))
    except ValueError as exc:
        raise ValueError(f"{p}: {exc}") from None
    if "best_lr" in doc and result.best_lr != doc["best_lr"]:
        raise ValueError(f"{p}: best_lr must match the saved curves ({result.best_lr}), got {doc['best_lr']}")
    return result
