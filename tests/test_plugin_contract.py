"""Plugins cannot weaken a result (issue 19): each test is an ordinary plugin with an ordinary bug.

Every plugin here is written the way a plugin author would write it, bug included; the engine
must keep the red flags and urgency the core found, whatever the plugin does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rulewright.core import (
    LEVEL_RANK,
    Engine,
    EngineError,
    Escalation,
    Result,
    hookimpl,
    load_ruleset,
    make_plugin_host,
)
from rulewright.core.cli import cli
from rulewright.core.cli.app import App
from rulewright.core.model.loader import resolve
from rulewright.core.model.schemas import validator

EMERGENCY = {
    "id": "p-1",
    "pain_quality": "dull",
    "pain_pattern": "moves_around",
    "numbness_tingling_weakness": False,
    "bladder_bowel_control": True,
}
NERVE = {
    "id": "p-2",
    "pain_quality": "sharp",
    "pain_pattern": "follows_path",
    "numbness_tingling_weakness": True,
    "bladder_bowel_control": False,
}


def engine_with(*plugins: tuple[str, object], ruleset: Any = "leg-pain@1.0.0") -> Engine:
    host = make_plugin_host(entrypoints=False, extra=plugins)
    return Engine(load_ruleset(ruleset) if isinstance(ruleset, str) else ruleset, host=host)


def leg_pain_with(tmp_path: Path, flag: str) -> Any:
    """leg-pain 1.0.0 with one more red flag (YAML lines under `red_flags:`)."""
    text = resolve("leg-pain@1.0.0")[1].decode("utf-8").replace("red_flags:\n", "red_flags:\n" + flag, 1)
    path = tmp_path / "leg-pain.yaml"
    path.write_text(text, encoding="utf-8")
    return load_ruleset(str(path))


SHOOTING_FLAG = (
    "  - id: shooting\n    level: emergency\n"
    "    when: {fact: pain_quality, op: starts_with, value: sh}\n"
    "    message: Shooting pain.\n    action: Call.\n    references: [dunson]\n"
)


def flag_ids(result: Result) -> list[str]:
    return [flag.id for flag in result.red_flags]


def assert_plugin_failure(result: Result, plugin: str) -> None:
    """The one shape of a plugin failure (docs/integrators/README.md, schemas/result.schema.json)."""
    record = result.to_record()
    assert list(validator("result").iter_errors(record)) == []
    assert record["status"] == "error" and record["error"]["code"] == "plugin_error"
    assert repr(plugin) in record["error"]["message"]
    assert record["outcome"] is None
    assert record["scores"] == {} and record["missing"] == [] and record["recommendations"] == []
    assert LEVEL_RANK[record["urgency"]] >= LEVEL_RANK["review"]


# -- prepare_facts -----------------------------------------------------------------------------


class YesNoAnswers:
    """Converts yes/no answers in place, and forgets that the hook wants a new mapping back."""

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Any) -> None:
        for key in ("bladder_bowel_control", "numbness_tingling_weakness"):
            if key in record:
                record[key] = record[key] == "yes"


def test_prepare_facts_converting_answers_in_place_hides_no_red_flag() -> None:
    engine = engine_with(("yes-no", YesNoAnswers()))
    case = dict(EMERGENCY)
    result = engine.evaluate(case)
    assert "bladder_bowel" in flag_ids(result) and result.urgency == "emergency"
    assert_plugin_failure(result, "yes-no")
    assert case == EMERGENCY  # the caller's dict is never changed


def test_prepare_facts_sees_a_read_only_copy_of_nested_answers() -> None:
    seen: list[Any] = []

    class Appends:
        @hookimpl
        def rulewright_prepare_facts(self, ruleset: Any, record: Any) -> None:
            seen.append(record["symptoms"])
            record["symptoms"].append("tingling")

    case = {"symptoms": ["numbness"]}
    result = engine_with(("appends", Appends())).evaluate(case)
    assert case == {"symptoms": ["numbness"]} and seen
    assert_plugin_failure(result, "appends")


# -- operators -----------------------------------------------------------------------------------


class Operators:
    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self.fn = fn

    @hookimpl
    def rulewright_register_operators(self, register: Any) -> None:
        register("starts_with", self.fn)


def forgets_return(answer: Any, value: Any) -> Any:
    answer.startswith(value)  # the bug: no `return`


def test_operator_that_forgets_return_leaves_its_red_flag_not_screened(tmp_path: Path) -> None:
    ruleset = leg_pain_with(tmp_path, SHOOTING_FLAG)
    result = engine_with(("ops", Operators(forgets_return)), ruleset=ruleset).evaluate(NERVE)
    assert "shooting" in result.not_screened  # cannot tell is not "absent"
    assert LEVEL_RANK[result.urgency] >= LEVEL_RANK["review"]
    assert result.status != "error"  # None is allowed: it means "cannot tell"


def test_an_urgent_flag_an_operator_cannot_tell_about_needs_a_review(tmp_path: Path) -> None:
    ruleset = leg_pain_with(tmp_path, SHOOTING_FLAG.replace("level: emergency", "level: urgent"))
    engine = engine_with(("ops", Operators(forgets_return)), ruleset=ruleset)
    routine = {**NERVE, "pain_pattern": "moves_around", "numbness_tingling_weakness": False}
    result = engine.evaluate(routine)
    assert "shooting" in result.not_screened and result.urgency == "review"
    unanswered = engine.evaluate({k: v for k, v in routine.items() if k != "pain_quality"})
    assert "shooting" in unanswered.not_screened  # unanswered: asking is the remedy, as before


@pytest.mark.parametrize("returned", ["yes", 1, "", 0, [True]])
def test_operator_returning_something_other_than_a_bool_is_a_plugin_error(
    returned: Any, tmp_path: Path
) -> None:
    ruleset = leg_pain_with(tmp_path, SHOOTING_FLAG)
    engine = engine_with(("ops", Operators(lambda answer, value: returned)), ruleset=ruleset)
    result = engine.evaluate(EMERGENCY)
    assert_plugin_failure(result, "ops")
    assert "shooting" in result.not_screened and "shooting" not in flag_ids(result)
    assert "bladder_bowel" in flag_ids(result) and result.urgency == "emergency"


def test_operator_answering_true_or_false_screens_its_flag(tmp_path: Path) -> None:
    ruleset = leg_pain_with(tmp_path, SHOOTING_FLAG)
    engine = engine_with(("ops", Operators(lambda answer, value: answer.startswith(value))), ruleset=ruleset)
    assert "shooting" in flag_ids(engine.evaluate(NERVE)) and engine.evaluate(NERVE).status == "ok"
    assert "shooting" not in engine.evaluate(EMERGENCY).not_screened


# -- results are immutable: observers, escalations, formats -----------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda r: setattr(r, "id", "another-patient"),
        lambda r: setattr(r, "recommendations", ("Rest.",)),
        lambda r: r.missing.append("pain_pattern"),
        lambda r: r.ruleset.update(version="9.9.9"),
        lambda r: r.ruleset.__setitem__("fingerprint", "sha256:forged"),
        lambda r: r.scores.clear(),
    ],
    ids=["id", "recommendations", "missing", "ruleset-version", "ruleset-fingerprint", "scores"],
)
def test_an_observer_cannot_change_a_result(change: Callable[[Result], None]) -> None:
    class Tidy:
        @hookimpl
        def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
            change(result)

    engine = engine_with(("tidy", Tidy()))
    clean = Engine(load_ruleset("leg-pain@1.0.0"), host=make_plugin_host(entrypoints=False))
    results = list(engine.evaluate_batch([EMERGENCY, NERVE, {**NERVE, "id": "p-3"}]))
    for result, case in zip(results, [EMERGENCY, NERVE, {**NERVE, "id": "p-3"}], strict=True):
        assert_plugin_failure(result, "tidy")
        assert result.id == case["id"]
        assert dict(result.ruleset) == dict(clean.evaluate(case).ruleset)
        assert flag_ids(result) == flag_ids(clean.evaluate(case))


def test_an_escalation_cannot_change_the_result_it_is_shown() -> None:
    class Calm:
        @hookimpl
        def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> None:
            result.red_flags.clear()

    class Rewrites:
        @hookimpl
        def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> None:
            facts["bladder_bowel_control"] = False

    for name, plugin in (("calm", Calm()), ("rewrites", Rewrites())):
        result = engine_with((name, plugin)).evaluate(EMERGENCY)
        assert_plugin_failure(result, name)
        assert flag_ids(result) == ["bladder_bowel"] and result.urgency == "emergency"


def test_an_escalation_may_not_reuse_a_red_flag_id() -> None:
    class Echo:
        @hookimpl
        def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
            return [Escalation("bladder_bowel", "review", "Ask about continence again.")]

    result = engine_with(("echo", Echo())).evaluate(EMERGENCY)
    assert_plugin_failure(result, "echo")
    assert flag_ids(result) == ["bladder_bowel"] and result.red_flags[0].level == "emergency"
    assert result.urgency == "emergency"


def test_two_escalations_may_not_share_an_id() -> None:
    class Twice:
        @hookimpl
        def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
            return [Escalation("falls", "urgent", "Falls."), Escalation("falls", "review", "Falls again.")]

    result = engine_with(("twice", Twice())).evaluate(NERVE)
    assert_plugin_failure(result, "twice")
    assert "falls" not in flag_ids(result)


@pytest.mark.parametrize(
    "returned",
    [
        [Escalation(7, "urgent", None)],  # type: ignore[arg-type]
        [{"id": "falls", "level": "urgent", "message": None}],
        [{"id": "", "level": "urgent", "message": "Falls."}],
        [Escalation("falls", "urgent", "Falls.", action=["call"])],  # type: ignore[arg-type]
    ],
)
def test_an_escalation_with_fields_that_are_not_text_is_a_plugin_error(returned: Any) -> None:
    # Before: status ok with a record that fails the result schema, and every FHIR, CDS Hooks
    # or CSV writer stopping at it, emergencies of the same batch included.
    class Sloppy:
        @hookimpl
        def rulewright_escalate(self, facts: Any) -> Any:
            return returned

    result = engine_with(("sloppy", Sloppy())).evaluate(EMERGENCY)
    assert_plugin_failure(result, "sloppy")
    assert flag_ids(result) == ["bladder_bowel"] and result.urgency == "emergency"
    assert list(validator("result").iter_errors(result.to_record())) == []


class _MutatingWriter:
    """A format that resets the urgency after writing, as if results were its own scratch space."""

    @hookimpl
    def rulewright_register_formats(self, register: Any) -> None:
        class Writer:
            def __init__(self, stream: Any, options: Any) -> None:
                self.stream = stream

            def write(self, result: Any) -> None:
                self.stream.write(json.dumps(result.to_record()) + "\n")
                result.urgency = "routine"

            def close(self) -> None:
                pass

        register("scratch", Writer)


def test_a_format_cannot_change_the_urgency_summary(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(json.dumps(c) for c in (EMERGENCY, NERVE, EMERGENCY)) + "\n", encoding="utf-8")
    host = make_plugin_host(entrypoints=False, extra=[("scratch", _MutatingWriter())])
    run = CliRunner().invoke(
        cli, ["evaluate", "leg-pain@1.0.0", str(data), "--format", "scratch"], obj=App(_host=host)
    )
    assert "emergency 0" not in run.stderr  # never a summary of what the format made of results
    assert run.exit_code == 2 and "failed twice" in run.stderr, run.output


# -- pluggy's own semantics -----------------------------------------------------------------------


def test_hook_implementations_may_take_fewer_arguments_than_the_spec() -> None:
    seen: list[Any] = []

    class Audit:
        @hookimpl
        def rulewright_evaluation_finished(self, result: Any) -> None:
            seen.append(result.id)

        @hookimpl
        def rulewright_escalate(self, facts: Any) -> Any:
            return (
                [Escalation("numb", "urgent", "Numbness.")]
                if facts.get("numbness_tingling_weakness")
                else None
            )

        @hookimpl
        def rulewright_prepare_facts(self, record: Any) -> None:
            return None

    results = list(engine_with(("audit", Audit())).evaluate_batch([EMERGENCY, NERVE]))
    assert seen == ["p-1", "p-2"]
    assert [r.status for r in results] == ["ok", "ok"]
    assert flag_ids(results[1]) == ["numb"] and results[1].urgency == "urgent"


def test_tryfirst_and_trylast_set_the_order_hooks_run_in() -> None:
    order: list[str] = []

    def observer(name: str, **marks: bool) -> object:
        class Observer:
            @hookimpl(**marks)
            def rulewright_evaluation_finished(self, result: Any) -> None:
                order.append(name)

        return Observer()

    engine = engine_with(
        ("last", observer("last", trylast=True)),
        ("first", observer("first", tryfirst=True)),
        ("plain", observer("plain")),
    )
    engine.evaluate(NERVE)
    assert order == ["first", "plain", "last"]


@pytest.mark.parametrize("marker", ["wrapper", "hookwrapper"])
def test_hook_wrappers_are_refused_with_a_clear_message(marker: str) -> None:
    class Timing:
        @hookimpl(**{marker: True})
        def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
            return (yield)

    with pytest.raises(
        EngineError, match=f"'timing' implements rulewright_escalate as a hook wrapper \\({marker}"
    ):
        engine_with(("timing", Timing()))


def test_level_rank_is_read_only() -> None:
    with pytest.raises(TypeError):
        LEVEL_RANK["routine"] = 9  # type: ignore[index]
    assert LEVEL_RANK["routine"] < LEVEL_RANK["emergency"]


# -- one shape for a plugin failure, whichever hook failed ------------------------------------------


class _Boom(Exception):
    pass


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise _Boom("down")


class _Scorer:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def compile(self, ruleset: Any, compiler: Any) -> Any:
        return self.fn

    @hookimpl
    def rulewright_register_scorers(self, register: Any) -> None:
        register("weighted-sum-2", self)


class _Hooks:
    def __init__(self, hook: str) -> None:
        self.hook = hook

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Any) -> Any:
        return _boom() if self.hook == "prepare" else None

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        return _boom() if self.hook == "escalate" else None

    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        if self.hook == "finished":
            _boom()


def _failing(hook: str, tmp_path: Path) -> Engine:
    if hook == "operator":
        return engine_with(("faulty", Operators(_boom)), ruleset=leg_pain_with(tmp_path, SHOOTING_FLAG))
    if hook in ("scorer", "scorer-forgets"):
        fn = _boom if hook == "scorer" else (lambda env, contributions: None)
        text = (
            resolve("leg-pain@1.0.0")[1]
            .decode("utf-8")
            .replace("hit_policy: first", "scoring: weighted-sum-2\nhit_policy: first", 1)
        )
        path = tmp_path / "scored.yaml"
        path.write_text(text, encoding="utf-8")
        return engine_with(("faulty", _Scorer(fn)), ruleset=load_ruleset(str(path)))
    return engine_with(("faulty", _Hooks(hook)))


@pytest.mark.parametrize("hook", ["prepare", "operator", "scorer", "scorer-forgets", "escalate", "finished"])
def test_a_plugin_failure_has_one_shape_whichever_hook_failed(hook: str, tmp_path: Path) -> None:
    engine = _failing(hook, tmp_path)
    for case in (EMERGENCY, NERVE, {"pain_quality": "dull"}):
        result = engine.evaluate(case)
        assert_plugin_failure(result, "faulty")
        if case is EMERGENCY:
            assert "bladder_bowel" in flag_ids(result) and result.urgency == "emergency"
        if "bladder_bowel_control" not in case:
            assert "bladder_bowel" in result.not_screened


def test_cached_decisions_give_each_case_the_escalations_a_full_evaluation_gives() -> None:
    class ByCase:
        @hookimpl
        def rulewright_escalate(self, facts: Any, result: Any) -> Any:
            if facts.get("numbness_tingling_weakness") and str(result.id).endswith("3"):
                return [Escalation("numb", "urgent", "Numbness.")]
            return None

    host = make_plugin_host(entrypoints=False, extra=[("by-case", ByCase())])
    ruleset = load_ruleset("leg-pain@1.0.0")
    cached, full = Engine(ruleset, host=host), Engine(ruleset, host=host, memoize=False)
    cases = [{**case, "id": f"p-{n}"} for n in range(6) for case in (EMERGENCY, NERVE)]
    assert [r.to_json() for r in cached.evaluate_batch(cases)] == [
        r.to_json() for r in full.evaluate_batch(cases)
    ]
    assert cached._cache is not None and len(cached._cache.decisions) == 2  # decided twice, reused
    assert [flag_ids(r) for r in cached.evaluate_batch(cases[6:8])] == [["bladder_bowel"], ["numb"]]


def test_explain_reads_a_failing_operator_as_unknown(tmp_path: Path) -> None:
    for fn in (_boom, lambda answer, value: "yes", forgets_return):
        engine = engine_with(("ops", Operators(fn)), ruleset=leg_pain_with(tmp_path, SHOOTING_FLAG))
        result = engine.evaluate(NERVE, explain=True)
        assert result.trace is not None
        [step] = [s for s in result.trace if s.get("id") == "shooting"]
        assert step["value"] is None and step["condition"]["value"] is None


@pytest.mark.parametrize("hook", ["prepare", "escalate", "finished", "by-case"])
def test_the_fast_lane_with_per_case_hooks_writes_what_the_general_path_writes(
    hook: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import data

    class ByCase:
        """Escalates some cases by their id, rewrites answers of others, fails on a few."""

        @hookimpl
        def rulewright_prepare_facts(self, record: Any) -> Any:
            return {**record, "pain_severe": True} if str(record.get("id")).endswith("7") else None

        @hookimpl
        def rulewright_escalate(self, facts: Any, result: Any) -> Any:
            if str(result.id).endswith("3"):
                raise _Boom("down")
            return [Escalation("by_id", "urgent", "By id.")] if str(result.id).endswith("5") else None

    source = tmp_path / "cases.jsonl"
    data.write(str(source), 3000)
    plugin = ByCase() if hook == "by-case" else _Hooks(hook)
    recalled, calls = Engine.recalled, []

    def spy(self: Engine, *args: Any) -> Any:
        calls.append(1)
        return recalled(self, *args)

    monkeypatch.setattr(Engine, "recalled", spy)
    outputs = []
    for lane in ("1", "0"):
        monkeypatch.setenv("RULEWRIGHT_FAST_LANE", lane)
        host = make_plugin_host(entrypoints=False, extra=[("faulty", plugin)])
        target = tmp_path / f"out-{lane}.jsonl"
        run = CliRunner().invoke(
            cli, ["evaluate", "leg-pain@1.0.0", str(source), "-o", str(target)], obj=App(_host=host)
        )
        assert run.exit_code in (0, 1), run.output
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 3000
    if hook != "prepare":  # a prepare_facts that fails on every case leaves nothing to cache
        assert len(calls) > 2000  # the lane answered most cases, running the hooks for each
