"""Answer classes: each input's answers cut into the few classes that can make a difference.

A class is a set of answers every condition treats alike: a boolean or enum value, a set of
set values, *missing*, or an interval of a number between the thresholds that the rulesets
compare it with (and their declared bounds). One class per input is one **combination**; the
counts and shares `rules diff` reports are over these combinations.

The classes are shared by every version being compared, so one solver variable per input
(its class index, 0 = missing) serves both. A version that does not declare an input, or does
not allow a class, learns that from `valid`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rulewright.core.analysis.space import read_as_number, thresholds
from rulewright.core.evaluate.inputs import InputChecker
from rulewright.core.evaluate.logic import tidy
from rulewright.core.model import ruleset as m

MAX_SET_VALUES = 8
"""A set input with more values than this has too many classes (2^n) to partition."""
MAX_INTEGER_VALUES = 200
"""An integer read by arithmetic gets one class per value, up to this many."""


class Unsupported(Exception):
    """The ruleset uses something the exact analysis cannot model; the message says what."""


@dataclass(frozen=True)
class AnswerClass:
    value: Any  # the checked answer standing for the class (frozenset for sets); None = missing
    label: str
    low: float = -math.inf  # numeric classes: the interval they cover
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    @property
    def json(self) -> Any:
        """The answer as a record carries it."""
        if isinstance(self.value, frozenset):
            return sorted(self.value)
        return self.value

    def holds(self, value: Any) -> bool:
        if self.value is None or not isinstance(value, (int, float)) or isinstance(value, bool):
            return bool(self.value == value)
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)


MISSING = AnswerClass(None, "(missing)")


@dataclass
class Axis:
    """One input's classes; index 0 is always *missing*."""

    name: str
    classes: list[AnswerClass]
    # per ruleset (by position in Space.rulesets): the class indices that ruleset accepts
    valid: list[frozenset[int]] = field(default_factory=list)

    def locate(self, value: Any) -> int:
        for k, c in enumerate(self.classes):
            if k and c.holds(value):
                return k
        raise Unsupported(f"value {value!r} of input {self.name!r} falls in no answer class")


@dataclass
class Space:
    rulesets: list[m.Ruleset]
    axes: list[Axis]

    def __post_init__(self) -> None:
        self.by_name = {a.name: a for a in self.axes}
        self.score_axes: list[Any] = []  # scores.ScoreAxis, added by `scores.use_score_axes`

    @property
    def all_axes(self) -> list[Axis]:
        """Inputs, then score axes."""
        return self.axes + [sa.axis for sa in self.score_axes]

    def total(self) -> int:
        return math.prod(len(a.classes) for a in self.axes)

    def declared(self, index: int) -> set[str]:
        return {i.id for i in self.rulesets[index].inputs}


def build_space(rulesets: Sequence[m.Ruleset]) -> Space:
    names: list[str] = []
    for rs in rulesets:
        names += [i.id for i in rs.inputs if i.id not in names]
    axes = [_axis(name, rulesets) for name in names]
    checkers = [InputChecker(rs, id_field=None) for rs in rulesets]
    for axis in axes:
        for rs, checker in zip(rulesets, checkers, strict=True):
            if rs.input(axis.name) is None:
                axis.valid.append(frozenset())
                continue
            ok = {0} | {k for k, c in enumerate(axis.classes) if k and _accepts(checker, axis.name, c.json)}
            axis.valid.append(frozenset(ok))
    return Space(list(rulesets), axes)


def _accepts(checker: InputChecker, name: str, value: Any) -> bool:
    """The engine's own answer check, for one input (other inputs' problems do not count)."""
    return not any(p.path == name and p.code != "missing_answer" for p in checker.check({name: value})[1])


def _axis(name: str, rulesets: Sequence[m.Ruleset]) -> Axis:
    decls = [d for d in (rs.input(name) for rs in rulesets) if d is not None]
    types = {d.type for d in decls}
    values: list[Any] = []
    if types <= {"boolean", "enum", "set"} and len(types) > 1:
        raise Unsupported(f"input {name!r} changes type ({', '.join(sorted(types))})")
    kind = decls[0].type
    if kind == "boolean":
        values = [False, True]
        return Axis(name, [MISSING, *(AnswerClass(v, str(v).lower()) for v in values)])
    if kind in ("enum", "set"):
        for d in decls:
            values += [v for v in d.values if v not in values]
        if kind == "enum":
            return Axis(name, [MISSING, *(AnswerClass(v, str(v)) for v in values)])
        if len(values) > MAX_SET_VALUES:
            raise Unsupported(f"set input {name!r} has more than {MAX_SET_VALUES} values")
        subsets = [frozenset(c) for r in range(len(values) + 1) for c in itertools.combinations(values, r)]
        return Axis(name, [MISSING, *(AnswerClass(s, "{" + ",".join(sorted(s)) + "}") for s in subsets)])
    return Axis(name, [MISSING, *_numeric_classes(name, decls, rulesets)])


def _numeric_classes(name: str, decls: list[m.Input], rulesets: Sequence[m.Ruleset]) -> list[AnswerClass]:
    lows = [-math.inf if d.minimum is None else float(d.minimum) for d in decls]
    highs = [math.inf if d.maximum is None else float(d.maximum) for d in decls]
    lo, hi = min(lows), max(highs)
    # Bounds that only some versions declare are cuts (valid in one version, not the other).
    cuts: set[float] = {x for x in (*lows, *highs) if math.isfinite(x) and x not in (lo, hi)}
    for rs in rulesets:
        cuts |= thresholds(rs, name)
    integer = all(d.type == "integer" for d in decls)
    if any(read_as_number(rs, name) for rs in rulesets):
        # Arithmetic over the answer: every value is its own class, so only short integer ranges.
        if integer and math.isfinite(lo) and math.isfinite(hi) and hi - lo < MAX_INTEGER_VALUES:
            return [AnswerClass(v, str(v), v, v) for v in range(int(lo), int(hi) + 1)]
        raise Unsupported(f"input {name!r} is read by arithmetic and has no short integer range")
    if integer:
        return _integer_cells(lo, hi, cuts)
    return _real_cells(lo, hi, cuts)


def _integer_cells(lo: float, hi: float, cuts: Iterable[float]) -> list[AnswerClass]:
    # A comparison with t changes its value at t and t+1 (integer t) or at ceil(t).
    starts: set[float] = set()
    for t in cuts:
        starts |= {t, t + 1} if float(t).is_integer() else {float(math.ceil(t))}
    edges = sorted(s for s in starts if lo < s <= hi)
    out = []
    for a, b in zip([lo, *edges], [*(e - 1 for e in edges), hi], strict=True):
        value = a if math.isfinite(a) else b if math.isfinite(b) else 0
        out.append(AnswerClass(int(value), _range_label(a, b), a, b))
    return out


def _range_label(a: float, b: float) -> str:
    if a == b:
        return _num(a)
    if not math.isfinite(a):
        return f"≤{_num(b)}" if math.isfinite(b) else "any"
    return f"≥{_num(a)}" if not math.isfinite(b) else f"{_num(a)}..{_num(b)}"


def _real_cells(lo: float, hi: float, cuts: Iterable[float]) -> list[AnswerClass]:
    # A point at every cut, and the open (or, at a declared bound, closed) stretches between.
    points = sorted({c for c in cuts if lo <= c <= hi})
    out: list[AnswerClass] = []
    prev, prev_is_point = lo, False
    for p in [*points, None]:
        b = hi if p is None else p
        if prev < b:
            out.append(
                _stretch(
                    prev, b, prev_is_point or not math.isfinite(prev), p is not None or not math.isfinite(b)
                )
            )
        elif p is None and not prev_is_point:
            out.append(AnswerClass(tidy(b), _num(b), b, b))  # minimum == maximum
        if p is not None:
            out.append(AnswerClass(tidy(p), _num(p), p, p))
            prev, prev_is_point = p, True
    return out


def _stretch(a: float, b: float, low_open: bool, high_open: bool) -> AnswerClass:
    if not low_open:
        rep = a
    elif not high_open:
        rep = b
    elif math.isfinite(a) and math.isfinite(b):
        rep = (a + b) / 2
    else:
        rep = b - 1 if math.isfinite(b) else a + 1 if math.isfinite(a) else 0.0
    label = f"{'(' if low_open else '['}{_num(a)}, {_num(b)}{')' if high_open else ']'}"
    return AnswerClass(tidy(rep), label, a, b, low_open, high_open)


def _num(x: float) -> str:
    return str(tidy(x)) if math.isfinite(x) else ("∞" if x > 0 else "-∞")
