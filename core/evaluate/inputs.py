"""Type-check a record's answers against the ruleset's input declarations (compiled once).

A record is a JSON-like mapping. `null` or an absent key is a missing answer; anything that is
not an answer of the declared type (a string for a boolean, an undeclared enum value, a number
out of range, an unknown key) is an `AnswerError` that names the input and what it accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rulewright.core.evaluate.records import clipped
from rulewright.core.model import ruleset as m

NAMED_UNKNOWN = 5
"""Unknown keys named in an error; the rest are counted."""
PATH_LIMIT = 200
"""Characters of an unknown key kept as the error's path."""


@dataclass(frozen=True)
class AnswerError:
    path: str
    message: str
    code: str = "invalid_answer"


class _Reject(Exception):
    pass


Checker = Callable[[Any], Any]


def _describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def _boolean(decl: m.Input) -> Checker:
    def check(v: Any) -> Any:
        if v is True or v is False:
            return v
        raise _Reject(f"{_describe(v)} is not a boolean (use true or false)")

    return check


def _enum(decl: m.Input) -> Checker:
    allowed = frozenset(decl.values)
    listing = ", ".join(decl.values)

    def check(v: Any) -> Any:
        if type(v) is str and v in allowed:
            return v
        raise _Reject(f"{_describe(v)} is not one of: {listing}")

    return check


def _numeric(decl: m.Input) -> Checker:
    lo = -math.inf if decl.minimum is None else decl.minimum
    hi = math.inf if decl.maximum is None else decl.maximum
    integer = decl.type == "integer"
    unit = f" {decl.unit}" if decl.unit else ""
    kind = "an integer" if integer else "a number"

    def check(v: Any) -> Any:
        t = type(v)
        if t is float:
            if not math.isfinite(v):
                raise _Reject(f"{_describe(v)} is not a finite number")
            if integer:
                if not v.is_integer():
                    raise _Reject(f"{_describe(v)} is not {kind}")
                v = int(v)
        elif t is not int:
            raise _Reject(f"{_describe(v)} is not {kind}")
        if not lo <= v <= hi:
            raise _Reject(f"{v}{unit} is outside the allowed range {_num(lo)}..{_num(hi)}{unit}")
        return v

    return check


def _num(x: float) -> str:
    return str(int(x)) if math.isfinite(x) and float(x).is_integer() else str(x)


def _set(decl: m.Input) -> Checker:
    allowed = frozenset(decl.values)
    listing = ", ".join(decl.values)

    def check(v: Any) -> Any:
        if not isinstance(v, (list, tuple)):  # a tuple: a list from a plugin's read-only view
            raise _Reject(f"{_describe(v)} is not a list of values from: {listing}")
        bad = [x for x in v if type(x) is not str or x not in allowed]
        if bad:
            raise _Reject(f"{_describe(bad[0])} is not one of: {listing}")
        if len(set(v)) != len(v):
            raise _Reject("lists a value twice")
        return frozenset(v)

    return check


_CHECKERS: dict[str, Callable[[m.Input], Checker]] = {
    "boolean": _boolean,
    "enum": _enum,
    "integer": _numeric,
    "number": _numeric,
    "set": _set,
}


class InputChecker:
    """Compiled answer checks for one ruleset."""

    def __init__(self, ruleset: m.Ruleset, id_field: str | None = "id") -> None:
        self.checkers: dict[str, Checker] = {d.id: _CHECKERS[d.type](d) for d in ruleset.inputs}
        self.id_field = id_field
        self.required = tuple(d.id for d in ruleset.inputs if d.missing == "error")
        self.assumed = tuple((d.id, d.assume) for d in ruleset.inputs if d.missing == "assume")
        self.known = ", ".join(d.id for d in ruleset.inputs)

    def check(self, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[AnswerError]]:
        """Return the checked facts (missing answers absent) and every problem found.

        Problems do not stop the check: the facts that are valid are still returned, so the
        core can screen red flags even on a record it must reject.
        """
        facts: dict[str, Any] = {}
        errors: list[AnswerError | None] = []
        unknown: list[str] = []  # the first few keys that are not inputs
        unknowns = 0
        at = 0  # where in `errors` the unknown keys are reported (one error, however many)
        checkers = self.checkers
        for key, value in record.items():
            check = checkers.get(key)
            if check is None:
                if key != self.id_field:
                    if not unknowns:
                        at = len(errors)
                        errors.append(None)
                    unknowns += 1
                    if len(unknown) < NAMED_UNKNOWN:
                        unknown.append(str(key))
                continue
            if value is None:
                continue
            try:
                facts[key] = check(value)
            except _Reject as exc:
                errors.append(AnswerError(key, f"{key}: {exc}"))
        for key in self.required:
            if key not in facts:
                errors.append(AnswerError(key, f"{key}: an answer is required", "missing_answer"))
        for key, value in self.assumed:
            if key not in facts:
                facts[key] = value
        if unknowns:
            errors[at] = self._unknown(unknown, unknowns)
        return facts, errors  # type: ignore[return-value]

    def _unknown(self, named: list[str], count: int) -> AnswerError:
        """One error for every key that is not an input, of a bounded size however many there
        are: the first few named (each cut short), then how many more."""
        shown = ", ".join(clipped(k) for k in named)
        more = f" and {count - len(named):,} more" if count > len(named) else ""
        what = "unknown input" if count == 1 else "unknown inputs"
        return AnswerError(
            clipped(named[0])[1:-1], f"{what} {shown}{more}; this ruleset asks: {self.known}", "unknown_input"
        )
