"""LRFinderResult: immutable arrays, validation, dict round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lrlab.finder import LRFinderResult


def _r(**kw) -> LRFinderResult:
    base = dict(
        lrs=[1e-3, 1e-2, 1e-1],
        losses=[2.0, 1.5, float("nan")],
        smoothed=[2.0, 1.7, float("nan")],
        val_losses=None,
        stop_reason="non-finite",
        start_lr=1e-3,
        end_lr=1e-1,
        num_iter=3,
    )
    base.update(kw)
    return LRFinderResult(**base)


def test_arrays_are_float64_copies_and_read_only():
    lrs = np.array([1e-3, 1e-2, 1e-1])
    r = _r(lrs=lrs)
    lrs[0] = 5
    assert r.lrs[0] == 1e-3 and r.lrs.dtype == np.float64 and r.steps == 3
    with pytest.raises(ValueError, match="read-only"):
        r.losses[0] = 1.0
    with pytest.raises(AttributeError):
        r.stop_reason = "completed"  # type: ignore[misc]


def test_to_dict_is_strict_json_and_round_trips():
    r = _r(val_losses=[2.1, 1.9, float("inf")], monitor="val")
    doc = r.to_dict()
    text = json.dumps(doc, allow_nan=False)
    assert doc["losses"][-1] is None and doc["val_losses"][-1] is None and doc["steps"] == 3
    back = LRFinderResult.from_dict(json.loads(text))
    np.testing.assert_array_equal(back.lrs, r.lrs)
    assert math.isnan(back.losses[-1]) and back.monitor == "val" and back.stop_reason == "non-finite"


def test_from_dict_refuses_a_doc_without_a_curve():
    doc = _r().to_dict()
    with pytest.raises(TypeError, match=r"doc must be a dict \(LRFinderResult\.to_dict\(\)'s output\), got list"):
        LRFinderResult.from_dict([doc])  # type: ignore[arg-type]
    del doc["mode"]
    with pytest.raises(ValueError, match=r"doc must have every key .*, got none for \['mode'\]"):
        LRFinderResult.from_dict(doc)
    doc = {**_r().to_dict(), "smoothed": None}
    with pytest.raises(ValueError, match=r"doc must have every key .*, got none for \['smoothed'\]"):
        LRFinderResult.from_dict(doc)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"losses": [1.0, 2.0]}, "must be 1-D of equal length, got \\[3, 2, 3\\]"),
        ({"stop_reason": "tired"}, "stop_reason must be one of"),
        ({"monitor": "test"}, "monitor must be 'train' or 'val', got 'test'"),
    ],
)
def test_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        _r(**kw)
