"""One self-contained HTML page to share: the LR to use, the evidence behind it, and how to reproduce it.

Built from result objects (a range test with its suggestions, a confirmation, a sweep, the demo's
parts) or from the JSON that ``lrlab find --json`` / ``lrlab sweep --json`` print. Figures are PNGs in
``data:`` URIs and the CSS is inline: the page loads nothing from anywhere. The report reads results;
it never computes a suggestion. Only :mod:`lrlab.cli` imports this package.
"""

from __future__ import annotations

from lrlab.report.build import demo_page, finder_page, page_from_json, sweep_page
from lrlab.report.load import load_json, sweep_from_dict
from lrlab.report.page import Headline, Section, render_page, versions

__all__ = [
    "Headline",
    "Section",
    "demo_page",
    "finder_page",
    "load_json",
    "page_from_json",
    "render_page",
    "sweep_from_dict",
    "sweep_page",
    "versions",
]
