"""logic.py's two forms of the same tables agree: the closures the engine runs and the pair form
(definitely true, definitely false) the solver encoding uses, and interval comparisons over
plain numbers against a z3 solver over the same numbers.
"""

from __future__ import annotations

import z3  # type: ignore[import-untyped]
from hypothesis import assume, given
from hypothesis import strategies as st

from rulewright.core.analysis.symbolic import Z3
from rulewright.core.evaluate.logic import (
    SCORE_OPERATORS,
    all_pair,
    and3,
    any_pair,
    at_least3,
    at_least_pair,
    compare_interval,
    interval_test,
    not3,
    not_pair,
    or3,
    pair_of,
    truth_of,
)
from tests.properties import reference as ref
from tests.properties.test_properties import PROPERTY, TRUTH

VALUES = st.lists(TRUTH, max_size=6)
NUMBER = st.integers(min_value=-4, max_value=4)


@PROPERTY
@given(VALUES, st.integers(min_value=0, max_value=7))
def test_pair_form_follows_kleene(values: list[bool | None], n: int) -> None:
    pairs = [pair_of(v) for v in values]
    assert truth_of(all_pair(pairs)) is and3(values) is ref.and_(values)
    assert truth_of(any_pair(pairs)) is or3(values) is ref.or_(values)
    assert truth_of(at_least_pair(n, pairs)) is at_least3(n, values) is ref.at_least(n, values)
    for v in values:
        assert truth_of(not_pair(pair_of(v))) is not3(v)


def _z3_truth(pair: tuple[object, object]) -> bool | None:
    t, f = (z3.simplify(x) for x in pair)
    assert not (z3.is_true(t) and z3.is_true(f))
    return True if z3.is_true(t) else False if z3.is_true(f) else None


@PROPERTY
@given(VALUES, st.integers(min_value=0, max_value=7))
def test_z3_pair_form_is_the_same_table(values: list[bool | None], n: int) -> None:
    pairs = [(z3.BoolVal(v is True), z3.BoolVal(v is False)) for v in values]
    assert _z3_truth(all_pair(pairs, Z3)) is and3(values)
    assert _z3_truth(any_pair(pairs, Z3)) is or3(values)
    assert _z3_truth(at_least_pair(n, pairs, Z3)) is at_least3(n, values)


@PROPERTY
@given(
    st.sampled_from(sorted(SCORE_OPERATORS)),
    NUMBER,
    NUMBER,
    NUMBER,
    st.one_of(st.none(), NUMBER),
    st.one_of(st.none(), NUMBER),
)
def test_interval_comparison_same_for_numbers_and_z3(
    op: str, a: int, b: int, x: int, low: int | None, high: int | None
) -> None:
    lo, hi = min(a, b), max(a, b)
    assume(low is None or high is None or low <= high)  # a band's bounds are in order (validated)
    arg = (low, high) if op == "between" else x
    value = lo if lo == hi else (lo, hi)
    expected = compare_interval(op, value, arg)
    z3_arg = tuple(None if y is None else z3.RealVal(y) for y in arg) if op == "between" else z3.RealVal(x)
    assert _z3_truth(interval_test(op, z3.RealVal(lo), z3.RealVal(hi), z3_arg, Z3)) is expected
    # ... and it is right: true when every value in [lo, hi] passes, false when none does.
    if op == "between":
        passes = [(low is None or v >= low) and (high is None or v <= high) for v in range(lo, hi + 1)]
    else:
        passes = [_plain(op, v, x) for v in range(lo, hi + 1)]
    assert expected is (True if all(passes) else False if not any(passes) else None)


def _plain(op: str, v: int, x: int) -> bool:
    return {"ge": v >= x, "gt": v > x, "le": v <= x, "lt": v < x, "eq": v == x, "ne": v != x}[op]
