"""``lrlab demo``: the tutorial's parts, run in order, with figures and a summary.

Each part lives in its own module of this package and exposes
``run(out: Path, progress: Progress | None) -> PartResult``. The demo writes figures
into the output folder and ``summary.json`` beside them; it never prints (the CLI
renders the returned :class:`PartResult` rows as tables).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrlab._checks import Progress, check_choice
from lrlab._json import jsonable

# (key, title, module) in the order the tutorial tells them.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("landscapes", "Part 1: learning rate on 2D landscapes", "lrlab.tutorial.demo.part1_landscapes"),
    ("optimizers", "Part 2: optimizers from scratch", "lrlab.tutorial.demo.part2_optimizers"),
    ("schedules", "Part 3: learning-rate schedules", "lrlab.tutorial.demo.part3_schedules"),
    ("finder", "Part 4: the LR range test", "lrlab.tutorial.demo.part4_finder"),
)

__all__ = ["PARTS", "PartResult", "run_part", "run_demo", "write_summary"]


@dataclass(frozen=True, repr=False)
class PartResult:
    """What one demo part produced.

    Attributes:
        key: Short name of the part (``"landscapes"``).
        title: Human title (``"Part 1: ..."``).
        figures: Paths of the figures it wrote.
        rows: ``(label, value)`` pairs for the summary table.
        summary: JSON-ready numbers for ``summary.json``.
    """

    key: str
    title: str
    figures: tuple[Path, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"PartResult({self.key!r}: {self.title}, figures={[p.name for p in self.figures]}, {len(self.rows)} rows)"
        )


def run_part(key: str, out: Path, progress: Progress | None = None) -> PartResult:
    """Run one part of the demo, writing its figures into ``out``.

    Raises:
        ValueError: If ``key`` names no part.
    """
    check_choice("part", key, [k for k, _, _ in PARTS])
    module = next(m for k, _, m in PARTS if k == key)
    return importlib.import_module(module).run(Path(out), progress)


def run_demo(out: Path, parts: Sequence[str] | None = None) -> list[PartResult]:
    """Run the given parts (all by default) and write ``summary.json``."""
    keys = [p[0] for p in PARTS] if parts is None else list(parts)
    results = [run_part(k, out) for k in keys]
    write_summary(results, out)
    return results


def write_summary(results: Sequence[PartResult], out: Path) -> Path:
    """Write ``summary.json`` (one entry per part) into ``out`` and return its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        r.key: {
            "title": r.title,
            "figures": [p.name for p in r.figures],
            **jsonable(r.summary),
        }
        for r in results
    }
    path = out / "summary.json"
    path.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")
    return path
