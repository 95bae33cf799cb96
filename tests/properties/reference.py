"""An independent, deliberately naive interpreter of ruleset conditions (the test oracle).

It reads the ruleset's plain data, not the compiled model, and applies Kleene's tables by their
textbook definition: order false < unknown < true; `and` is the minimum, `or` the maximum,
`not` the mirror. Unknown is None. It covers the condition forms the strategies generate and
raises `Unsupported` on anything else, so a property can skip what it cannot judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

F, U, T = 0, 1, 2
_TO = {False: F, None: U, True: T}
_FROM = {F: False, U: None, T: True}


class Unsupported(Exception):
    pass


def and_(values: list[bool | None]) -> bool | None:
    return _FROM[min((_TO[v] for v in values), default=T)]


def or_(values: list[bool | None]) -> bool | None:
    return _FROM[max((_TO[v] for v in values), default=F)]


def not_(value: bool | None) -> bool | None:
    return _FROM[2 - _TO[value]]


def at_least(n: int, values: list[bool | None]) -> bool | None:
    true = sum(1 for v in values if v is True)
    possible = sum(1 for v in values if v is not False)
    return True if true >= n else False if possible < n else None


_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "between": lambda a, b: b[0] <= a <= b[1],
    "contains": lambda a, b: b in a,
}


def truth(cond: Any, answers: Mapping[str, Any], scores: Mapping[str, Any] | None = None) -> bool | None:
    """Kleene value of `cond` given answers (absent or None = missing) and exact scores."""
    if cond is True or cond is False:
        return bool(cond)
    if not isinstance(cond, dict):
        raise Unsupported(repr(cond))
    if "all" in cond:
        return and_([truth(c, answers, scores) for c in cond["all"]])
    if "any" in cond:
        return or_([truth(c, answers, scores) for c in cond["any"]])
    if "not" in cond:
        return not_(truth(cond["not"], answers, scores))
    if "at_least" in cond:
        return at_least(cond["at_least"], [truth(c, answers, scores) for c in cond["of"]])
    ops = [k for k in cond if k in _COMPARE]
    if len(ops) != 1 or not ({"fact", "score"} & set(cond)) or "op" in cond:
        raise Unsupported(repr(cond))
    op = ops[0]
    if "fact" in cond:
        value = answers.get(cond["fact"])
    else:
        if scores is None:
            raise Unsupported("score without scores")
        value = scores.get(cond["score"])
    if value is None:
        return None
    return bool(_COMPARE[op](value, cond[op]))


def weighted_sum(score: Mapping[str, Any], answers: Mapping[str, Any]) -> float | None:
    """An exact weighted-sum score, or None when any item is unknown (no intervals here)."""
    total = 0
    for item in score["items"]:
        if "when" not in item:
            raise Unsupported("value items")
        value = truth(item["when"], answers)
        if value is None:
            return None
        total += item.get("weight", 1) if value else 0
    return total
