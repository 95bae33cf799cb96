"""Whole-input-space checks by enumeration over a partition of the answers.

Each input is reduced to the few values that can make a difference: booleans and enum values
as declared; numbers at, just below and just above every threshold a condition compares them
with, plus their declared bounds. Only inputs the outcomes read are varied. Every finding
carries a concrete case (`example`) that `rules evaluate` reproduces.

This exact enumeration serves rulesets with small decision spaces (up to `MAX_CASES`
combinations); larger ones are reported as not analysed rather than sampled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from rulewright.core.evaluate.compiler import Compiler, Operator
from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import Diagnostic
from rulewright.core.model.refs import fact_deps, reads_value, score_order, score_refs
from rulewright.core.model.yamlload import Document

MAX_CASES = 200_000


def thresholds(ruleset: m.Ruleset, name: str) -> set[float]:
    """Every number a condition compares input `name` with."""
    found: set[float] = set()
    for node in conditions(ruleset):
        for leaf in leaves(node):
            if isinstance(leaf, m.Compare) and leaf.kind == "fact" and leaf.name == name:
                values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                found.update(
                    float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
                )
    return found


def conditions(ruleset: m.Ruleset, *, invariants: bool = True) -> Iterator[m.Condition | None]:
    """Every condition of a ruleset: red flags, score items, outcomes, escalations, invariants."""
    yield from (f.when for f in ruleset.red_flags)
    yield from (i.when for s in ruleset.scores for i in s.items)
    yield from (o.when for o in ruleset.outcomes)
    yield from (e.when for e in ruleset.escalations)
    if invariants:
        yield from (i.when for i in ruleset.invariants)


def leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, (m.All, m.AnyOf, m.AtLeast)):
        for item in node.items:
            yield from leaves(item)
    elif isinstance(node, m.Not):
        yield from leaves(node.item)
    elif node is not None:
        yield node


def domain(ruleset: m.Ruleset, decl: m.Input) -> list[Any] | None:
    """The representative answers of one input, or None if it cannot be partitioned exactly."""
    if decl.type == "boolean":
        return [False, True]
    if decl.type == "enum":
        return list(decl.values)
    if decl.type == "set":
        if len(decl.values) > 10:
            return None
        return [
            frozenset(c) for r in range(len(decl.values) + 1) for c in itertools.combinations(decl.values, r)
        ]
    lo = -math.inf if decl.minimum is None else decl.minimum
    hi = math.inf if decl.maximum is None else decl.maximum
    if read_as_number(ruleset, decl.id):
        # Arithmetic over the answer: only exhaustive integer ranges are exact.
        if decl.type == "integer" and math.isfinite(lo) and math.isfinite(hi) and hi - lo <= 100:
            return list(range(int(lo), int(hi) + 1))
        return None
    step = 1 if decl.type == "integer" else 1e-6
    points = {lo, hi} - {-math.inf, math.inf}
    for t in thresholds(ruleset, decl.id):
        points.update((t - step, t, t + step))
    if not points:
        points = {0}
    values = sorted(p for p in points if lo <= p <= hi)
    return [int(v) if decl.type == "integer" else v for v in values]


def read_as_number(ruleset: m.Ruleset, name: str) -> bool:
    """True if a score does arithmetic with the answer to `name` (not just counts it as answered)."""
    return any(
        reads_value(node, name)
        for s in ruleset.scores
        for node in [*(i.value for i in s.items if i.value is not None), s.compute]
    )


def cases(ruleset: m.Ruleset, names: Iterable[str]) -> Iterator[dict[str, Any]] | None:
    """Every representative full combination of answers to `names`, or None if too many."""
    names = sorted(names)
    domains = []
    total = 1
    for name in names:
        decl = ruleset.input(name)
        dom = domain(ruleset, decl) if decl else None
        if dom is None:
            return None
        domains.append(dom)
        total *= len(dom)
        if total > MAX_CASES:
            return None
    return (dict(zip(names, combo, strict=True)) for combo in itertools.product(*domains))


def _scores_fn(ruleset: m.Ruleset, compiler: Compiler) -> Any:
    """Plain weighted-sum scoring for analysis (the built-in scorer's documented semantics)."""
    steps: list[tuple[str, Any, Any]] = []
    for s in score_order(ruleset):
        if s.compute is not None:
            steps.append((s.id, None, compiler.expr(s.compute)))
        else:
            items = [
                (
                    compiler.condition(i.when) if i.when else None,
                    i.weight,
                    compiler.expr(i.value) if i.value else None,
                )
                for i in s.items
            ]
            steps.append((s.id, items, None))

    def run(env: dict[str, Any]) -> None:
        for sid, items, compute in steps:
            if compute is not None:
                env[sid] = compute(env)
                continue
            total = 0.0
            for cond, weight, value in items:
                if cond is not None:
                    total += weight if cond(env) is True else 0.0
                else:
                    v = value(env)
                    total += v if isinstance(v, (int, float)) else 0.0
            env[sid] = total

    return run


def jsonable(case: Mapping[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in case.items()}


def analyse(
    ruleset: m.Ruleset, doc: Document, operators: Mapping[str, Operator] | None = None
) -> list[Diagnostic]:
    """Completeness (some answers reach no outcome) and shadowing under `first`."""
    if ruleset.scorer != "weighted-sum":
        return _not_analysed(doc, f"scorer {ruleset.scorer!r} is a plugin", ("scoring",))
    if any(isinstance(leaf, m.Custom) for o in ruleset.outcomes for leaf in leaves(o.when)) or any(
        isinstance(leaf, m.Custom) for s in ruleset.scores for i in s.items for leaf in leaves(i.when)
    ):
        return _not_analysed(doc, "plugin operators are opaque", ("outcomes",))
    names: set[str] = set()
    for o in ruleset.outcomes:
        names |= fact_deps(o.when, ruleset)
    for s in ruleset.scores:
        names |= {name for kind, name, _ in score_refs(s) if kind == "fact"}
    space = cases(ruleset, names)
    if space is None:
        return _not_analysed(doc, f"more than {MAX_CASES} answer combinations", ("inputs",))
    return _findings(ruleset, doc, _Walk(ruleset, Compiler(ruleset, operators), space))


def _not_analysed(doc: Document, why: str, path: tuple[str, ...]) -> list[Diagnostic]:
    return [doc.diagnostic("not-analysed", f"{why}; whole-space checks skipped", path, severity="info")]


class _Walk:
    """Every case of the space through scores and outcomes: the first case to reach each
    outcome, the first to reach none (`gap`), the first two outcomes that match together."""

    def __init__(self, ruleset: m.Ruleset, compiler: Compiler, space: Iterable[dict[str, Any]]) -> None:
        score = _scores_fn(ruleset, compiler)
        rules = [(o, compiler.condition(o.when)) for o in ruleset.outcomes if o.when is not None]
        self.first_hit: dict[str, dict[str, Any]] = {}
        self.gap: dict[str, Any] | None = None
        self.overlap: tuple[str, str, dict[str, Any]] | None = None
        for case in space:
            env = dict(case)
            score(env)
            matched = [o.id for o, fn in rules if fn(env) is True]
            if matched:
                self.first_hit.setdefault(matched[0], case)
                if ruleset.hit_policy == "unique" and len(matched) > 1 and self.overlap is None:
                    self.overlap = (matched[0], matched[1], case)
            elif self.gap is None:
                self.gap = case


def _findings(ruleset: m.Ruleset, doc: Document, walk: _Walk) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if walk.gap is not None and ruleset.default is None:
        out.append(
            doc.diagnostic(
                "incomplete",
                f"some answers reach no outcome and there is no default, e.g. {_show(walk.gap)}",
                ("outcomes",),
                example=jsonable(walk.gap),
            )
        )
    if walk.overlap is not None:
        a, b, case = walk.overlap
        idx = next(i for i, o in enumerate(ruleset.outcomes) if o.id == b)
        out.append(
            doc.diagnostic(
                "overlap",
                f"hit policy 'unique' but outcomes {a!r} and {b!r} both match, e.g. {_show(case)}",
                ("outcomes", idx, "when"),
                example=jsonable(case),
            )
        )
    for i, o in enumerate(ruleset.outcomes):
        if o.when is not None and o.id not in walk.first_hit:
            why = (
                "is shadowed by earlier outcomes (hit policy 'first')"
                if ruleset.hit_policy == "first"
                else "can never match"
            )
            out.append(
                doc.diagnostic(
                    "unreachable-outcome",
                    f"outcome {o.id!r} {why}: no answers reach it",
                    ("outcomes", i, "when"),
                )
            )
    return out


def _show(case: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in jsonable(case).items()) or "(no answers)"
