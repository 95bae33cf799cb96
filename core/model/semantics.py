"""Semantic checks a JSON Schema cannot express: names resolve, types fit, no cycles.

Each finding points at the node that is wrong (via its JSON path) and says what would be right.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import Diagnostic, JsonPath
from rulewright.core.model.refs import iter_refs, reads_value, score_order
from rulewright.core.model.yamlload import Document

_NUMERIC_OPS = {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"}
_OPS_BY_TYPE = {
    "boolean": {"eq", "ne"},
    "enum": {"eq", "ne", "in", "not_in"},
    "integer": _NUMERIC_OPS,
    "number": _NUMERIC_OPS,
    "set": {"contains"},
}


class _Checker:
    def __init__(self, ruleset: m.Ruleset, doc: Document, operators: Iterable[str] | None) -> None:
        self.rs = ruleset
        self.doc = doc
        self.operators = set(operators) if operators is not None else None
        self.out: list[Diagnostic] = []
        self.inputs = {i.id: i for i in ruleset.inputs}
        self.scores = {s.id: s for s in ruleset.scores}

    def report(self, code: str, message: str, path: JsonPath, severity: str = "error") -> None:
        self.out.append(self.doc.diagnostic(code, message, path, severity=severity))

    # -- ids ---------------------------------------------------------------------------------

    def unique_ids(self, what: str, items: Iterable[Any]) -> None:
        seen: dict[str, JsonPath] = {}
        for item in items:
            if item.id in seen:
                line, _ = self.doc.position(seen[item.id])
                self.report(
                    "duplicate-id",
                    f"{what} id {item.id!r} is already used at line {line}",
                    item.path + ("id",),
                )
            else:
                seen[item.id] = item.path

    # -- references and types ----------------------------------------------------------------

    def condition(self, node: m.Condition | None, *, facts_only: bool = False, where: str = "") -> None:
        for kind, name, path in iter_refs(node):
            if kind == "fact" and name not in self.inputs:
                self.report(
                    "unknown-input",
                    f"{name!r} is not a declared input{_suggest(name, self.inputs)}",
                    path + ("fact",) if node else path,
                )
            elif kind == "score":
                if facts_only:
                    self.report(
                        "score-in-red-flag",
                        f"{where} may read inputs only (red flags are screened before scoring), not score {name!r}",
                        path + ("score",),
                    )
                elif name not in self.scores:
                    self.report(
                        "unknown-score",
                        f"{name!r} is not a declared score{_suggest(name, self.scores)}",
                        path + ("score",),
                    )
        self._types(node)

    def _types(self, node: m.Condition | None) -> None:
        if isinstance(node, (m.All, m.AnyOf, m.AtLeast)):
            for item in node.items:
                self._types(item)
            if isinstance(node, m.AtLeast) and node.count > len(node.items):
                self.report(
                    "impossible-at-least",
                    f"at_least {node.count} of only {len(node.items)} conditions can never be true",
                    node.path + ("at_least",),
                )
        elif isinstance(node, m.Not):
            self._types(node.item)
        elif isinstance(node, m.Custom):
            if self.operators is not None and node.op not in self.operators:
                known = ", ".join(sorted(self.operators)) or "none installed"
                self.report(
                    "unknown-operator",
                    f"operator {node.op!r} is not provided by any plugin (installed: {known})",
                    node.path + ("op",),
                )
        elif isinstance(node, m.Compare):
            if node.kind == "fact" and node.name in self.inputs:
                self._fact_compare(node, self.inputs[node.name])
            elif node.kind == "score" and node.name in self.scores:
                self._score_compare(node, self.scores[node.name])

    def _fact_compare(self, node: m.Compare, decl: m.Input) -> None:
        at = node.path + (node.op,)
        if node.op == "band":
            self.report("band-on-input", f"'band' applies to scores, not input {decl.id!r}", at)
            return
        if node.op not in _OPS_BY_TYPE[decl.type]:
            ops = ", ".join(sorted(_OPS_BY_TYPE[decl.type]))
            self.report(
                "operator-type",
                f"operator {node.op!r} does not apply to {decl.type} input {decl.id!r}; use one of: {ops}",
                at,
            )
            return
        values = node.value if isinstance(node.value, tuple) else (node.value,)
        for v in values:
            if decl.type == "boolean" and not isinstance(v, bool):
                self.report(
                    "value-type", f"{decl.id!r} is boolean; compare with true or false, not {v!r}", at
                )
            elif decl.type in ("enum", "set") and v not in decl.values:
                self.report(
                    "unknown-value",
                    f"{v!r} is not an allowed value of {decl.id!r}; allowed: {', '.join(decl.values)}",
                    at,
                )
            elif decl.type in ("integer", "number"):
                if v is None and node.op == "between":
                    continue
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.report(
                        "value-type", f"{decl.id!r} is a {decl.type}; compare with a number, not {v!r}", at
                    )
                elif (decl.minimum is not None and v < decl.minimum) or (
                    decl.maximum is not None and v > decl.maximum
                ):
                    self.report(
                        "out-of-range",
                        f"{v} is outside the declared range of {decl.id!r} ({decl.minimum}..{decl.maximum})",
                        at,
                    )

    def _score_compare(self, node: m.Compare, score: m.Score) -> None:
        at = node.path + (node.op,)
        if node.op in ("in", "not_in", "contains"):
            self.report(
                "operator-type",
                f"operator {node.op!r} does not apply to score {score.id!r}; use eq, ne, lt, le, gt, ge, between or band",
                at,
            )
        elif node.op == "band":
            if node.value not in {b.id for b in score.bands}:
                bands = ", ".join(b.id for b in score.bands) or "none declared"
                self.report(
                    "unknown-band", f"score {score.id!r} has no band {node.value!r} (bands: {bands})", at
                )
        else:
            values = node.value if isinstance(node.value, tuple) else (node.value,)
            for v in values:
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    self.report(
                        "value-type", f"score {score.id!r} is numeric; compare with a number, not {v!r}", at
                    )

    def expression(self, node: m.Expr | None) -> None:
        for kind, name, path in iter_refs(node):
            if kind == "fact":
                decl = self.inputs.get(name)
                if decl is None:
                    self.report(
                        "unknown-input",
                        f"{name!r} is not a declared input{_suggest(name, self.inputs)}",
                        path,
                    )
                elif (
                    decl.type not in ("integer", "number")
                    and not isinstance(node, m.CountAnswered)
                    and reads_value(node, name)
                ):
                    self.report(
                        "value-type", f"arithmetic needs a numeric input; {name!r} is {decl.type}", path
                    )
            elif name not in self.scores:
                self.report(
                    "unknown-score", f"{name!r} is not a declared score{_suggest(name, self.scores)}", path
                )

    def cited(self, cited: Iterable[str], path: JsonPath, known: set[str]) -> None:
        for i, ref in enumerate(cited):
            if ref not in known:
                self.report(
                    "unknown-reference", f"{ref!r} is not in provenance.references", path + ("references", i)
                )

    def confidence_raises(self, outcome: m.Outcome) -> None:
        base = m.CONFIDENCE_RANK.get(outcome.confidence or "low", 0)
        for raise_ in outcome.confidence_when:
            self.condition(raise_.when)
            if m.CONFIDENCE_RANK[raise_.confidence] <= base:
                self.report(
                    "confidence-not-raised",
                    f"confidence_when gives {raise_.confidence!r}, which does not raise outcome "
                    f"{outcome.id!r} above its confidence {outcome.confidence or 'low'!r}",
                    raise_.path + ("confidence",),
                    "warning",
                )

    # -- whole ruleset -----------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        refs = {r.id for r in self.rs.references}
        self.check_ids()
        self.check_inputs()
        self.check_scores()
        self.check_red_flags(refs)
        self.check_outcomes(refs)
        for score in self.rs.scores:
            self.cited(score.references, score.path, refs)
        for esc in self.rs.escalations:
            self.condition(esc.when)
        self.check_invariants()
        self.fhir_link_ids()
        self.check_change_note()
        return self.out

    def check_ids(self) -> None:
        """No two things of a kind share an id."""
        rs = self.rs
        self.unique_ids("input/score", [*rs.inputs, *rs.scores])
        self.unique_ids("red flag", rs.red_flags)
        self.unique_ids("outcome", [*rs.outcomes, *([rs.default] if rs.default else [])])
        self.unique_ids("escalation", rs.escalations)
        self.unique_ids("invariant", rs.invariants)
        self.unique_ids(
            "reference", [_Ref(r.id, ("provenance", "references", i)) for i, r in enumerate(rs.references)]
        )

    def check_inputs(self) -> None:
        """Ranges are not empty; values and labels fit the input's type."""
        for decl in self.rs.inputs:
            if decl.minimum is not None and decl.maximum is not None and decl.minimum > decl.maximum:
                self.report(
                    "empty-range",
                    f"minimum {decl.minimum} is above maximum {decl.maximum}",
                    decl.path + ("minimum",),
                )
            if decl.type not in ("enum", "set") and decl.values:
                self.report(
                    "values-unused",
                    f"'values' applies to enum and set inputs, not {decl.type}",
                    decl.path + ("values",),
                )
            for key in decl.labels:
                if key not in decl.values:
                    self.report(
                        "unknown-value",
                        f"label for {key!r}, which is not an allowed value of {decl.id!r}",
                        decl.path + ("labels", key),
                    )

    def check_scores(self) -> None:
        """Items, bands and expressions of each score, and no cycle between scores."""
        for score in self.rs.scores:
            self.unique_ids(f"item of score {score.id!r}", score.items)
            self.unique_ids(f"band of score {score.id!r}", score.bands)
            for item in score.items:
                self.condition(item.when)
                self.expression(item.value)
            self.expression(score.compute)
        try:
            score_order(self.rs)
        except ValueError as exc:
            first = str(exc).split(" -> ")[0]
            self.report(
                "score-cycle", f"scores depend on each other in a cycle: {exc}", self.scores[first].path
            )

    def check_red_flags(self, refs: set[str]) -> None:
        """A red flag reads answers only (it is screened before scoring) and cites a source."""
        for flag in self.rs.red_flags:
            self.condition(flag.when, facts_only=True, where=f"red flag {flag.id!r}")
            if not any(kind == "fact" for kind, _, _ in iter_refs(flag.when)):
                self.report(
                    "red-flag-reads-nothing",
                    f"red flag {flag.id!r} reads no input, so it is constant",
                    flag.path + ("when",),
                )
            self.cited(flag.references, flag.path, refs)
            if not flag.references:
                self.report(
                    "uncited-red-flag", f"red flag {flag.id!r} cites no reference", flag.path, "warning"
                )

    def check_outcomes(self, refs: set[str]) -> None:
        for outcome in [*self.rs.outcomes, *([self.rs.default] if self.rs.default else [])]:
            self.condition(outcome.when)
            self.cited(outcome.references, outcome.path, refs)
            self.confidence_raises(outcome)

    def check_invariants(self) -> None:
        """An invariant's expectations name outcomes and red flags the ruleset has."""
        rs = self.rs
        known_outcomes = {o.id for o in rs.outcomes} | ({rs.default.id} if rs.default else set())
        known_flags = {f.id for f in rs.red_flags}
        for inv in rs.invariants:
            self.condition(inv.when)
            for key in ("outcome_in", "outcome_not_in"):
                for i, oid in enumerate(inv.expect.get(key, ())):
                    if oid not in known_outcomes:
                        self.report(
                            "unknown-outcome",
                            f"{oid!r} is not an outcome of this ruleset",
                            inv.path + ("expect", key, i),
                        )
            for i, fid in enumerate(inv.expect.get("red_flags_include", ())):
                if fid not in known_flags:
                    self.report(
                        "unknown-red-flag",
                        f"{fid!r} is not a red flag of this ruleset",
                        inv.path + ("expect", "red_flags_include", i),
                    )

    def check_change_note(self) -> None:
        """The newest change note is for this version."""
        rs = self.rs
        changes = rs.data.get("provenance", {}).get("changes", [])
        if changes and changes[0].get("version") != rs.version:
            self.report(
                "change-note",
                f"the first change note is for {changes[0].get('version')!r}, not this version {rs.version!r}",
                ("provenance", "changes", 0, "version"),
            )

    def fhir_link_ids(self) -> None:
        """Mapped linkIds name declared inputs, and no two inputs share a linkId."""
        owners: dict[str, str] = {}
        for decl in self.rs.inputs:
            link = self.rs.fhir.link_id(decl.id)
            if link in owners:
                where = ("fhir", "link_ids", decl.id) if decl.id in self.rs.fhir.link_ids else decl.path
                self.report(
                    "duplicate-link-id",
                    f"inputs {owners[link]!r} and {decl.id!r} both map to FHIR linkId {link!r}",
                    where,
                )
            owners[link] = decl.id
        for name in self.rs.fhir.link_ids:
            if name not in self.inputs:
                self.report(
                    "unknown-input",
                    f"fhir.link_ids maps {name!r}, which is not a declared input{_suggest(name, self.inputs)}",
                    ("fhir", "link_ids", name),
                )


class _Ref:
    def __init__(self, id: str, path: JsonPath) -> None:
        self.id = id
        self.path = path


def _suggest(name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_semantics(
    ruleset: m.Ruleset, doc: Document, operators: Iterable[str] | None = None
) -> list[Diagnostic]:
    return _Checker(ruleset, doc, operators).run()
