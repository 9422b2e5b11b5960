"""Demo Part 4: the tutorial's range test, its figure, and the training checks."""

from __future__ import annotations

import json
import math

from lrlab.tutorial import demo
from lrlab.tutorial.demo import part4_finder


def test_part4_runs_and_reports_every_rule(tmp_path, monkeypatch):
    monkeypatch.setattr(part4_finder, "EPOCHS", 1)
    calls = []
    result = demo.run_part("finder", tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert result.title == "Part 4: the LR range test" and demo.PARTS[-1][0] == "finder"
    assert [p.name for p in result.figures] == ["part4_lr_finder.png"] and result.figures[0].exists()
    s = result.summary
    assert s["steps"] == 100 and calls[-1] == (100, 100)
    assert set(s["suggestions"]) == {"steepest", "minimum", "valley", "slide", "tutorial"}
    assert s["suggested_lr"] == s["suggestions"]["steepest"]["lr"]
    labels = [c["label"] for c in s["three_epochs"]]
    assert labels[0].startswith("steepest") and labels[-2:] == ["fixed 0.001", "fixed 0.1"]
    json.dumps(demo.write_summary([result], tmp_path).read_text())


def test_train_and_evaluate_learns_at_a_sane_lr_and_not_at_a_tiny_one():
    good = part4_finder.train_and_evaluate(0.3, epochs=1)
    tiny = part4_finder.train_and_evaluate(1e-6, epochs=1)
    assert good["val_accuracy"] > 0.6 and good["val_loss"] < 1.5
    assert tiny["val_accuracy"] < 0.3 and math.isclose(tiny["val_loss"], math.log(10), rel_tol=0.05)
