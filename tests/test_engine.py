"""Engine behaviour: hit policies, missing answers, red flags, and plugins that fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rulewright.core import Engine, Escalation, PluginConflict, hookimpl, load_ruleset, make_plugin_host
from rulewright.core.model.schemas import validator
from tests.conftest import MINIMAL

Write = Callable[..., Path]
BLADDER = {
    "pain_quality": "dull",
    "pain_pattern": "moves_around",
    "numbness_tingling_weakness": False,
    "bladder_bowel_control": True,
}


def engine_with(*plugins: tuple[str, object], ruleset: str = "leg-pain@1.0.0") -> Engine:
    host = make_plugin_host(entrypoints=False, extra=plugins)
    return Engine(load_ruleset(ruleset), host=host)


def flag_ids(record: dict[str, Any]) -> list[str]:
    return [f["id"] for f in record["red_flags"]]


def test_results_validate_against_the_result_schema(leg_pain: Engine) -> None:
    cases = [
        BLADDER,
        {},
        {"pain_quality": "purple"},
        {"id": 7, "pain_quality": "sharp", "pain_pattern": "follows_path"},
    ]
    for case in cases:
        for explain in (False, True):
            record = leg_pain.evaluate(case, line=3, explain=explain).to_record()
            assert list(validator("result").iter_errors(record)) == []


def test_id_field_is_carried_not_read(host: Any) -> None:
    engine = Engine(load_ruleset("leg-pain@1.0.0"), host=host, id_field="patient")
    rec = engine.evaluate({"patient": "p-1", "pain_quality": "sharp"}).to_record()
    assert rec["input"]["id"] == "p-1" and rec["status"] != "error"
    rec = engine.evaluate({"id": "p-1"}).to_record()
    assert rec["status"] == "error" and rec["error"]["code"] == "unknown_input"


@pytest.mark.parametrize(
    ("answers", "path", "words"),
    [
        ({"pain_quality": "purple"}, "pain_quality", ["purple", "dull", "electric"]),
        ({"bladder_bowel_control": "yes"}, "bladder_bowel_control", ["boolean"]),
        ({"colour": "red"}, "colour", ["unknown input", "pain_quality"]),
    ],
)
def test_bad_answers_are_named_with_what_is_allowed(
    leg_pain: Engine, answers: dict[str, Any], path: str, words: list[str]
) -> None:
    rec = leg_pain.evaluate(answers).to_record()
    assert rec["status"] == "error" and rec["error"]["path"] == path
    for word in words:
        assert word in rec["error"]["message"]


def test_an_error_record_still_carries_red_flags(leg_pain: Engine) -> None:
    rec = leg_pain.evaluate({**BLADDER, "pain_quality": "purple"}).to_record()
    assert rec["status"] == "error" and flag_ids(rec) == ["bladder_bowel"] and rec["urgency"] == "emergency"


def test_unique_hit_policy_reports_overlap_and_undetermined(write_ruleset: Write, host: Any) -> None:
    text = MINIMAL.replace("outcomes:", "hit_policy: unique\noutcomes:").replace(
        "when: {fact: n, lt: 5}", "when: {fact: n, le: 5}"
    )
    engine = Engine(load_ruleset(str(write_ruleset(text))), host=host)
    assert engine.evaluate({"n": 5}).to_record()["error"]["code"] == "overlapping_outcomes"
    assert engine.evaluate({"n": 9}).to_record()["outcome"]["id"] == "high"
    assert engine.evaluate({}).to_record()["status"] == "undetermined"


def test_default_outcome_and_no_outcome(write_ruleset: Write, host: Any) -> None:
    gap = MINIMAL.replace("when: {fact: n, lt: 5}", "when: {fact: n, lt: 2}")
    engine = Engine(load_ruleset(str(write_ruleset(gap, "gap.yaml"))), host=host)
    assert engine.evaluate({"n": 3}).to_record()["error"]["code"] == "no_outcome"
    with_default = gap + "default:\n  id: middle\n  label: Middle\n  urgency: review\n"
    engine = Engine(load_ruleset(str(write_ruleset(with_default, "default.yaml"))), host=host)
    rec = engine.evaluate({"n": 3, "a": False}).to_record()
    assert rec["outcome"]["id"] == "middle" and rec["urgency"] == "review"


def test_derived_percentage_over_answered_items(write_ruleset: Write, host: Any) -> None:
    """Oswestry-style: sum of answered sections / (5 x answered) x 100 (LEG-PAIN.md §5)."""
    sections = "".join(
        f"  - {{id: s{i}, type: integer, question: S{i}?, minimum: 0, maximum: 5}}\n" for i in range(1, 4)
    )
    text = MINIMAL.replace("inputs:\n", "inputs:\n" + sections) + (
        "scores:\n"
        "  - id: raw\n    missing: ignore\n    items:\n"
        + "".join(f"      - {{id: i{i}, value: {{fact: s{i}}}}}\n" for i in range(1, 4))
        + "  - id: percent\n    compute: {round: {mul: [100, {div: [{score: raw}, "
        "{mul: [5, {count_answered: [s1, s2, s3]}]}]}]}, digits: 1}\n"
    )
    engine = Engine(load_ruleset(str(write_ruleset(text))), host=host)
    assert engine.evaluate({"s1": 5, "s2": 0, "n": 1, "a": False}).to_record()["scores"] == {
        "raw": 5,
        "percent": 50,
    }
    assert engine.evaluate({"s1": 1, "s2": 2, "s3": 3, "n": 1}).to_record()["scores"]["percent"] == 40
    assert engine.evaluate({"n": 1}).to_record()["scores"]["percent"] is None  # nothing answered: undefined


class Boom:
    def __init__(self, hook: str) -> None:
        self.hook = hook

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Any) -> Any:
        if self.hook == "prepare":
            raise RuntimeError("prepare broke")
        return None

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        if self.hook == "escalate":
            raise RuntimeError("escalate broke")
        if self.hook == "escalate-type":
            return "not a list"
        return None

    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        if self.hook == "finished":
            raise RuntimeError("observer broke")


@pytest.mark.parametrize("hook", ["prepare", "escalate", "escalate-type", "finished"])
def test_a_failing_plugin_makes_an_error_result_that_keeps_red_flags(hook: str) -> None:
    engine = engine_with(("boom", Boom(hook)))
    rec = engine.evaluate(BLADDER).to_record()
    assert rec["status"] == "error" and rec["error"]["code"] == "plugin_error"
    assert "'boom'" in rec["error"]["message"]
    assert flag_ids(rec) == ["bladder_bowel"] and rec["urgency"] == "emergency"


def test_a_failing_scorer_keeps_red_flags() -> None:
    class BadScorer:
        def compile(self, ruleset: Any, compiler: Any) -> Any:
            def score(env: Any, contributions: Any) -> None:
                raise ZeroDivisionError("bad maths")

            return score

    class Plugin:
        @hookimpl
        def rulewright_register_scorers(self, register: Any) -> None:
            register("broken", BadScorer())

    rs = load_ruleset("leg-pain@1.0.0")
    from dataclasses import replace

    engine = Engine(
        replace(rs, scorer="broken"),
        host=make_plugin_host(entrypoints=False, extra=[("bad-scorer", Plugin())]),
    )
    rec = engine.evaluate(BLADDER).to_record()
    assert (
        rec["status"] == "error"
        and "bad-scorer" in rec["error"]["message"]
        and flag_ids(rec) == ["bladder_bowel"]
    )


def test_escalation_raises_urgency_and_cannot_lower_it() -> None:
    class Escalator:
        @hookimpl
        def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
            if facts.get("pain_severe"):
                return [Escalation("severe_pain", "urgent", "Severe pain.")]
            return [{"id": "calm_down", "level": "review", "message": "Tries to lower."}]

    engine = engine_with(("esc", Escalator()))
    severe = {**BLADDER, "bladder_bowel_control": False, "pain_severe": True}
    rec = engine.evaluate(severe).to_record()
    assert rec["urgency"] == "urgent" and rec["red_flags"][0]["source"] == "esc"
    rec = engine.evaluate(BLADDER).to_record()
    assert rec["urgency"] == "emergency" and set(flag_ids(rec)) == {"bladder_bowel", "calm_down"}


def test_duplicate_contribution_names_both_plugins() -> None:
    class Dup:
        @hookimpl
        def rulewright_register_formats(self, register: Any) -> None:
            register("jsonl", object)

    with pytest.raises(
        PluginConflict, match=r"rulewright.plugins.formats.*dup|dup.*rulewright.plugins.formats"
    ):
        make_plugin_host(entrypoints=False, extra=[("dup", Dup())])


def test_misspelt_hook_fails_at_start_up() -> None:
    from pluggy import PluginValidationError

    class Typo:
        @hookimpl
        def rulewright_escalte(self) -> None:
            pass

    with pytest.raises(PluginValidationError):
        make_plugin_host(entrypoints=False, extra=[("typo", Typo())])


def test_evaluate_batch_keeps_order_and_count(leg_pain: Engine) -> None:
    from rulewright.core import InputRecord

    items: list[Any] = [
        BLADDER,
        InputRecord(2, None, ("invalid_json", "bad")),
        {"pain_quality": "purple"},
        {},
    ]
    results = list(leg_pain.evaluate_batch(items))
    assert [r.line for r in results] == [1, 2, 3, 4]
    assert [r.status for r in results] == ["ok", "error", "error", "undetermined"]
    # An unreadable record could not be screened, so its emergency flag is not screened.
    assert results[1].not_screened == ("bladder_bowel",) and results[1].urgency == "review"


def test_explain_trace_agrees_with_the_compiled_result(leg_pain: Engine) -> None:
    import itertools

    for q, p, n in itertools.product(["dull", "sharp", None], ["follows_path", None], [True, None]):
        answers = {"pain_quality": q, "pain_pattern": p, "numbness_tingling_weakness": n}
        plain = leg_pain.evaluate(answers).to_record()
        traced = leg_pain.evaluate(answers, explain=True).to_record()
        assert {k: v for k, v in traced.items() if k != "trace"} == plain
        outcome_steps = {s["id"]: s["value"] for s in traced["trace"] if s["step"] == "outcome"}
        for step in traced["trace"]:
            if "condition" in step:
                assert step["condition"]["value"] == step["value"]
        if plain["outcome"]:
            assert outcome_steps[plain["outcome"]["id"]] is True
