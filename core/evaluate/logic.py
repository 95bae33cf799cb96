"""Three-valued (Kleene) logic, comparisons and score intervals: the one home of their tables.

`None` stands for *unknown*. `and`/`or` follow Kleene's strong tables, as CQL and SQL do:
false and unknown = false; true or unknown = true. A score is a number when every item it
depends on is answered, a `(low, high)` interval when some are missing, or `None` when it is
undefined (a division by zero).

The connectives are closure builders (`all_of`, `any_of`, `not_of`, `at_least_of`) over parts
that each read an environment: the compiler builds conditions from them, and `and3`/`or3`/
`not3`/`at_least3` are those same closures applied to known values. The solver encoding
(analysis/symbolic.py) reads a condition as a pair (definitely true, definitely false):
`all_pair` and its siblings are the same tables in that form, over any `Algebra` (a property
test holds the two forms equal). Score comparisons are one table of pair-valued rows
(`interval_table`) that the compiler, `compare_interval` and the solver all read.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

Truth = bool | None
ScoreValue = float | int | tuple[float, float] | None
Env = Mapping[str, Any]
CondFn = Callable[[Env], Truth]

UNBOUNDED = (-math.inf, math.inf)

# -- connectives -----------------------------------------------------------------------------


def all_of(parts: Sequence[CondFn]) -> CondFn:
    """Kleene `and` of the parts: false if any is false, else unknown if any is unknown."""

    # `and` and `or` are mirror images; they stay two loops with the constants written in, as
    # one loop reading the dominant value from its closure measured up to ~10% slower per node.
    def all_(env: Env) -> Truth:
        unknown = False
        for part in parts:
            v = part(env)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    return all_


def any_of(parts: Sequence[CondFn]) -> CondFn:
    """Kleene `or` of the parts: true if any is true, else unknown if any is unknown."""

    def any_(env: Env) -> Truth:
        unknown = False
        for part in parts:
            v = part(env)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    return any_


def not_of(part: CondFn) -> CondFn:
    """Kleene `not`: unknown stays unknown."""

    def not_(env: Env) -> Truth:
        v = part(env)
        return None if v is None else not v

    return not_


def at_least_of(count: int, parts: Sequence[CondFn]) -> CondFn:
    """True when `count` parts are true; false when too few can still be; else unknown."""

    def at_least(env: Env) -> Truth:
        true = unknown = 0
        for part in parts:
            v = part(env)
            if v is True:
                true += 1
            elif v is None:
                unknown += 1
        if true >= count:
            return True
        return False if true + unknown < count else None

    return at_least


def _known(values: Iterable[Truth]) -> list[CondFn]:
    return [_constant(v) for v in values]


def _constant(value: Truth) -> CondFn:
    return lambda env: value


def and3(values: Iterable[Truth]) -> Truth:
    return all_of(_known(values))({})


def or3(values: Iterable[Truth]) -> Truth:
    return any_of(_known(values))({})


def not3(value: Truth) -> Truth:
    return not_of(_constant(value))({})


def at_least3(count: int, values: Iterable[Truth]) -> Truth:
    return at_least_of(count, _known(values))({})


# -- the same connectives as pairs (definitely true, definitely false) -------------------------


class Algebra(NamedTuple):
    """The operations the pair form needs: plain Python (`PLAIN`) or a solver's terms."""

    conj: Callable[[list[Any]], Any]
    disj: Callable[[list[Any]], Any]
    neg: Callable[[Any], Any]
    count: Callable[[list[Any]], Any]  # how many of the terms hold


PLAIN = Algebra(all, any, operator.not_, sum)

Pair = tuple[Any, Any]


def all_pair(parts: Sequence[Pair], alg: Algebra = PLAIN) -> Pair:
    return alg.conj([t for t, _ in parts]), alg.disj([f for _, f in parts])


def any_pair(parts: Sequence[Pair], alg: Algebra = PLAIN) -> Pair:
    return alg.disj([t for t, _ in parts]), alg.conj([f for _, f in parts])


def not_pair(part: Pair) -> Pair:
    return part[1], part[0]


def at_least_pair(count: int, parts: Sequence[Pair], alg: Algebra = PLAIN) -> Pair:
    return alg.count([t for t, _ in parts]) >= count, alg.count([alg.neg(f) for _, f in parts]) < count


def pair_of(value: Truth) -> Pair:
    return value is True, value is False


def truth_of(pair: Pair) -> Truth:
    return True if pair[0] else False if pair[1] else None


# -- comparisons -----------------------------------------------------------------------------


def fact_op(op: str, arg: Any) -> Callable[[Any], bool]:
    """The plain two-valued test of an answered fact (or an exact score) against `arg`."""
    if op == "eq":
        return lambda v: v == arg
    if op == "ne":
        return lambda v: v != arg
    if op == "lt":
        return lambda v: v < arg
    if op == "le":
        return lambda v: v <= arg
    if op == "gt":
        return lambda v: v > arg
    if op == "ge":
        return lambda v: v >= arg
    if op == "in":
        members = frozenset(arg)
        return lambda v: v in members
    if op == "not_in":
        excluded = frozenset(arg)
        return lambda v: v not in excluded
    if op == "between":
        lo = -math.inf if arg[0] is None else arg[0]
        hi = math.inf if arg[1] is None else arg[1]
        return lambda v: lo <= v <= hi
    if op == "contains":
        return lambda v: arg in v
    raise ValueError(f"unknown operator {op!r}")


def _ge(lo: Any, hi: Any, x: Any, alg: Algebra) -> Pair:
    return lo >= x, hi < x


def _gt(lo: Any, hi: Any, x: Any, alg: Algebra) -> Pair:
    return lo > x, hi <= x


def _le(lo: Any, hi: Any, x: Any, alg: Algebra) -> Pair:
    return hi <= x, lo > x


def _lt(lo: Any, hi: Any, x: Any, alg: Algebra) -> Pair:
    return hi < x, lo >= x


def _eq(lo: Any, hi: Any, x: Any, alg: Algebra) -> Pair:
    return alg.conj([lo == x, hi == x]), alg.disj([x < lo, x > hi])


def _ne(lo: Any, hi: Any, x: Any, alg: Algebra) -> Pair:
    return not_pair(_eq(lo, hi, x, alg))


def _between(lo: Any, hi: Any, arg: Any, alg: Algebra) -> Pair:
    a, b = arg  # either end None: no bound
    true = ([lo >= a] if a is not None else []) + ([hi <= b] if b is not None else [])
    false = ([hi < a] if a is not None else []) + ([lo > b] if b is not None else [])
    return alg.conj(true), alg.disj(false)


_INTERVAL_TESTS: dict[str, Callable[[Any, Any, Any, Algebra], Pair]] = {
    "ge": _ge,
    "gt": _gt,
    "le": _le,
    "lt": _lt,
    "eq": _eq,
    "ne": _ne,
    "between": _between,
}
SCORE_OPERATORS = frozenset(_INTERVAL_TESTS)
"""The comparisons that apply to a score (an interval); `band` is `between` its bounds."""


def interval_test(op: str, lo: Any, hi: Any, arg: Any, alg: Algebra = PLAIN) -> Pair:
    """(definitely true, definitely false) of `op` between a value in [lo, hi] and `arg`.

    Written with `<`, `==` and the algebra's `conj`/`disj` only, so it serves plain numbers and
    solver terms alike. `between` takes `(a, b)`, either end None for no bound.
    """
    return interval_table(op)(lo, hi, arg, alg)


def interval_table(op: str) -> Callable[[Any, Any, Any, Algebra], Pair]:
    """The row of the interval table for `op`, looked up once (the compiler calls it directly)."""
    try:
        return _INTERVAL_TESTS[op]
    except KeyError:
        raise ValueError(f"operator {op!r} does not apply to scores") from None


def compare_interval(op: str, value: Any, arg: Any) -> Truth:
    """Compare a score (number or interval) with a threshold, in three-valued logic."""
    if value is None:
        return None
    lo, hi = bounds(value)
    return truth_of(interval_test(op, lo, hi, arg))


# -- score values and interval arithmetic ----------------------------------------------------


def bounds(value: Any) -> Any:
    """The (low, high) bounds of an exact score or an interval."""
    if type(value) is tuple:
        return value
    return (value, value)


def tidy(value: float) -> float | int:
    """Report integral floats as ints, so a score of 2 prints as 2, not 2.0."""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    return value


def make_score(low: float, high: float) -> ScoreValue:
    return tidy(low) if low == high else (tidy(low), tidy(high))


def interval(lo: float, hi: float) -> ScoreValue:
    """A score from its bounds: a number when they meet, None when undefined (NaN)."""
    if math.isnan(lo) or math.isnan(hi):
        return None
    return lo if lo == hi else (lo, hi)


def round_bound(value: float, digits: int) -> float:
    return value if math.isinf(value) else round(value, digits)


Bounds = tuple[float, float]


def _sum(args: list[Bounds]) -> ScoreValue:
    return interval(sum(a[0] for a in args), sum(a[1] for a in args))


def _sub(args: list[Bounds]) -> ScoreValue:
    (alo, ahi), (blo, bhi) = args
    return interval(alo - bhi, ahi - blo)


def _mul2(a: Bounds, b: Bounds) -> Bounds:
    products = [x * y for x in a for y in b if not ((math.isinf(x) and y == 0) or (math.isinf(y) and x == 0))]
    products = products or [0.0]
    return (min(products), max(products))


def _mul(args: list[Bounds]) -> ScoreValue:
    acc = (1.0, 1.0)
    for a in args:
        acc = _mul2(acc, a)
    return interval(*acc)


def _div(args: list[Bounds]) -> ScoreValue:
    (alo, ahi), (blo, bhi) = args
    if blo <= 0 <= bhi:
        # Division by zero is undefined; a denominator that may be zero gives no bound.
        return None if blo == bhi == 0 else interval(*UNBOUNDED)
    return interval(*_mul2((alo, ahi), (1 / bhi, 1 / blo)))


def _min(args: list[Bounds]) -> ScoreValue:
    return interval(min(a[0] for a in args), min(a[1] for a in args))


def _max(args: list[Bounds]) -> ScoreValue:
    return interval(max(a[0] for a in args), max(a[1] for a in args))


ARITH: dict[str, Callable[[list[Bounds]], ScoreValue]] = {
    "sum": _sum,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "min": _min,
    "max": _max,
}
"""Interval arithmetic by operator: each takes its arguments' (low, high) bounds."""
