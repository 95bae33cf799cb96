"""Exact analysis checked against the engine: the solver's answers must match brute force.

Every small ruleset here is also evaluated case by case, for every combination of answer
classes, with the real engine; the solver model, the diff regions and every counterexample the
analysis prints must agree with what the engine does.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import z3  # type: ignore[import-untyped]

from rulewright.core import Engine, PluginHost, Ruleset, load_ruleset
from rulewright.core.analysis.behaviour import diff_behaviour
from rulewright.core.analysis.partition import Space, build_space
from rulewright.core.analysis.regions import answers
from rulewright.core.analysis.scores import use_score_axes
from rulewright.core.analysis.symbolic import (
    Behaviour,
    Model,
    behaviour,
    class_vars,
    from_result,
    outcome_table,
)
from tests.conftest import MINIMAL, ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "leg-pain-1.1.0-threshold3.yaml"

# Most engine features in one ruleset: numbers with thresholds, a set input, `assume` and
# `error` missing policies, a derived score with bands, at_least/not/answered, an escalation.
KITCHEN = """\
rulewright: 1
id: kitchen
version: 1.0.0
title: Kitchen sink
status: draft
provenance:
  authors: [tests]
  references: [{id: ref, citation: A citation}]
  changes: [{version: 1.0.0, note: first}]
inputs:
  - {id: flag_a, type: boolean, question: A?}
  - {id: mood, type: enum, values: [low, mid, high], question: Mood?}
  - {id: temp, type: number, minimum: 30, maximum: 45, question: Temp?}
  - {id: count, type: integer, minimum: 0, maximum: 20, question: Count?, missing: {assume: 0}}
  - {id: tags, type: set, values: [x, z], question: Tags?}
  - {id: site, type: enum, values: [left, right], question: Site?, missing: error}
scores:
  - id: points
    items:
      - {id: p1, when: {fact: flag_a, eq: true}, weight: 2}
      - {id: p2, when: {fact: mood, in: [mid, high]}}
      - {id: p3, when: {fact: temp, gt: 38.5}, weight: 1.5}
      - {id: p4, when: {fact: tags, contains: z}, weight: -1}
  - id: total
    compute: {sum: [{score: points}, {count_answered: [mood, temp]}]}
    bands:
      - {id: low, maximum: 2}
      - {id: high, minimum: 2.5}
red_flags:
  - id: hot
    level: emergency
    when: {fact: temp, ge: 40}
    message: Hot.
    action: Act.
    references: [ref]
  - id: many
    level: urgent
    when: {all: [{fact: count, ge: 10}, {not: {fact: mood, eq: low}}]}
    message: Many.
    action: Act.
    references: [ref]
escalations:
  - id: tagged
    level: review
    when: {at_least: 2, of: [{fact: tags, contains: x}, {fact: tags, contains: z}, {answered: flag_a}]}
    message: Tagged.
hit_policy: first
outcomes:
  - {id: severe, label: Severe, urgency: urgent, when: {score: total, band: high}}
  - {id: mild, label: Mild, when: {all: [{score: points, le: 1}, {fact: site, eq: left}]}}
  - {id: other, label: Other, when: {score: total, lt: 2.5}}
"""


def ruleset(text: str, tmp_path: Path, name: str = "r.yaml") -> Ruleset:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_ruleset(str(path))


def every_case(space: Space) -> Iterator[dict[str, int]]:
    names = [a.name for a in space.axes]
    for combo in itertools.product(*[range(len(a.classes)) for a in space.axes]):
        yield dict(zip(names, combo, strict=True))


def engine_view(engine: Engine, case: dict[str, Any]) -> Behaviour:
    declared = {i.id for i in engine.ruleset.inputs}
    return from_result(engine.evaluate({k: v for k, v in case.items() if k in declared}))


VARIANTS: list[tuple[str, Callable[[str], str]]] = [
    ("as-is", lambda t: t),
    ("unique", lambda t: t.replace("hit_policy: first", "hit_policy: unique")),
    ("default", lambda t: t + "default: {id: fallback, label: Fallback, urgency: review}\n"),
    ("ignore-missing", lambda t: t.replace("  - id: points\n", "  - id: points\n    missing: ignore\n")),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,edit", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_solver_model_matches_the_engine_on_every_case(
    name: str, edit: Callable[[str], str], tmp_path: Path, host: PluginHost
) -> None:
    rs = ruleset(edit(KITCHEN), tmp_path)
    space = build_space([rs])
    model = Model(rs, space, class_vars(space), outcome_table([rs]))
    engine = Engine(rs, host=host)
    seen = set()
    for point in every_case(space):
        case = answers(space, point)
        expected = engine_view(engine, case)
        assert behaviour(model, point) == expected, case
        seen.add(expected.status)
    assert len(seen) >= 2  # the cases really exercise several paths


def test_leg_pain_model_matches_the_engine(host: PluginHost) -> None:
    rs = load_ruleset("leg-pain@1.0.0")
    space = build_space([rs])
    model = Model(rs, space, class_vars(space), outcome_table([rs]))
    engine = Engine(rs, host=host)
    assert space.total() == 8 * 3 * 3 * 3 * 3
    for point in every_case(space):
        assert behaviour(model, point) == engine_view(engine, answers(space, point))


def _check_diff_exactly(old: Ruleset, new: Ruleset, host: PluginHost) -> Any:
    diff = diff_behaviour(old, new)
    assert diff.complete
    space = build_space([old, new])
    e_old, e_new = Engine(old, host=host), Engine(new, host=host)
    changed = set()
    case_axes = {a.name for a in space.axes}
    for point in every_case(space):
        case = answers(space, point)
        if engine_view(e_old, case) != engine_view(e_new, case):
            changed.add(tuple(sorted(point.items())))
    assert diff.affected == len(changed)
    covered = set()
    for region in diff.regions:
        # The printed example reproduces the printed change with the engine.
        b_old, b_new = engine_view(e_old, region.example), engine_view(e_new, region.example)
        assert (b_old, b_new) == (region.old, region.new)
    use_score_axes(space)
    model = Model(old, space, class_vars(space), outcome_table([old, new]))
    for point in every_case(space):
        case = answers(space, point)
        # Where the case falls on each score axis the regions may use (even when the engine
        # stops before scoring, on a rejected answer).
        subs = [(model.vars[a.name], z3.IntVal(point[a.name])) for a in space.axes]
        for sa in space.score_axes:
            lo, hi = (z3.simplify(z3.substitute(t, *subs)) for t in model.scores[sa.score_id])
            pair = (float(lo.as_fraction()), float(hi.as_fraction()))
            point[sa.axis.name] = sa.pairs.index(pair)
        inside = [r for r in diff.regions if all(point[n] in allowed for n, allowed in r.cube.items())]
        if not inside:
            continue
        # Every case in a region changes, and in the way the region says.
        o, n = engine_view(e_old, case), engine_view(e_new, case)
        assert o != n, (inside[0].where, case)
        for region in inside:
            if "decision" in region.changed:
                assert (o.outcome, o.status, n.outcome, n.status) == (
                    region.old.outcome,
                    region.old.status,
                    region.new.outcome,
                    region.new.status,
                )
            if "urgency" in region.changed:
                assert (o.urgency, n.urgency) == (region.old.urgency, region.new.urgency)
        covered.add(tuple(sorted((n, k) for n, k in point.items() if n in space.by_name and n in case_axes)))
    assert covered == changed
    return diff


def test_leg_pain_threshold_diff_is_exact(host: PluginHost) -> None:
    diff = _check_diff_exactly(load_ruleset("leg-pain@1.0.0"), load_ruleset(str(FIXTURE)), host)
    changes = {r.change for r in diff.regions}
    assert "nerve → muscle_joint" in changes and "nerve → undetermined" in changes
    assert all("bladder_bowel_control" not in r.where for r in diff.regions)  # not involved


MILD = "  - {id: mild, label: Mild, when: {all: [{score: points, le: 1}, {fact: site, eq: left}]}}\n"

DIFF_EDITS: list[tuple[str, Callable[[str], str]]] = [
    ("threshold", lambda t: t.replace("gt: 38.5}", "gt: 39}")),
    ("flag-level", lambda t: t.replace("level: urgent\n", "level: emergency\n")),
    ("enum-value-added", lambda t: t.replace("values: [low, mid, high]", "values: [low, mid, high, max]")),
    (
        "input-removed",
        lambda t: (
            t.replace("  - {id: flag_a, type: boolean, question: A?}\n", "")
            .replace(
                "{id: p1, when: {fact: flag_a, eq: true}, weight: 2}",
                "{id: p1, when: {fact: mood, eq: high}, weight: 2}",
            )
            .replace("{answered: flag_a}", "{answered: mood}")
        ),
    ),
    ("policy", lambda t: t.replace("hit_policy: first", "hit_policy: unique")),
    (
        "reordered",
        lambda t: t.replace(MILD, "").replace("outcomes:\n", "outcomes:\n" + MILD),
    ),
]


@pytest.mark.parametrize("name,edit", DIFF_EDITS, ids=[v[0] for v in DIFF_EDITS])
def test_diff_regions_cover_exactly_the_changed_cases(
    name: str, edit: Callable[[str], str], tmp_path: Path, host: PluginHost
) -> None:
    old = ruleset(KITCHEN, tmp_path, "old.yaml")
    new = ruleset(edit(KITCHEN), tmp_path, "new.yaml")
    diff = _check_diff_exactly(old, new, host)
    assert diff.regions  # every edit here changes behaviour somewhere
    if name == "input-removed":
        assert diff.only_old == ["flag_a"] and diff.only_new == []


def test_identical_versions_have_no_regions(host: PluginHost) -> None:
    rs = load_ruleset("leg-pain@1.0.0")
    diff = diff_behaviour(rs, rs)
    assert diff.regions == [] and diff.affected == 0 and diff.complete


def test_minimal_ruleset_numbers_partition_at_thresholds(tmp_path: Path) -> None:
    axis = build_space([ruleset(MINIMAL, tmp_path)]).by_name["n"]
    assert axis.classes[1].label == "0..4"  # n >= 5 / n < 5 cannot tell 0..4 apart
    assert all(sum(c.holds(v) for c in axis.classes[1:]) == 1 for v in range(11))


# -- rules validate: findings with counterexamples ----------------------------------------------

LEG_PAIN = (ROOT / "rulesets" / "leg-pain" / "1.0.0.yaml").read_text("utf-8")


def validate_json(invoke: Callable[..., Any], path: Path) -> list[dict[str, Any]]:
    result = invoke("validate", "--format", "json", str(path))
    import json

    diagnostics: list[dict[str, Any]] = json.loads(result.stdout)["files"][0]["diagnostics"]
    return diagnostics


def test_leg_pain_invariants_are_proved(invoke: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "lp.yaml"
    path.write_text(LEG_PAIN, encoding="utf-8")
    found = validate_json(invoke, path)
    proved = [d for d in found if d["code"] == "invariant-proved"]
    assert len(proved) == 2 and all(d["severity"] == "info" for d in proved)
    assert not [d for d in found if d["severity"] != "info"]


def test_refuted_invariant_has_a_counterexample_the_engine_confirms(
    invoke: Callable[..., Any], tmp_path: Path, host: PluginHost
) -> None:
    text = LEG_PAIN.replace("expect: {urgency_at_least: review}", "expect: {urgency: emergency}")
    path = tmp_path / "lp.yaml"
    path.write_text(text, encoding="utf-8")
    found = validate_json(invoke, path)
    refuted = next(d for d in found if d["code"] == "invariant-refuted")
    line = next(
        i for i, t in enumerate(text.splitlines(), 1) if "id: unscreened_bladder_bowel_needs_review" in t
    )
    assert (refuted["line"], refuted["column"]) == (line, 5)
    result = Engine(load_ruleset(str(path)), host=host).evaluate(refuted["example"])
    assert "bladder_bowel_control" not in refuted["example"] and result.urgency != "emergency"


def test_findings_carry_examples_the_engine_reproduces(
    invoke: Callable[..., Any], tmp_path: Path, host: PluginHost
) -> None:
    text = (
        KITCHEN.replace("hit_policy: first", "hit_policy: unique")
        .replace("when: {fact: temp, ge: 40}", "when: {all: [{fact: temp, ge: 40}, {fact: temp, lt: 39}]}")
        .replace("{fact: mood, in: [mid, high]}", "{all: [{fact: mood, eq: low}, {fact: mood, eq: high}]}")
        .replace("when: {score: total, lt: 2.5}", "when: {score: total, lt: 2}")
    )
    path = tmp_path / "k.yaml"
    path.write_text(text, encoding="utf-8")
    found = {d["code"]: d for d in validate_json(invoke, path)}
    assert {"overlap", "incomplete", "unreachable-red-flag", "unreachable-contribution"} <= set(found)
    engine = Engine(load_ruleset(str(path)), host=host)
    overlap = engine.evaluate(found["overlap"]["example"])
    assert overlap.error is not None and overlap.error.code == "overlapping_outcomes"
    gap = engine.evaluate(found["incomplete"]["example"])
    assert gap.error is not None and gap.error.code == "no_outcome"
    assert found["unreachable-red-flag"]["path"] == "$.red_flags[0].when"
