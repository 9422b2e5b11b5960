"""Deep, huge and odd inputs: each is refused with its limit named (never a RecursionError,
a hang or a silent misreading), and everything just inside the limits still works."""

from __future__ import annotations

import copy
import pickle
import re
from typing import Any

import numpy as np
import pytest

from lrlab import schedules as S
from lrlab.schedules import _base, compose, spec
from lrlab.schedules.sample import MAX_SAMPLES


def nested_spec(levels: int) -> str:
    return "with_warmup(" * levels + "constant(0.1)" + ", 1)" * levels


def nested(levels: int) -> S.Schedule:
    s = S.constant(0.1)
    for _ in range(levels):
        s = S.with_warmup(s, 1)
    return s


# ---------------------------------------------------------------- nesting


def test_a_deeply_nested_spec_names_the_nesting_limit() -> None:
    with pytest.raises(ValueError, match=f"spec must nest calls and lists at most {spec.MAX_NESTING} deep, got 2001"):
        S.parse(nested_spec(2000))
    with pytest.raises(ValueError, match="spec must nest calls and lists at most 64 deep, got 3000"):
        S.parse("multistep(0.1, " + "[" * 2999 + "]" * 2999 + ")")
    with pytest.raises(ValueError, match="at most 64 deep, got 4000"):
        S.parse("[" * 4000)


def test_brackets_inside_quotes_do_not_count_as_nesting() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        S.parse("cyclic(0.1, 0.2, mode='" + "(" * 500 + "')")
    # ... and closing ones inside quotes do not hide real nesting either.
    sneaky = "".join("product([constant(1.0), constant(1.0, x=')))))))))'), " for _ in range(100))
    with pytest.raises(ValueError, match=r"at most 64 deep, got 201$"):
        S.parse(sneaky)


def test_deep_python_built_schedules_are_refused_at_the_depth_limit() -> None:
    assert _base.MAX_DEPTH == 32
    deepest = nested(_base.MAX_DEPTH - 1)
    assert deepest.depth == _base.MAX_DEPTH
    with pytest.raises(ValueError, match="schedules must nest at most 32 deep, got 33 for with_warmup"):
        S.with_warmup(deepest, 1)
    with pytest.raises(ValueError, match="schedules must nest at most 32 deep, got 33 for join"):
        S.join([deepest, S.constant(0.1)], [5])
    with pytest.raises(ValueError, match="schedules must nest at most 32 deep"):
        nested(2000)


def test_the_deepest_schedule_still_evaluates_writes_parses_and_pickles() -> None:
    deepest = nested(_base.MAX_DEPTH - 1)
    text = repr(deepest)
    levels = _base.MAX_DEPTH - 1
    tail = ", warmup_steps=1, start_lr=0.0)"
    assert text == "with_warmup(schedule=" * levels + "constant(base_lr=0.1)" + tail * levels
    again = S.parse(text)
    assert repr(again) == text and again(40) == deepest(40) == 0.1
    assert repr(pickle.loads(pickle.dumps(deepest))) == repr(copy.deepcopy(deepest)) == text
    # A spec one level deeper fits the parser's nesting and is refused by the depth limit.
    with pytest.raises(ValueError, match="schedules must nest at most 32 deep, got 33"):
        S.parse(nested_spec(_base.MAX_DEPTH))


def test_a_schedule_of_too_many_schedules_is_refused() -> None:
    wide = S.product([S.constant(1.0)] * compose.MAX_PARTS)
    assert wide.size == 65
    s = S.product([wide] * 15)  # 15 * 65 + 1 schedules: fine
    assert s.size == 976 and s(3) == 1.0
    with pytest.raises(ValueError, match="a schedule must hold at most 1024 schedules in all, got 1041 for product"):
        S.product([wide] * 16)
    # Shared parts are counted each time they are used: evaluation does the same.
    with pytest.raises(ValueError, match="at most 1024 schedules in all"):
        S.product([S.product([wide] * 4)] * 4)


# ---------------------------------------------------------------- size


def test_a_long_spec_names_the_length_limit() -> None:
    long = "cosine(0.1, total=100" + " " * spec.MAX_LENGTH + ")"
    with pytest.raises(ValueError, match=f"spec must be at most 10000 characters long, got {len(long)}"):
        S.parse(long)
    just = "cosine(0.1" + " " * (spec.MAX_LENGTH - 11) + ")"
    assert len(just) == spec.MAX_LENGTH and S.parse(just).name == "cosine"


def many_parts(name: str, n: int) -> str:
    parts = ", ".join(["constant(1)"] * n)
    return f"product([{parts}])" if name == "product" else f"join([{parts}], [{', '.join(map(str, range(1, n)))}])"


@pytest.mark.parametrize("name", ["product", "join"])
def test_thousands_of_parts_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="spec must be at most 10000 characters long"):
        S.parse(many_parts(name, 3000))  # thousands of parts do not fit in a spec
    with pytest.raises(ValueError, match="schedules must hold at most 64 schedules, got 300"):
        S.parse(many_parts(name, 300))
    factory = getattr(S, name)
    args: list[Any] = [[S.constant(1.0)] * 5000] + ([list(range(1, 5000))] if name == "join" else [])
    with pytest.raises(ValueError, match="schedules must hold at most 64 schedules, got 5000"):
        factory(*args)
    assert S.parse(many_parts(name, compose.MAX_PARTS))(100) == 1.0


def test_a_number_too_long_to_be_one_is_refused() -> None:
    with pytest.raises(ValueError, match="a value must be at most 100 characters long, got 5000 at position 16"):
        S.parse("step(0.1, every=" + "9" * 5000 + ")")
    with pytest.raises(ValueError, match="a value must be at most 100 characters long, got 5001"):
        S.parse("constant(0." + "1" * 4999 + ")")


def test_error_messages_show_a_long_spec_cut() -> None:
    text = "cosine(0.1, total=" + "1" * 90 + " 2)"
    with pytest.raises(ValueError, match="expected ',' or '\\)'") as info:
        S.parse(text)
    assert len(str(info.value)) < 200 and str(info.value).endswith("...")


# ---------------------------------------------------------------- what a spec is written in


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("cosine(\u0660.\u0661, total=100)", "\u0660"),  # Arabic-Indic digits
        ("cosine(0.1, total=\uff11\uff10\uff10)", "\uff11"),  # fullwidth digits
        ("constant(\u0967e-3)", "\u0967"),  # Devanagari one
        ("cosine(0.1,\u00a0total=10)", "\u00a0"),  # a no-break space pasted from a web page
        ("cos\u0131ne(0.1)", "\u0131"),  # a dotless i
    ],
)
def test_non_ascii_specs_are_refused(text: str, char: str) -> None:
    pos = text.index(char)
    shown = re.escape(repr(char))
    with pytest.raises(
        ValueError,
        match=f"spec must be ASCII text, got {shown} \\(U\\+{ord(char):04X}\\) at position "
        f"{pos}.*; write numbers with the digits 0-9",
    ):
        S.parse(text)


def test_atoms_read_ascii_digits_only() -> None:
    assert _base.read_atom("\u0661") == "\u0661"  # a word, not the number 1
    assert _base.format_value("\u0661") == "\u0661"
    assert _base.read_atom("12") == 12 and _base.read_atom("1e3") == 1000.0


# ---------------------------------------------------------------- sampling


def test_sampling_more_than_the_limit_is_refused_up_front() -> None:
    with pytest.raises(
        ValueError,
        match="steps must be <= 1,000,000 \\(evaluate a schedule on an array for more\\), got 1,000,000,000,000",
    ):
        S.sample([S.cosine(0.1)], 10**12)
    assert S.sample([S.constant(0.1)], MAX_SAMPLES).lrs.shape == (1, MAX_SAMPLES)


@pytest.mark.parametrize(
    ("schedules", "labels", "exc", "match"),
    [
        (S.cosine(0.1), None, TypeError, "schedules must be a list of schedules, got cosine\\(base_lr=0.1"),
        ("cosine(0.1)", None, TypeError, "schedules must be a list of schedules, got 'cosine\\(0.1\\)'"),
        ([S.cosine(0.1)], "a", TypeError, "labels must be a list of strings, one per schedule, got 'a'"),
        ([S.cosine(0.1)], 3, TypeError, "labels must be a list of strings, one per schedule, got 3"),
    ],
)
def test_sample_refuses_a_lone_schedule_or_label(schedules: Any, labels: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        S.sample(schedules, 3, labels=labels)


def test_samples_print_as_a_short_summary() -> None:
    long = S.join([S.cosine(0.1, total=10 + i) for i in range(30)], list(range(10, 300, 10)))
    res = S.sample([long] * 12 + [S.constant(0.5)], 100_000)
    text = repr(res)
    assert len(text) < 300 and "13 schedules x 100000 steps (0..99999)" in text and "and 10 more" in text
    assert "array" not in text and text.startswith("ScheduleSamples(") and text.endswith(")")
    assert "lr in [0, 0.5]" in text


# ---------------------------------------------------------------- bounds hold at the edges


def test_inverse_sqrt_does_not_wrap_at_huge_steps() -> None:
    s = S.inverse_sqrt(0.1, timescale=2**62)
    values = s(np.array([0, 2**61, 2**62]))
    assert np.all(values <= 0.1) and values[0] == 0.1
    assert values[2] == pytest.approx(0.1 / np.sqrt(2), rel=1e-15)
    assert S.inverse_sqrt(0.1, warmup_steps=2**62, timescale=2**62)(2**62) == 0.1


def test_a_product_that_overflows_is_refused() -> None:
    with pytest.raises(ValueError, match="multiply to a finite learning rate, got an upper bound of inf"):
        S.product([S.constant(1e200), S.constant(1e200)])
    assert S.product([S.constant(1e150), S.constant(1e150)]).hi == pytest.approx(1e300)


def test_negative_zero_is_zero() -> None:
    s = S.parse("constant(-0.0)")
    assert repr(s) == "constant(base_lr=0.0)" and np.signbit(s(0)) == np.False_
