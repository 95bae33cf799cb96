"""Invariants a ruleset states (`invariants:`), as solver formulas over one version's path."""

from __future__ import annotations

from typing import Any

import z3  # type: ignore[import-untyped]

from rulewright.core.analysis.symbolic import BAD_ANSWERS, NO_OUTCOME, OK, OVERLAP, UNDETERMINED, Model
from rulewright.core.model import ruleset as m
from rulewright.core.model.ruleset import LEVEL_RANK

_STATUS = {"ok": (OK,), "undetermined": (UNDETERMINED,), "error": (BAD_ANSWERS, NO_OUTCOME, OVERLAP)}


def expectation(model: Model, expect: dict[str, Any]) -> Any:
    """The `expect:` block as one formula over the observation."""
    obs = model.observation
    parts: list[Any] = []
    if "urgency" in expect:
        parts.append(obs.urgency == LEVEL_RANK[expect["urgency"]])
    if "urgency_at_least" in expect:
        parts.append(obs.urgency >= LEVEL_RANK[expect["urgency_at_least"]])
    if "outcome_in" in expect:
        parts.append(z3.Or([obs.outcome == model.outcome_ids.index(o) for o in expect["outcome_in"]]))
    if "outcome_not_in" in expect:
        parts.append(z3.And([obs.outcome != model.outcome_ids.index(o) for o in expect["outcome_not_in"]]))
    if "status_in" in expect:
        parts.append(z3.Or([obs.status == code for s in expect["status_in"] for code in _STATUS[s]]))
    for fid in expect.get("red_flags_include", ()):
        parts.append(obs.flags.get(fid, z3.BoolVal(False)))
    return z3.And(parts) if parts else z3.BoolVal(True)


def violation(model: Model, inv: m.Invariant) -> Any:
    """Holds exactly for the cases that refute the invariant: `when` is true, `expect` is not."""
    when, _ = model.cond(inv.when)
    return z3.And(when, z3.Not(expectation(model, inv.expect)))


def describe_expect(expect: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v if not isinstance(v, (list, tuple)) else list(v)}" for k, v in expect.items())
