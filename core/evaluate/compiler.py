"""Compile model nodes into plain Python closures, once per ruleset.

The evaluation hot path calls these closures and nothing else: no YAML, no schema, no plugin
discovery. A condition compiles to `fn(env) -> True | False | None` (None = unknown), an
expression to `fn(env) -> number | (low, high) | None`, where `env` maps fact ids to checked
answers (absent = missing) and score ids to score values. The tables themselves (Kleene's
connectives, comparisons, interval arithmetic) live in logic.py; this module only maps each
model node to them. Each condition node is compiled once and kept, so `--explain` (explain.py)
reads every node's value from the very closure the engine runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rulewright.core.evaluate.logic import (
    ARITH,
    PLAIN,
    UNBOUNDED,
    CondFn,
    ScoreValue,
    Truth,
    all_of,
    any_of,
    at_least_of,
    bounds,
    fact_op,
    interval,
    interval_table,
    not_of,
    round_bound,
)
from rulewright.core.model import ruleset as m

ExprFn = Callable[[Mapping[str, Any]], ScoreValue]
Operator = Callable[[Any, Any], bool | None]
"""A plugin operator: `op(answer, value) -> bool`, or None when it cannot tell (the condition is
then unknown); anything else is the plugin's error. It never sees a missing answer."""


def score_test(ruleset: m.Ruleset, node: m.Compare) -> tuple[str, Any]:
    """The (operator, argument) a score condition tests: a band is `between` its bounds."""
    if node.op != "band":
        return node.op, node.value
    score = ruleset.score(node.name)
    for band in score.bands if score else ():
        if band.id == node.value:
            return "between", (band.minimum, band.maximum)
    raise ValueError(f"score {node.name!r} has no band {node.value!r}")


class OperatorError(Exception):
    """A plugin operator raised, or returned something other than True, False or None."""

    def __init__(self, operator: str, exc: Exception) -> None:
        super().__init__(f"operator {operator!r} failed: {type(exc).__name__}: {exc}")
        self.operator = operator


class Compiler:
    def __init__(self, ruleset: m.Ruleset, operators: Mapping[str, Operator] | None = None) -> None:
        self.ruleset = ruleset
        self.operators = dict(operators or {})
        self._compiled: dict[int, tuple[m.Condition, CondFn]] = {}

    # -- conditions --------------------------------------------------------------------------

    def condition(self, node: m.Condition) -> CondFn:
        """The closure for `node`, compiled on first use and the same object ever after."""
        kept = self._compiled.get(id(node))
        if kept is None:
            # The node is kept with its closure, so its id cannot be reused while cached.
            kept = self._compiled[id(node)] = (node, self._compile(node))
        return kept[1]

    def _compile(self, node: m.Condition) -> CondFn:
        if isinstance(node, m.Compare):
            return self._score_compare(node) if node.kind == "score" else self._fact_compare(node)
        if isinstance(node, m.All):
            return all_of([self.condition(c) for c in node.items])
        if isinstance(node, m.AnyOf):
            return any_of([self.condition(c) for c in node.items])
        if isinstance(node, m.Not):
            return not_of(self.condition(node.item))
        if isinstance(node, m.AtLeast):
            return at_least_of(node.count, [self.condition(c) for c in node.items])
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
        key = node.name
        op, arg = score_test(self.ruleset, node)
        if op in ("in", "not_in", "contains"):
            raise ValueError(f"operator {op!r} does not apply to scores")
        exact = fact_op(op, arg)
        table, plain = interval_table(op), PLAIN

        def score_compare(env: Mapping[str, Any]) -> Truth:
            v = env.get(key)
            if v is None:
                return None
            if type(v) is tuple:  # an interval: logic's table, called directly on the hot path
                true, false = table(v[0], v[1], arg, plain)
                return True if true else False if false else None
            return exact(v)

        return score_compare

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
                return interval(round_bound(lo, digits), round_bound(hi, digits))

            return round_
        if isinstance(node, m.Arith):
            args = [self.expr(a) for a in node.args]
            combine = ARITH[node.op]

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
