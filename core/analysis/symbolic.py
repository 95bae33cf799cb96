"""The engine's decision path for one ruleset version, as z3 formulas over answer classes.

Every input is one integer variable: the index of its answer class (0 = missing), shared by
all versions in a comparison. A condition becomes a pair of formulas (definitely true,
definitely false); *unknown* is neither. The tables for that pair form (Kleene's connectives and
the score comparisons) are logic.py's, applied over z3 terms (`Z3`).
A fact comparison is evaluated once per class with the compiler's own closure, so the analysis
reads a condition the way the engine does. Scores are (low, high) sums, as the weighted-sum
scorer computes them when items are unknown.

The result of the path is an `Observation`: status, outcome, urgency and the red flags
raised, each a z3 term. Questions about every possible case are then single solver calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3  # type: ignore[import-untyped]

from rulewright.core.analysis.partition import Space, Unsupported
from rulewright.core.evaluate.compiler import Compiler, Operator, score_test
from rulewright.core.evaluate.logic import (
    SCORE_OPERATORS,
    Algebra,
    Pair,
    all_pair,
    any_pair,
    at_least_pair,
    interval_test,
    not_pair,
)
from rulewright.core.model import ruleset as m
from rulewright.core.model.refs import score_order
from rulewright.core.model.ruleset import LEVEL_RANK, LEVELS

# Status codes of the observation. `error` is split by cause: the causes behave differently.
OK, UNDETERMINED, BAD_ANSWERS, NO_OUTCOME, OVERLAP = range(5)
STATUS_NAMES = {
    OK: "ok",
    UNDETERMINED: "undetermined",
    BAD_ANSWERS: "error (answers rejected)",
    NO_OUTCOME: "error (no outcome)",
    OVERLAP: "error (overlapping outcomes)",
}
ERROR_CODES = {
    BAD_ANSWERS: ("invalid_answer", "missing_answer"),
    NO_OUTCOME: ("no_outcome",),
    OVERLAP: ("overlapping_outcomes",),
}

Z3 = Algebra(
    conj=lambda terms: z3.And(terms) if terms else z3.BoolVal(True),
    disj=lambda terms: z3.Or(terms) if terms else z3.BoolVal(False),
    neg=z3.Not,
    count=lambda terms: z3.Sum([z3.If(t, 1, 0) for t in terms]) if terms else z3.IntVal(0),
)
"""logic.py's pair-form tables over z3 terms."""


def class_vars(space: Space) -> dict[str, Any]:
    return {a.name: z3.Int(f"in_{a.name}") for a in space.axes}


def domain_constraints(space: Space, vars: Mapping[str, Any]) -> list[Any]:
    return [z3.And(vars[a.name] >= 0, vars[a.name] < len(a.classes)) for a in space.axes]


def real(x: float | int) -> Any:
    # Decimal reading of the number the author wrote, so 0.1 + 0.2 is exactly 0.3.
    return z3.RealVal(Fraction(str(x)))


@dataclass
class Observation:
    status: Any
    outcome: Any  # index into Model.outcome_ids, -1 for none
    urgency: Any  # LEVEL_RANK
    flags: dict[str, Any]  # red flag or escalation id -> raised


class Model:
    """One version's evaluation path over the shared class variables."""

    def __init__(
        self,
        ruleset: m.Ruleset,
        space: Space,
        vars: Mapping[str, Any],
        outcome_ids: list[str],
        operators: Mapping[str, Operator] | None = None,
    ) -> None:
        self.rs = ruleset
        self.space = space
        self.vars = vars
        self.outcome_ids = outcome_ids
        self.compiler = Compiler(ruleset, operators)
        self.index = space.rulesets.index(ruleset)
        if ruleset.scorer != "weighted-sum":
            raise Unsupported(f"scorer {ruleset.scorer!r} is a plugin the analysis cannot see into")
        self.eff: dict[str, Any] = {}
        problems: list[Any] = []
        for decl in ruleset.inputs:
            axis = space.by_name[decl.id]
            var = vars[decl.id]
            valid = axis.valid[self.index]
            if len(valid) == len(axis.classes):  # every answer accepted: keep the formulas small
                ok, eff = z3.BoolVal(True), var
            else:
                ok = _member(var, valid)
                eff = z3.If(ok, var, 0)
            if decl.missing == "assume":
                eff = z3.If(eff == 0, axis.locate(decl.assume), eff)
            self.eff[decl.id] = eff
            if not z3.is_true(ok):
                problems.append(z3.Not(ok))
            if decl.missing == "error":
                problems.append(var == 0)
        self.problems = z3.Or(problems) if problems else z3.BoolVal(False)
        self.scores: dict[str, tuple[Any, Any]] = {}
        for score in score_order(ruleset):
            self.scores[score.id] = self._score(score)
        self.observation = self._observe()

    # -- conditions --------------------------------------------------------------------------

    def cond(self, node: m.Condition | None) -> Pair:
        if node is None:
            return z3.BoolVal(True), z3.BoolVal(False)
        if isinstance(node, m.Const):
            return z3.BoolVal(node.value), z3.BoolVal(not node.value)
        if isinstance(node, m.All):
            return all_pair([self.cond(c) for c in node.items], Z3)
        if isinstance(node, m.AnyOf):
            return any_pair([self.cond(c) for c in node.items], Z3)
        if isinstance(node, m.Not):
            return not_pair(self.cond(node.item))
        if isinstance(node, m.AtLeast):
            return at_least_pair(node.count, [self.cond(c) for c in node.items], Z3)
        if isinstance(node, m.Compare) and node.kind == "score":
            return self._score_compare(node)
        if isinstance(node, (m.Compare, m.Answered, m.Custom)):
            if isinstance(node, m.Custom) and node.kind == "score":
                raise Unsupported(f"plugin operator {node.op!r} on a score cannot be analysed")
            return self._fact_leaf(node)
        raise Unsupported(f"cannot analyse condition {node!r}")

    def _fact_leaf(self, node: m.Compare | m.Answered | m.Custom) -> Pair:
        axis = self.space.by_name[node.name]
        if isinstance(node, m.Custom) and axis.classes[-1].low != axis.classes[-1].high:
            raise Unsupported(f"plugin operator {node.op!r} on number {node.name!r} is opaque over intervals")
        fn = self.compiler.condition(node)
        true: set[int] = set()
        false: set[int] = set()
        for k, c in enumerate(axis.classes):
            v = fn({} if c.value is None else {node.name: c.value})
            (true if v is True else false if v is False else set()).add(k)
        eff = self.eff[node.name]
        return _member(eff, true), _member(eff, false)

    def _score_compare(self, node: m.Compare) -> Pair:
        lo, hi = self.scores[node.name]
        op, arg = score_test(self.rs, node)
        if op not in SCORE_OPERATORS:
            raise Unsupported(f"operator {op!r} on a score cannot be analysed")
        bound = tuple(None if x is None else real(x) for x in arg) if op == "between" else real(arg)
        return interval_test(op, lo, hi, bound, Z3)

    # -- scores ------------------------------------------------------------------------------

    def _score(self, score: m.Score) -> tuple[Any, Any]:
        if score.compute is not None:
            return self._expr(score.compute)
        lo, hi = real(0), real(0)
        ignore = score.missing == "ignore"
        for item in score.items:
            if item.when is not None:
                t, f = self.cond(item.when)
                w = real(item.weight)
                unknown_lo = real(0) if ignore else real(min(0.0, item.weight))
                unknown_hi = real(0) if ignore else real(max(0.0, item.weight))
                lo = lo + z3.If(t, w, z3.If(f, real(0), unknown_lo))
                hi = hi + z3.If(t, w, z3.If(f, real(0), unknown_hi))
            elif item.value is not None:
                a, b = self._expr(item.value)
                if ignore:
                    a, b = z3.If(a == b, a, real(0)), z3.If(a == b, b, real(0))
                lo, hi = lo + a, hi + b
        return lo, hi

    def _expr(self, node: m.Expr) -> tuple[Any, Any]:
        if isinstance(node, m.Num):
            return real(node.value), real(node.value)
        if isinstance(node, m.Ref):
            if node.kind == "score":
                return self.scores[node.name]
            return self._fact_value(node.name)
        if isinstance(node, m.CountAnswered):
            n = z3.Sum([z3.If(self.eff[name] != 0, real(1), real(0)) for name in node.names])
            return n, n
        if isinstance(node, m.Arith) and node.op in ("sum", "sub", "min", "max"):
            args = [self._expr(a) for a in node.args]
            if node.op == "sum":
                return z3.Sum([a for a, _ in args]), z3.Sum([b for _, b in args])
            if node.op == "sub":
                (alo, ahi), (blo, bhi) = args
                return alo - bhi, ahi - blo
            lo, hi = args[0]
            for a, b in args[1:]:
                lo, hi = (_min(lo, a), _min(hi, b)) if node.op == "min" else (_max(lo, a), _max(hi, b))
            return lo, hi
        if isinstance(node, m.Arith) and node.op == "mul":
            consts = [a for a in node.args if isinstance(a, m.Num)]
            others = [a for a in node.args if not isinstance(a, m.Num)]
            if len(others) <= 1:
                k = Fraction(1)
                for c in consts:
                    k *= Fraction(str(c.value))
                lo, hi = self._expr(others[0]) if others else (real(1), real(1))
                kk = z3.RealVal(k)
                return (kk * lo, kk * hi) if k >= 0 else (kk * hi, kk * lo)
        raise Unsupported(
            f"expression {type(node).__name__} {getattr(node, 'op', '')} cannot be analysed exactly"
        )

    def _fact_value(self, name: str) -> tuple[Any, Any]:
        axis = self.space.by_name[name]
        decl = self.rs.input(name)
        if decl is None or decl.minimum is None or decl.maximum is None:
            raise Unsupported(f"input {name!r} is read by arithmetic but has no finite range")
        eff = self.eff[name]
        lo: Any = real(decl.minimum)
        hi: Any = real(decl.maximum)
        for k, c in enumerate(axis.classes):
            if k:
                lo = z3.If(eff == k, real(c.value), lo)
                hi = z3.If(eff == k, real(c.value), hi)
        return lo, hi

    # -- the decision path -------------------------------------------------------------------

    def _observe(self) -> Observation:
        rs = self.rs
        flags: dict[str, Any] = {}
        flag_rank: Any = z3.IntVal(0)
        self.flag_conds: dict[str, Pair] = {}
        for flag in rs.red_flags:
            t, f = self.cond(flag.when)
            self.flag_conds[flag.id] = (t, f)
            flags[flag.id] = t
            flag_rank = _max(flag_rank, z3.If(t, LEVEL_RANK[flag.level], 0))
            if flag.level == "emergency":
                # Engine: an emergency flag that cannot be screened raises urgency to review.
                flag_rank = _max(flag_rank, z3.If(z3.Or(t, f), 0, LEVEL_RANK["review"]))
        status, outcome, urgency = self._decide()
        rank = _max(flag_rank, z3.If(status == OK, urgency, 0))
        clean = z3.Not(self.problems)
        for esc in rs.escalations:
            t, _ = self.cond(esc.when)
            raised = z3.And(clean, t)
            flags[esc.id] = z3.Or(flags[esc.id], raised) if esc.id in flags else raised
            rank = _max(rank, z3.If(raised, LEVEL_RANK[esc.level], 0))
        return Observation(status, outcome, rank, flags)

    def _decide(self) -> tuple[Any, Any, Any]:
        rs = self.rs
        rules = [(o, *self.cond(o.when)) for o in rs.outcomes if o.when is not None]
        self.outcome_conds = {o.id: (t, f) for o, t, f in rules}
        idx = self.outcome_ids.index
        default_idx = idx(rs.default.id) if rs.default else -1
        default_urgency = LEVEL_RANK[rs.default.urgency] if rs.default else 0
        none_status = OK if rs.default else NO_OUTCOME
        if rs.hit_policy == "first":
            undetermined: list[Any] = []
            outcome: Any = z3.IntVal(default_idx)
            urgency: Any = z3.IntVal(default_urgency)
            before: list[Any] = []
            chosen = []
            for o, t, f in rules:
                earlier = z3.And(before) if before else z3.BoolVal(True)
                undetermined.append(z3.And(earlier, z3.Not(t), z3.Not(f)))
                chosen.append((z3.And(earlier, t), o))
                before.append(f)
            for cond, o in reversed(chosen):
                outcome = z3.If(cond, idx(o.id), outcome)
                urgency = z3.If(cond, LEVEL_RANK[o.urgency], urgency)
            any_chosen = z3.Or([c for c, _ in chosen]) if chosen else z3.BoolVal(False)
            status = z3.If(
                z3.Or(undetermined) if undetermined else z3.BoolVal(False),
                UNDETERMINED,
                z3.If(any_chosen, OK, none_status),
            )
        else:
            unknown = (
                z3.Or([z3.And(z3.Not(t), z3.Not(f)) for _, t, f in rules]) if rules else z3.BoolVal(False)
            )
            count = z3.Sum([z3.If(t, 1, 0) for _, t, _ in rules]) if rules else z3.IntVal(0)
            outcome = z3.IntVal(default_idx)
            urgency = z3.IntVal(default_urgency)
            for o, t, _ in reversed(rules):
                outcome = z3.If(t, idx(o.id), outcome)
                urgency = z3.If(t, LEVEL_RANK[o.urgency], urgency)
            status = z3.If(
                unknown, UNDETERMINED, z3.If(count > 1, OVERLAP, z3.If(count == 1, OK, none_status))
            )
        status = z3.If(self.problems, BAD_ANSWERS, status)
        outcome = z3.If(status == OK, outcome, -1)
        return status, outcome, urgency


def _member(var: Any, classes: set[int] | frozenset[int]) -> Any:
    if not classes:
        return z3.BoolVal(False)
    return z3.Or([var == k for k in sorted(classes)])


def _min(a: Any, b: Any) -> Any:
    return z3.If(a <= b, a, b)


def _max(a: Any, b: Any) -> Any:
    return z3.If(a >= b, a, b)


def outcome_table(rulesets: list[m.Ruleset]) -> list[str]:
    ids: list[str] = []
    for rs in rulesets:
        for o in [*rs.outcomes, *([rs.default] if rs.default else [])]:
            if o.id not in ids:
                ids.append(o.id)
    return ids


@dataclass(frozen=True)
class Behaviour:
    """What one version does with one case: the parts `rules diff` compares."""

    status: int
    outcome: str | None
    urgency: int
    flags: frozenset[str]

    def text(self) -> str:
        head = self.outcome if self.status == OK and self.outcome else STATUS_NAMES[self.status]
        flags = f", red flags {', '.join(sorted(self.flags))}" if self.flags else ""
        return f"{head} ({LEVELS[self.urgency]}{flags})"


def behaviour(model: Model, point: Mapping[str, int]) -> Behaviour:
    """Evaluate the observation at one case (class index per input; absent = missing)."""
    subs = [(model.vars[a.name], z3.IntVal(point.get(a.name, 0))) for a in model.space.axes]

    def value(term: Any) -> Any:
        return z3.simplify(z3.substitute(term, *subs))

    obs = model.observation
    outcome = value(obs.outcome).as_long()
    return Behaviour(
        value(obs.status).as_long(),
        model.outcome_ids[outcome] if outcome >= 0 else None,
        value(obs.urgency).as_long(),
        frozenset(fid for fid, t in obs.flags.items() if z3.is_true(value(t))),
    )


def from_result(result: Any) -> Behaviour:
    """The same view of a `Result` the engine produced, to check the analysis against it."""
    status = {"ok": OK, "undetermined": UNDETERMINED}.get(result.status)
    if status is None:
        code = result.error.code if result.error else ""
        status = next((s for s, codes in ERROR_CODES.items() if code in codes), BAD_ANSWERS)
    return Behaviour(
        status,
        result.outcome.id if result.outcome else None,
        LEVEL_RANK[result.urgency],
        frozenset(f.id for f in result.red_flags),
    )
