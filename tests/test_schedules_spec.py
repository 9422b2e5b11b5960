"""The spec grammar and the registry: parse, repr round trip, malformed specs."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from lrlab.schedules import describe, names, parse
from lrlab.schedules.registry import SCHEDULES, build

# One spec per registered schedule, written the way a user would.
EXAMPLES = {
    "constant": "constant(0.1)",
    "step": "step(base_lr=0.1, drop=0.5, every=30)",
    "exponential": "exponential(base_lr=0.1, gamma=0.97)",
    "cosine": "cosine(base_lr=0.1, total=100)",
    "warmup_cosine": "warmup_cosine(base_lr=0.1, warmup=10, total=100)",
    "multistep": "multistep(0.1, milestones=[30, 60], gamma=0.1)",
    "linear": "linear(base_lr=0.1, end_lr=1e-3, total_steps=50)",
    "polynomial": "polynomial(0.1, total_steps=80, power=2)",
    "inverse_sqrt": "inverse_sqrt(0.1, warmup_steps=10)",
    "cosine_restarts": "cosine_restarts(0.1, cycle_steps=10, cycle_mult=2, cycle_decay=0.8)",
    "cyclic": "cyclic(base_lr=0.01, max_lr=0.1, step_size_up=10, mode=triangular2)",
    "onecycle": "onecycle(max_lr=0.1, total_steps=100, anneal_strategy=linear, three_phase=True)",
    "wsd": "wsd(0.1, total_steps=100, warmup_steps=5, decay=1-sqrt)",
    "with_warmup": "with_warmup(cosine(0.1, total=90), warmup_steps=10)",
    "join": "join([constant(0.01), cosine(0.1, total=90)], boundaries=[10])",
    "product": "product([cosine(0.1, total=100), linear(0.0, end_lr=1.0, total_steps=10)])",
}


def test_every_schedule_has_an_example() -> None:
    assert set(EXAMPLES) == set(SCHEDULES) == set(names())


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_repr_parses_back_to_the_same_schedule(name: str) -> None:
    s = parse(EXAMPLES[name])
    assert s.name == name
    again = parse(repr(s))
    assert repr(again) == repr(s)
    t = np.arange(0, 300, 7)
    assert np.array_equal(again(t), s(t))


def test_grammar_details() -> None:
    assert parse("  cosine ( 0.1 , total = 1e2 , ) ").params == {"base_lr": 0.1, "total": 100, "min_lr": 0.0}
    assert parse("cyclic(0.01, 0.1, mode='exp_range', gamma=0.99)").params["mode"] == "exp_range"
    assert parse('cyclic(0.01, 0.1, mode="triangular")').params["mode"] == "triangular"
    assert parse("onecycle(0.1, 100, three_phase=FALSE)").params["three_phase"] is False
    assert parse("cyclic(0.01, 0.1, step_size_down=none)").params["step_size_down"] == 2000
    assert parse("multistep(0.1, [1, 2,])").params["milestones"] == [1, 2]
    assert parse("exponential(.5, k=+2.5E-1)").params == {"base_lr": 0.5, "k": 0.25}
    nested = parse("join([with_warmup(constant(0.1), 5), step(0.1, every=3)], [20])")
    assert nested(np.array([0, 5, 20, 23])).tolist() == [0.0, 0.1, 0.1, 0.05]


MALFORMED = [
    ("", "expected a schedule name at the end in ''"),
    ("cosine(0.1", "expected ',' or '\\)' at the end in 'cosine\\(0.1'"),
    ("cosine(0.1))", "unexpected text after the spec at position 11"),
    ("cosine 0.1", "unexpected text after the spec"),
    ("cosine(base_lr=)", "expected a value at position 15"),
    ("cosine(base_lr=0.1 total=3)", "expected ',' or '\\)' at position 19 \\(near 'total=3\\)'\\)"),
    ("cosine(total=3, 0.1)", "positional argument after keyword arguments"),
    ("cosine(base_lr=0.1, base_lr=0.2)", "parameter 'base_lr' given twice"),
    ("multistep(0.1, milestones=[30, 60)", "expected ',' or '\\]' at position 33 \\(near '\\)'\\)"),
    ("cyclic(0.1, 0.2, mode='tri)", "unterminated string"),
    ("3(0.1)", "expected a schedule name"),
    ("join([1e-3(0.1)], [2])", "'1e-3' is not a schedule name"),
    ("__import__('os')", "unknown schedule '__import__'"),
    ("__import__('os').system('true')", "unexpected text after the spec at position 16"),
    ("nope(0.1)", "unknown schedule 'nope'; known: constant, step"),
    ("cosine(base_lr=0.1, T_max=10)", "unknown parameter 'T_max' for cosine; parameters: base_lr, total, min_lr"),
    ("cosine(total=10)", "cosine needs the parameter 'base_lr'"),
    ("constant(0.1, 0.2)", "constant takes at most 1 parameters"),
    ("cosine(0.1, base_lr=0.2)", "parameter 'base_lr' of cosine given twice"),
    ("cosine(base_lr=0.1, total=0)", "total must be >= 1, got 0"),
    ("cosine(base_lr=0.1, total=10.5)", "total must be an integer, got 10.5"),
    ("warmup_cosine(base_lr=0.1, warmup=20, total=10)", "warmup must be <= total \\(10\\), got 20"),
]


@pytest.mark.parametrize(("spec", "match"), MALFORMED, ids=[m[0] or "empty" for m in MALFORMED])
def test_malformed_specs(spec: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse(spec)


def test_wrong_types() -> None:
    with pytest.raises(TypeError, match="base_lr must be a number, got 'abc'"):
        parse("constant(abc)")
    with pytest.raises(TypeError, match="base_lr must be a number, got 'inf'"):
        parse("constant(inf)")
    with pytest.raises(TypeError, match="spec must be a string, got 3"):
        parse(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown schedule 'nope'"):
        build("nope")


def test_describe_lists_every_parameter() -> None:
    info = {i.name: i for i in describe()}
    assert list(info) == list(SCHEDULES)
    assert info["warmup_cosine"].parameters == ("base_lr", "warmup=10", "total=100", "min_lr=0.0")
    assert info["wsd"].parameters[-1] == "decay=linear"
    for name, factory in SCHEDULES.items():
        assert len(info[name].parameters) == len(inspect.signature(factory).parameters)
        assert info[name].summary and "\n" not in info[name].summary


def test_schedules_pickle_as_their_spec() -> None:
    import copy
    import pickle

    for spec in EXAMPLES.values():
        s = parse(spec)
        for clone in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
            assert repr(clone) == repr(s)
            assert np.array_equal(clone(np.arange(200)), s(np.arange(200)))
