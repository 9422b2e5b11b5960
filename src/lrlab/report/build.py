"""Whole pages: from a live range test, sweep or demo run, or from saved JSON files.

The CLI calls these; each returns the page as a string (writing it is the caller's business).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lrlab.report.load import finder_from_doc, load_json, sweep_from_dict
from lrlab.report.page import Headline, Section, render_page
from lrlab.report.sections import confirm_section, demo_section, finder_section, sweep_section

__all__ = ["demo_page", "finder_page", "page_from_json", "sweep_page"]


def finder_page(
    result: Any,
    suggestions: Mapping[str, Any],
    errors: Mapping[str, str],
    method: str | None,
    *,
    command: str,
    confirmation: Any | None = None,
    warnings: Sequence[str] = (),
    title: str = "lrlab find: learning-rate range test",
) -> str:
    """The page of ``lrlab find``: the suggestion (confirmed, with ``confirmation``), every rule, the evidence.

    Args:
        result: The range test's :class:`~lrlab.finder.LRFinderResult`.
        suggestions: Every rule's :class:`~lrlab.finder.Suggestion` that could read the curve.
        errors: Rule -> why it could not.
        method: The rule behind the suggested LR.
        command: The command line that made the results.
        confirmation: A :class:`~lrlab.confirm.Confirmation`, whose peak LR then heads the page.
        warnings: Warnings to show beside the range test (the result's own are added).
        title: The page title.
    """
    sections, headlines = _finder_parts(result, suggestions, errors, method, confirmation, None, warnings)
    return render_page(title, headlines, sections, command)


def sweep_page(result: Any, *, command: str, description: str = "", title: str = "lrlab sweep: LR sweep") -> str:
    """The page of ``lrlab sweep``: the best LR, each copy's score, the figure."""
    section, headline = sweep_section(result, description)
    return render_page(title, [headline], [section], command)


def demo_page(parts: Sequence[Any], *, command: str, title: str = "lrlab demo: the tutorial's parts") -> str:
    """The page of ``lrlab demo``: each part's summary and figures.

    Args:
        parts: :class:`~lrlab.tutorial.demo.PartResult` objects (``key``, ``title``, ``figures``,
            ``rows``, ``summary``).
        command: The command line.
        title: The page title.

    Raises:
        ValueError: If a part's figure file is missing or not a PNG.
    """
    sections, headlines = [], []
    for part in parts:
        lr = part.summary.get("suggested_lr") if isinstance(part.summary, Mapping) else None
        section, headline = demo_section(part.key, part.title, part.figures, part.rows, lr)
        sections.append(section)
        if headline is not None:
            headlines.append(headline)
    return render_page(title, headlines, sections, command)


def page_from_json(paths: Sequence[str | Path], *, command: str, title: str | None = None) -> str:
    """One page from saved results: ``lrlab find --json``, ``lrlab sweep --json`` outputs, demo summary.json.

    Every file is read and checked before any figure is drawn. The summary box lists each result's LR in
    the order the files were given.

    Raises:
        OSError: If a file cannot be read.
        ValueError: If a file is not one of those, or a demo figure beside it is missing.
    """
    saved = [load_json(p) for p in paths]
    sections: list[Section] = []
    headlines: list[Headline] = []
    for s in saved:
        where = f" ({s.path.name})" if len(saved) > 1 else ""
        if s.kind == "find":
            result, suggestions, errors, method = finder_from_doc(s.doc, s.path)
            secs, heads = _finder_parts(result, suggestions, errors, method, None, s.doc.get("confirm"), (), True)
        elif s.kind == "sweep":
            secs, heads = [], []
            section, headline = sweep_section(sweep_from_dict(s.doc, s.path), str(s.doc.get("task", "")))
            secs.append(section)
            heads.append(headline)
        else:
            secs, heads = _demo_parts(s.doc, s.path.parent)
        sections.extend(Section(x.title + where, x.body, x.anchor) for x in secs)
        headlines.extend(Headline(h.lr, h.what + where, h.note) for h in heads)
    kinds = sorted({s.kind for s in saved}, key=("find", "sweep", "demo").index)
    page_title = title or "lrlab report: " + ", ".join(
        {"find": "range test", "sweep": "LR sweep", "demo": "tutorial demo"}[k] for k in kinds
    )
    return render_page(page_title, headlines, sections, command)


def _finder_parts(
    result: Any,
    suggestions: Mapping[str, Any],
    errors: Mapping[str, str],
    method: str | None,
    confirmation: Any | None,
    confirm_doc: Mapping[str, Any] | None,
    warnings: Sequence[str],
    recorded_only: bool = False,
) -> tuple[list[Section], list[Headline]]:
    doc = confirmation.to_dict() if confirmation is not None else confirm_doc
    extra = list(doc.get("warnings", ())) if doc is not None else []
    finder, finder_line = finder_section(
        result,
        suggestions,
        errors,
        method,
        warnings=[*result.warnings, *warnings, *extra],
        confirmed=doc is not None,
        recorded_only=recorded_only,
    )
    if doc is None:
        return [finder], [finder_line]
    conf, conf_line = confirm_section(doc, None if confirmation is None else confirmation.plot())
    return [conf, finder], [conf_line]


def _demo_parts(doc: Mapping[str, Any], folder: Path) -> tuple[list[Section], list[Headline]]:
    sections, headlines = [], []
    for key, part in doc.items():
        rows = [(k, _short(v)) for k, v in part.items() if k not in ("title", "figures")]
        figures = [folder / str(name) for name in part["figures"]]
        lr = part.get("suggested_lr")
        section, headline = demo_section(key, str(part["title"]), figures, rows, lr if isinstance(lr, float) else None)
        sections.append(section)
        if headline is not None:
            headlines.append(headline)
    return sections, headlines


def _short(value: Any, width: int = 120) -> Any:
    """A summary value for a table cell: numbers as they are, anything nested as JSON cut to ``width``."""
    import json

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    text = json.dumps(value)
    return text if len(text) <= width else text[: width - 3] + "..."
