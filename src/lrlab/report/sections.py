"""The page's sections, one builder per result: the range test, its confirmation, a sweep, a demo part.

Each builder reads a result object (or, for the confirmation, its ``to_dict()``, which is all a saved
JSON keeps) and returns a :class:`~lrlab.report.page.Section` plus the summary line it contributes.
Nothing here computes a suggestion: the caller hands in the suggestions it computed (or read from JSON).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lrlab.plots._html import escape, figure_img, table
from lrlab.report.page import Headline, Section, fmt_lr, png_file_img

__all__ = ["confirm_section", "demo_section", "finder_section", "sweep_section"]


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return str(v) if not math.isfinite(v) else f"{v:.{digits}g}"
    return str(value)


def _warnings(items: Sequence[str]) -> str:
    return "".join(f'<p class="warn">Warning: {escape(w)}</p>' for w in dict.fromkeys(items))


def _facts(rows: Sequence[tuple[str, Any]], caption: str) -> str:
    """A two-column table of ``(label, value)`` facts, values left-aligned."""
    return '<div class="kv">' + table(["", "value"], rows, caption=caption) + "</div>"


def _figure(img: str, caption: str) -> str:
    return f"<figure>{img}<figcaption>{escape(caption)}</figcaption></figure>"


def _chosen_row(html_table: str, label: str) -> str:
    """Mark the row whose first cell is ``label`` (escaped) as the chosen one."""
    cell = f"<tr><td>{escape(label)}</td>"
    return html_table.replace(cell, f'<tr class="chosen"><td>{escape(label)}</td>', 1)


def finder_section(
    result: Any,
    suggestions: Mapping[str, Any],
    errors: Mapping[str, str],
    method: str | None,
    *,
    warnings: Sequence[str] = (),
    confirmed: bool = False,
    recorded_only: bool = False,
) -> tuple[Section, Headline]:
    """The range test: its figure, every rule's suggestion (the chosen one marked), the stop reason.

    Args:
        result: An :class:`~lrlab.finder.LRFinderResult`.
        suggestions: Rule name -> :class:`~lrlab.finder.Suggestion` (computed by the caller).
        errors: Rule name -> why it could not read the curve.
        method: The rule behind the suggested LR (``None``: not known, as in a JSON without it).
        warnings: What makes the curve a poor basis for a suggestion (the result's and others').
        confirmed: The headline LR comes from a confirmation instead; this section's line says so.
        recorded_only: ``result`` was rebuilt from the curve alone (``lrlab find --json``): show what
            was recorded, not settings the JSON does not keep.
    """
    from lrlab.finder import METHODS
    from lrlab.plots.finder import plot_finder

    shade = method if method in suggestions else None
    img = figure_img(plot_finder(result, suggestions, shade=shade), "LR range test: loss against learning rate")
    rows: list[tuple[str, ...]] = []
    for name in (*METHODS, *sorted((set(suggestions) | set(errors)) - set(METHODS))):
        if name in suggestions:
            s = suggestions[name]
            band = "" if s.lr_range is None else f"{s.lr_range[0]:.3g} .. {s.lr_range[1]:.3g}"
            rows.append((name, fmt_lr(s.lr), band, _num(s.loss), ""))
        elif name in errors:
            rows.append((name, "n/a", "", "", errors[name]))
    header = ["rule", "LR", "band", "loss there"]
    if errors:
        header.append("could not read the curve")
    else:
        rows = [r[:4] for r in rows]
    rules = table(header, rows, caption="Every rule")
    if method is not None:
        rules = _chosen_row(rules, method)
    if recorded_only:
        facts = [
            ("steps recorded", result.steps),
            ("LRs recorded", f"{result.lrs[0]:g} .. {result.lrs[-1]:g}"),
            ("stopped because", result.stop_reason),
        ]
    else:
        facts = [
            ("steps", f"{result.steps} of {result.num_iter}"),
            ("LR range", f"{result.start_lr:g} .. {result.end_lr:g} ({result.mode})"),
            ("stopped because", result.stop_reason),
            ("smoothing (EMA beta)", f"{result.smooth:g}"),
            ("divergence threshold", f"{result.diverge_th:g} x best smoothed loss"),
            ("monitored loss", result.monitor),
        ]
    chosen = suggestions.get(method) if method is not None else None
    lead = (
        f"<p>Rule used: <b>{escape(method)}</b>"
        + ("" if chosen is None else f", suggesting <b>{escape(fmt_lr(chosen.lr))}</b>")
        + (" (the range test the confirmation started from)" if confirmed else "")
        + ".</p>"
        if method is not None
        else ""
    )
    body = (
        lead
        + _warnings(warnings)
        + _figure(img, "Raw and smoothed loss against LR (log axis); each rule's suggestion marked.")
        + rules
        + _facts(facts, "The range test")
    )
    band = (
        ""
        if chosen is None or chosen.lr_range is None
        else f"band {chosen.lr_range[0]:.3g} .. {chosen.lr_range[1]:.3g}; "
    )
    what = f"suggested LR ({method})" if method is not None else "suggested LR"
    if chosen is None and method is not None:
        note = errors.get(method, "the rule gave no LR")
    else:
        note = f"{band}range test {result.stop_reason} after {result.steps} steps"
    return Section("LR range test", body, "finder"), Headline(None if chosen is None else chosen.lr, what, note)


def confirm_section(doc: Mapping[str, Any], figure: Any | None = None) -> tuple[Section, Headline]:
    """The confirmation under the user's schedule: peak LR, band, rounds and cost.

    Args:
        doc: :meth:`lrlab.confirm.Confirmation.to_dict`'s output (what ``lrlab find --confirm --json``
            keeps under ``"confirm"``).
        figure: The confirmation's figure (a live run has it; a saved JSON does not keep the curves).
    """
    lo, hi = doc["band"]
    total = doc.get("total_steps")
    length = "a constant LR" if total is None else f"{total:,} steps"
    facts = [
        ("peak LR", fmt_lr(doc["lr"])),
        ("band (about as good)", f"{_num(lo, 3)} .. {_num(hi, 3)}"),
        ("schedule", doc["schedule"]),
        ("your run", length),
        ("read as", doc.get("how", "")),
        ("horizon factor", _num(doc.get("horizon_factor"))),
        ("cost", f"{doc['cost_steps']:,} training steps of {doc['budget_steps']:,} allowed"),
        ("range test steps", _num(doc.get("range_test_steps"))),
        ("wall time", f"{doc['wall_s']:.1f} s"),
    ]
    rows = []
    for r in doc.get("rounds", ()):
        lrs = [v for v in r["lrs"] if v is not None]
        lr_span = f"{min(lrs):.3g} .. {max(lrs):.3g}" if lrs else ""
        rows.append(
            (
                f"{len(r['lrs'])} x {r['horizon']} steps",
                lr_span,
                sum(bool(d) for d in r["diverged"]),
                fmt_lr(r["lr"]),
                r["how"],
            )
        )
    body = (
        f"<p>Copies of the model trained under <code>{escape(doc['schedule'])}</code>, compressed from "
        f"{escape(length)}, put the peak LR at <b>{escape(fmt_lr(doc['lr']))}</b>.</p>"
        + _warnings(doc.get("warnings", ()))
        + (
            ""
            if figure is None
            else _figure(
                figure_img(figure, "confirmation under the schedule"),
                "Range test, each round's copies, and the schedule at the suggested peak.",
            )
        )
        + _facts(facts, "The confirmation")
        + table(["round", "peak LRs", "diverged", "best there", "read as"], rows, caption="Rounds")
    )
    note = f"band {_num(lo, 3)} .. {_num(hi, 3)}; for {doc['schedule']} over {length}; cost {doc['cost_steps']:,} steps"
    return Section("Confirmation under your schedule", body, "confirm"), Headline(
        doc["lr"], "peak LR (confirmed)", note
    )


def sweep_section(result: Any, description: str = "") -> tuple[Section, Headline]:
    """A sweep: its figure, one row per LR (score, last train loss, diverged), the best LR.

    Args:
        result: A :class:`~lrlab.sweep.SweepResult`.
        description: The task, in words (``"MLP on MNIST ..."``), when known.
    """
    from lrlab.plots.sweep import plot_sweep

    img = figure_img(plot_sweep(result), "LR sweep: loss curves and final score against learning rate")
    rows = []
    best = result.best_index
    for k in np.argsort(result.lrs):
        status = f"diverged at step {result.diverged_at[k] + 1}" if result.diverged[k] else ""
        if result.diverged[k] and result.diverged_at[k] < 0:
            status = "diverged (validation)"
        label = f"{result.lrs[k]:.4g}" + (" (best)" if k == best else "")
        rows.append((label, _num(result.scores[k]), _num(result.train_losses[k, -1]), status))
    per_lr = table(["LR", result.score_name, "last train loss", "diverged"], rows, caption="Every copy")
    if best is not None:
        per_lr = _chosen_row(per_lr, f"{result.lrs[best]:.4g} (best)")
    facts = [
        ("copies", result.num_lrs),
        ("steps each", result.steps),
        ("optimizer", result.optimizer),
        ("mode", result.mode + ("" if not result.fallback_reason else f" ({result.fallback_reason})")),
        ("diverged", f"{int(result.diverged.sum())} of {result.num_lrs}"),
        ("score", result.score_name),
    ]
    if description:
        facts.insert(0, ("task", description))
    lead = (
        "<p>Every copy diverged: try smaller learning rates.</p>"
        if result.best_lr is None
        else f"<p>Best learning rate: <b>{escape(fmt_lr(result.best_lr))}</b> (lowest {escape(result.score_name)}).</p>"
    )
    body = (
        lead
        + _figure(
            img, "Each copy's loss over its steps, coloured by LR; each copy's score against LR, the best starred."
        )
        + per_lr
        + _facts(facts, "The sweep")
    )
    note = "every copy diverged" if best is None else f"lowest {result.score_name} of {result.num_lrs} copies"
    return Section("LR sweep", body, "sweep"), Headline(result.best_lr, "best LR of the sweep", note)


def demo_section(
    key: str, title: str, figures: Sequence[Any], rows: Sequence[tuple[str, Any]], suggested_lr: float | None = None
) -> tuple[Section, Headline | None]:
    """One part of the demo: its summary rows and its figures (PNG files, embedded).

    Args:
        key: The part's key (``"finder"``).
        title: The part's title.
        figures: Paths of the PNGs the part wrote.
        rows: ``(label, value)`` pairs.
        suggested_lr: The LR the part suggests (the range-test part does), for the summary box.

    Raises:
        ValueError: If a figure is missing or is not a PNG.
    """
    imgs = "".join(_figure(png_file_img(p, f"{title}: {p.name}"), p.name) for p in figures)
    body = _facts([(label, _num(v)) for label, v in rows], "Summary") + imgs
    headline = None if suggested_lr is None else Headline(suggested_lr, f"suggested LR ({title})")
    return Section(title, body, f"demo-{key}"), headline
