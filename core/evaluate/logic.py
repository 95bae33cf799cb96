"""Three-valued (Kleene) logic and score intervals.

`None` stands for *unknown*. `and`/`or` follow Kleene's strong tables, as CQL and SQL do:
false and unknown = false; true or unknown = true. A score is a number when every item it
depends on is answered, a `(low, high)` interval when some are missing, or `None` when it is
undefined (a division by zero).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

Truth = bool | None
ScoreValue = float | int | tuple[float, float] | None

UNBOUNDED = (-math.inf, math.inf)


def and3(values: Iterable[Truth]) -> Truth:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def or3(values: Iterable[Truth]) -> Truth:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def not3(value: Truth) -> Truth:
    return None if value is None else not value


def at_least3(count: int, values: Iterable[Truth]) -> Truth:
    true = unknown = 0
    for v in values:
        if v is True:
            true += 1
        elif v is None:
            unknown += 1
    if true >= count:
        return True
    if true + unknown < count:
        return False
    return None


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


def compare_interval(op: str, value: Any, arg: Any) -> Truth:
    """Compare a score (number or interval) with a threshold, in three-valued logic."""
    if value is None:
        return None
    lo, hi = bounds(value)
    if op == "ge":
        return True if lo >= arg else False if hi < arg else None
    if op == "gt":
        return True if lo > arg else False if hi <= arg else None
    if op == "le":
        return True if hi <= arg else False if lo > arg else None
    if op == "lt":
        return True if hi < arg else False if lo >= arg else None
    if op == "eq":
        return True if lo == hi == arg else False if (arg < lo or arg > hi) else None
    if op == "ne":
        return not3(compare_interval("eq", value, arg))
    if op == "between":
        a, b = arg
        a = -math.inf if a is None else a
        b = math.inf if b is None else b
        if lo >= a and hi <= b:
            return True
        return False if (hi < a or lo > b) else None
    raise ValueError(f"operator {op!r} does not apply to scores")
