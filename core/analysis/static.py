"""Exact whole-space checks for `rules validate`, answered by the solver (see symbolic.py).

Every finding points at the YAML node it is about and, where a case demonstrates it, carries
that case (`example`) with the smallest region of answers (`where`) that all behave the same
way. Rulesets the solver encoding cannot model (a plugin scorer, a plugin operator over
numbers, non-linear arithmetic) fall back to enumeration in space.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import z3  # type: ignore[import-untyped]

from rulewright.core.analysis import space as enumeration
from rulewright.core.analysis.invariants import describe_expect, violation
from rulewright.core.analysis.partition import Space, Unsupported, build_space
from rulewright.core.analysis.regions import Prover, answers, describe, size
from rulewright.core.analysis.scores import use_score_axes
from rulewright.core.analysis.symbolic import NO_OUTCOME, OK, OVERLAP, Model, behaviour, outcome_table
from rulewright.core.evaluate.compiler import Operator
from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import Diagnostic, JsonPath
from rulewright.core.model.ruleset import LEVEL_RANK
from rulewright.core.model.yamlload import Document


def analyse(
    ruleset: m.Ruleset, doc: Document, operators: Mapping[str, Operator] | None = None
) -> list[Diagnostic]:
    """Completeness, overlap, reachability, red-flag dominance and invariants, exactly."""
    try:
        checker = _Checker(ruleset, doc, operators)
    except Unsupported as exc:
        found = enumeration.analyse(ruleset, doc, operators)
        if ruleset.invariants:
            found.append(
                doc.diagnostic(
                    "not-analysed", f"invariants not checked: {exc}", ("invariants",), severity="info"
                )
            )
        return found
    return checker.run()


class _Checker:
    def __init__(self, ruleset: m.Ruleset, doc: Document, operators: Mapping[str, Operator] | None) -> None:
        self.rs = ruleset
        self.doc = doc
        self.space: Space = build_space([ruleset])
        use_score_axes(self.space, operators)
        self.prover = Prover(self.space)
        self.model = Model(ruleset, self.space, self.prover.vars, outcome_table([ruleset]), operators)
        self.prover.tie(self.model)
        self.out: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        self.completeness()
        self.overlaps()
        self.reachability()
        self.dominance()
        self.invariants()
        return self.out

    # -- helpers -----------------------------------------------------------------------------

    def witness(self, key: Any, prop: Any) -> tuple[str, dict[str, Any], int] | None:
        """(where, example answers, region size) for a case where `prop` holds, or None."""
        point = self.prover.find(key, prop)
        if point is None:
            return None
        cube = self.prover.grow(key, prop, point)
        return (
            describe(self.space, cube),
            answers(self.space, self.prover.example(cube)),
            size(self.space, cube),
        )

    def report(
        self,
        code: str,
        message: str,
        path: JsonPath,
        found: tuple[str, dict[str, Any], int] | None = None,
        severity: str = "error",
    ) -> None:
        example = None
        if found is not None:
            where, example, count = found
            message += (
                f": where {where} ({count} of {self.space.total()} combinations), e.g. {_show(example)}"
            )
        self.out.append(self.doc.diagnostic(code, message, path, severity=severity, example=example))

    # -- checks ------------------------------------------------------------------------------

    def completeness(self) -> None:
        found = self.witness("no-outcome", self.model.observation.status == NO_OUTCOME)
        if found is not None:
            self.report(
                "incomplete", "some answers reach no outcome and there is no default", ("outcomes",), found
            )

    def overlaps(self) -> None:
        if self.rs.hit_policy != "unique":
            return
        conds = self.model.outcome_conds
        rules = [(i, o) for i, o in enumerate(self.rs.outcomes) if o.id in conds]
        for n, (_, a) in enumerate(rules):
            for j, b in rules[n + 1 :]:
                prop = z3.And(self.model.observation.status == OVERLAP, conds[a.id][0], conds[b.id][0])
                found = self.witness(("overlap", a.id, b.id), prop)
                if found is not None:
                    self.report(
                        "overlap",
                        f"hit policy 'unique' but outcomes {a.id!r} and {b.id!r} both match",
                        ("outcomes", j, "when"),
                        found,
                    )

    def reachability(self) -> None:
        obs = self.model.observation
        clean = z3.Not(self.model.problems)
        for i, o in enumerate(self.rs.outcomes):
            if o.when is None:
                continue
            chosen = z3.And(obs.status == OK, obs.outcome == self.model.outcome_ids.index(o.id))
            if self.prover.find(("chosen", o.id), chosen) is not None:
                continue
            matches = self.prover.find(("matches", o.id), z3.And(clean, self.model.outcome_conds[o.id][0]))
            why = "can never match"
            if matches is not None:
                why = "is shadowed by earlier outcomes (hit policy 'first')"
                if self.rs.hit_policy == "unique":
                    why = "only matches together with another outcome (hit policy 'unique')"
            self.report(
                "unreachable-outcome", f"outcome {o.id!r} {why}: no answers reach it", ("outcomes", i, "when")
            )
        for s, score in enumerate(self.rs.scores):
            for j, item in enumerate(score.items):
                if item.when is None:
                    continue
                t, _ = self.model.cond(item.when)
                if self.prover.find(("item", score.id, item.id), z3.And(clean, t)) is None:
                    self.report(
                        "unreachable-contribution",
                        f"item {item.id!r} of score {score.id!r} can never count: no answers make it true",
                        ("scores", s, "items", j, "when"),
                        severity="warning",
                    )
        for i, flag in enumerate(self.rs.red_flags):
            t, _ = self.model.flag_conds[flag.id]
            if self.prover.find(("flag", flag.id), t) is None:
                self.report(
                    "unreachable-red-flag",
                    f"red flag {flag.id!r} can never fire: no answers make it true",
                    ("red_flags", i, "when"),
                )
        for i, esc in enumerate(self.rs.escalations):
            if self.prover.find(("escalation", esc.id), z3.And(clean, self.model.cond(esc.when)[0])) is None:
                self.report(
                    "unreachable-escalation",
                    f"escalation {esc.id!r} can never fire: no answers make it true",
                    ("escalations", i, "when"),
                    severity="warning",
                )

    def dominance(self) -> None:
        """A fired red flag's level is a floor for the result's urgency on every path.

        The path includes the outcome's own urgency, `undetermined`, rejected answers and the
        ruleset's escalations; plugins can only raise urgency further.
        """
        obs = self.model.observation
        for i, flag in enumerate(self.rs.red_flags):
            t, _ = self.model.flag_conds[flag.id]
            below = self.witness(("below", flag.id), z3.And(t, obs.urgency < LEVEL_RANK[flag.level]))
            if below is not None:
                self.report(
                    "red-flag-dominance",
                    f"red flag {flag.id!r} fires but the result's urgency stays below {flag.level}",
                    ("red_flags", i, "level"),
                    below,
                )

    def invariants(self) -> None:
        for i, inv in enumerate(self.rs.invariants):
            prop = violation(self.model, inv)
            point = self.prover.find(("invariant", inv.id), prop)
            if point is None:
                self.report(
                    "invariant-proved",
                    f"invariant {inv.id!r} holds for every combination of answers",
                    ("invariants", i),
                    severity="info",
                )
                continue
            cube = self.prover.grow(("invariant", inv.id), prop, point)
            case = self.prover.example(cube)
            self.report(
                "invariant-refuted",
                f"invariant {inv.id!r} ({describe_expect(inv.expect)}) fails",
                ("invariants", i),
                (describe(self.space, cube), answers(self.space, case), size(self.space, cube)),
            )
            self.out[-1] = replace(
                self.out[-1],
                message=f"{self.out[-1].message}, which gives {behaviour(self.model, case).text()}",
            )


def _show(case: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in case.items()) or "(no answers)"
