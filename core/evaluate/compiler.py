"""Compile model nodes into plain Python closures, once per ruleset.

The evaluation hot path calls these closures and nothing else: no YAML, no schema, no plugin
discovery. A condition compiles to `fn(env) -> True | False | None` (None = unknown), an
expression to `fn(env) -> number | (low, high) | None`, where `env` maps fact ids to checked
answers (absent = missing) and score ids to score values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from rulewright.core.evaluate.logic import UNBOUNDED, ScoreValue, Truth, bounds, compare_interval
from rulewright.core.model import ruleset as m

CondFn = Callable[[Mapping[str, Any]], Truth]
ExprFn = Callable[[Mapping[str, Any]], ScoreValue]
Operator = Callable[[Any, Any], bool | None]
"""A plugin operator: `op(answer, value) -> bool`, or None when it cannot tell (the condition is
then unknown); anything else is the plugin's error. It never sees a missing answer."""


def fact_op(op: str, arg: Any) -> Callable[[Any], bool]:
    """The plain two-valued test for a fact comparison (shared with the explainer)."""
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


class OperatorError(Exception):
    """A plugin operator raised, or returned something other than True, False or None."""

    def __init__(self, operator: str, exc: Exception) -> None:
        super().__init__(f"operator {operator!r} failed: {type(exc).__name__}: {exc}")
        self.operator = operator


class Compiler:
    def __init__(self, ruleset: m.Ruleset, operators: Mapping[str, Operator] | None = None) -> None:
        self.ruleset = ruleset
        self.operators = dict(operators or {})

    # -- conditions --------------------------------------------------------------------------

    def condition(self, node: m.Condition) -> CondFn:
        if isinstance(node, m.Compare):
            return self._score_compare(node) if node.kind == "score" else self._fact_compare(node)
        if isinstance(node, m.All):
            return self._all([self.condition(c) for c in node.items])
        if isinstance(node, m.AnyOf):
            return self._any([self.condition(c) for c in node.items])
        if isinstance(node, m.Not):
            inner = self.condition(node.item)

            def not_(env: Mapping[str, Any]) -> Truth:
                v = inner(env)
                return None if v is None else not v

            return not_
        if isinstance(node, m.AtLeast):
            return self._at_least(node.count, [self.condition(c) for c in node.items])
        if isinstance(node, m.Answered):
            key = node.name
            return lambda env: env.get(key) is not None
        if isinstance(node, m.Custom):
            return self._custom(node)
        if isinstance(node, m.Const):
            const = node.value
            return lambda env: const
        raise TypeError(f"cannot compile {node!r}")

    def _fact_compare(self, node: m.Compare) -> CondFn:
        key, op, arg = node.name, node.op, node.value
        # The common operators get their own closure: one call per condition on the hot path.
        if op == "eq":

            def eq(env: Mapping[str, Any]) -> Truth:
                v = env.get(key)
                return None if v is None else v == arg

            return eq
        if op == "in":
            members = frozenset(arg)

            def in_(env: Mapping[str, Any]) -> Truth:
                v = env.get(key)
                return None if v is None else v in members

            return in_
        test = fact_op(op, arg)

        def compare(env: Mapping[str, Any]) -> Truth:
            v = env.get(key)
            return None if v is None else test(v)

        return compare

    def _score_compare(self, node: m.Compare) -> CondFn:
        key, op, arg = node.name, node.op, node.value
        if op == "band":
            band = self.band(node.name, node.value)
            op, arg = "between", (band.minimum, band.maximum)
        if op in ("in", "not_in", "contains"):
            raise ValueError(f"operator {op!r} does not apply to scores")
        exact = fact_op(op, arg)

        def score_compare(env: Mapping[str, Any]) -> Truth:
            v = env.get(key)
            if v is None or type(v) is tuple:
                return compare_interval(op, v, arg)
            return exact(v)

        return score_compare

    def band(self, score_id: str, band_id: str) -> m.Band:
        score = self.ruleset.score(score_id)
        for band in score.bands if score else ():
            if band.id == band_id:
                return band
        raise ValueError(f"score {score_id!r} has no band {band_id!r}")

    def _custom(self, node: m.Custom) -> CondFn:
        op = self.operators[node.op]
        key, arg, kind = node.name, node.value, node.kind

        name = node.op

        def custom(env: Mapping[str, Any]) -> Truth:
            v = env.get(key)
            if v is None or (kind == "score" and type(v) is tuple):
                return None
            try:
                value = op(v, arg)
            except Exception as exc:  # the engine names the plugin; red-flag screening goes on
                raise OperatorError(name, exc) from exc
            if value is True or value is False or value is None:  # None: it cannot tell (unknown)
                return value
            wrong = TypeError(f"returned {value!r}; an operator returns True, False or None")
            raise OperatorError(name, wrong) from wrong

        return custom

    @staticmethod
    def _all(fns: list[CondFn]) -> CondFn:
        def all_(env: Mapping[str, Any]) -> Truth:
            unknown = False
            for fn in fns:
                v = fn(env)
                if v is False:
                    return False
                if v is None:
                    unknown = True
            return None if unknown else True

        return all_

    @staticmethod
    def _any(fns: list[CondFn]) -> CondFn:
        def any_(env: Mapping[str, Any]) -> Truth:
            unknown = False
            for fn in fns:
                v = fn(env)
                if v is True:
                    return True
                if v is None:
                    unknown = True
            return None if unknown else False

        return any_

    @staticmethod
    def _at_least(count: int, fns: list[CondFn]) -> CondFn:
        def at_least(env: Mapping[str, Any]) -> Truth:
            true = unknown = 0
            for fn in fns:
                v = fn(env)
                if v is True:
                    true += 1
                elif v is None:
                    unknown += 1
            if true >= count:
                return True
            return False if true + unknown < count else None

        return at_least

    # -- expressions -------------------------------------------------------------------------

    def expr(self, node: m.Expr) -> ExprFn:
        if isinstance(node, m.Num):
            const = node.value
            return lambda env: const
        if isinstance(node, m.Ref):
            return self._ref(node)
        if isinstance(node, m.CountAnswered):
            names = node.names
            return lambda env: sum(1 for n in names if env.get(n) is not None)
        if isinstance(node, m.Round):
            inner, digits = self.expr(node.arg), node.digits

            def round_(env: Mapping[str, Any]) -> ScoreValue:
                v = inner(env)
                if v is None:
                    return None
                lo, hi = bounds(v)
                return _interval(_round(lo, digits), _round(hi, digits))

            return round_
        if isinstance(node, m.Arith):
            args = [self.expr(a) for a in node.args]
            combine = _ARITH[node.op]

            def arith(env: Mapping[str, Any]) -> ScoreValue:
                values = [fn(env) for fn in args]
                if any(v is None for v in values):
                    return None
                return combine([bounds(v) for v in values])

            return arith
        raise TypeError(f"cannot compile {node!r}")

    def _ref(self, node: m.Ref) -> ExprFn:
        key = node.name
        if node.kind == "score":
            return lambda env: env.get(key)
        decl = self.ruleset.input(key)
        missing: tuple[float, float] = UNBOUNDED
        if decl is not None and decl.minimum is not None and decl.maximum is not None:
            missing = (decl.minimum, decl.maximum)

        def fact(env: Mapping[str, Any]) -> ScoreValue:
            v = env.get(key)
            return missing if v is None else v

        return fact


def _round(value: float, digits: int) -> float:
    return value if math.isinf(value) else round(value, digits)


def _interval(lo: float, hi: float) -> ScoreValue:
    if math.isnan(lo) or math.isnan(hi):
        return None
    return lo if lo == hi else (lo, hi)


def _sum(args: list[tuple[float, float]]) -> ScoreValue:
    return _interval(sum(a[0] for a in args), sum(a[1] for a in args))


def _sub(args: list[tuple[float, float]]) -> ScoreValue:
    (alo, ahi), (blo, bhi) = args
    return _interval(alo - bhi, ahi - blo)


def _mul2(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    products = [x * y for x in a for y in b if not ((math.isinf(x) and y == 0) or (math.isinf(y) and x == 0))]
    products = products or [0.0]
    return (min(products), max(products))


def _mul(args: list[tuple[float, float]]) -> ScoreValue:
    acc = (1.0, 1.0)
    for a in args:
        acc = _mul2(acc, a)
    return _interval(*acc)


def _div(args: list[tuple[float, float]]) -> ScoreValue:
    (alo, ahi), (blo, bhi) = args
    if blo <= 0 <= bhi:
        # Division by zero is undefined; a denominator that may be zero gives no bound.
        return None if blo == bhi == 0 else _interval(*UNBOUNDED)
    return _interval(*_mul2((alo, ahi), (1 / bhi, 1 / blo)))


def _min(args: list[tuple[float, float]]) -> ScoreValue:
    return _interval(min(a[0] for a in args), min(a[1] for a in args))


def _max(args: list[tuple[float, float]]) -> ScoreValue:
    return _interval(max(a[0] for a in args), max(a[1] for a in args))


_ARITH: dict[str, Callable[[list[tuple[float, float]]], ScoreValue]] = {
    "sum": _sum,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "min": _min,
    "max": _max,
}
