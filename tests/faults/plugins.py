"""Faulty plugins, one per (hook, fault): each raises, returns the wrong type, or tampers.

`FAULTS` is the injection matrix the tests run. Each entry builds a plugin object (or a
ruleset edit that makes the engine call a faulty scorer or operator) named `faulty`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rulewright.core import Escalation, hookimpl


class Boom(Exception):
    pass


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise Boom("injected fault")


# -- per-evaluation hooks ----------------------------------------------------------------------


class PrepareRaises:
    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Mapping[str, Any]) -> Any:
        _raise()


class PrepareWrongType:
    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Mapping[str, Any]) -> Any:
        return ["not", "a", "mapping"]


class PrepareDropsEverything:
    """Returns an empty record: every answer, including the red-flag one, gone."""

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Mapping[str, Any]) -> Any:
        return {}


class PrepareFlipsRedFlagAnswer:
    """Rewrites a true bladder/bowel answer to false: must not hide the red flag."""

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Mapping[str, Any]) -> Any:
        return {**record, "bladder_bowel_control": False} if "bladder_bowel_control" in record else None


class EscalateRaises:
    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        _raise()


class EscalateWrongType:
    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        return "emergency"


class EscalateBadItem:
    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        return [{"id": "x", "level": "catastrophic", "message": "?"}, 42]


class EscalateLowers:
    """Returns a `routine` escalation, as if to calm the case down."""

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        return [Escalation("calm", "routine", "Nothing to see.")]


class EscalateTampers:
    """Mutates the result it was told is read-only: clears red flags, lowers urgency."""

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        result.red_flags.clear()
        result.not_screened.clear()
        result.urgency = "routine"
        return None


class FinishedRaises:
    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        _raise()


class FinishedTampers:
    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        result.red_flags.clear()
        result.not_screened.clear()
        result.urgency = "routine"


class FinishedReplacesFlags:
    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        result.red_flags = []
        result.status = "ok"


# -- contributions: scorers, operators, formats, adapters ---------------------------------------


class _Scorer:
    def __init__(self, fn: Callable[..., Any], compile_raises: bool = False) -> None:
        self.fn = fn
        self.compile_raises = compile_raises

    def compile(self, ruleset: Any, compiler: Any) -> Any:
        if self.compile_raises:
            _raise()
        return self.fn


def _score_string(env: dict[str, Any], contributions: Any) -> None:
    env["nerve_signs"] = "lots"


def _score_deletes_answers(env: dict[str, Any], contributions: Any) -> None:
    env.clear()
    env["nerve_signs"] = 3


def _score_nan(env: dict[str, Any], contributions: Any) -> None:
    env["nerve_signs"] = float("nan")


class ScorerPlugin:
    def __init__(self, scorer: _Scorer) -> None:
        self.scorer = scorer

    @hookimpl
    def rulewright_register_scorers(self, register: Callable[[str, Any], None]) -> None:
        register("faulty", self.scorer)


class OperatorPlugin:
    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self.fn = fn

    @hookimpl
    def rulewright_register_operators(self, register: Callable[[str, Any], None]) -> None:
        register("faulty_op", self.fn)


class _Truthless:
    def __bool__(self) -> bool:
        raise Boom("no truth value")


class FormatPlugin:
    def __init__(self, where: str) -> None:
        self.where = where

    @hookimpl
    def rulewright_register_formats(self, register: Callable[[str, Any], None]) -> None:
        where = self.where

        class Writer:
            def __init__(self, stream: Any, options: Any) -> None:
                if where == "factory":
                    _raise()
                self.stream = stream
                self.count = 0

            def write(self, result: Any) -> None:
                self.count += 1
                if where == "write" and self.count == 2:
                    _raise()
                if where == "write-always":
                    _raise()
                self.stream.write(f"{result.to_record()['input']['line']}\n")

            def close(self) -> None:
                if where == "close":
                    _raise()

        register("faulty", Writer)


class AdapterPlugin:
    def __init__(self, where: str) -> None:
        self.where = where

    @hookimpl
    def rulewright_register_input_adapters(self, register: Callable[[str, Any], None]) -> None:
        where = self.where

        class Adapter:
            extensions = (".faulty",)

            def read(self, stream: Any, ruleset: Any, options: Any) -> Any:
                from rulewright.core import InputRecord

                if where == "start":
                    _raise()
                yield InputRecord(1, {"bladder_bowel_control": True})
                if where == "wrong-type":
                    yield {"bladder_bowel_control": True}  # a bare mapping, not an InputRecord
                    yield None
                    return
                _raise()

        register("faulty", Adapter())


class LintRaises:
    @hookimpl
    def rulewright_validate_ruleset(self, ruleset: Any, report: Any) -> None:
        _raise()


class LintBadReport:
    @hookimpl
    def rulewright_validate_ruleset(self, ruleset: Any, report: Any) -> None:
        report("odd", "a finding at a path that does not exist", path=("nowhere", 99), severity="bogus")


# -- the matrix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    hook: str
    kind: str  # raises | wrong-type | tampers
    plugin: Callable[[], object]
    # A ruleset edit (text replacements on leg-pain) that makes the engine call the plugin.
    edit: tuple[tuple[str, str], ...] = ()
    # A well-behaved stand-in, for the run the faulty one is compared with.
    clean: Callable[[], object] = object

    @property
    def id(self) -> str:
        return f"{self.hook}-{self.kind}"


SCORER_EDIT = (("hit_policy: first", "scoring: faulty\nhit_policy: first"),)
OPERATOR_FLAG = (
    (
        "hit_policy: first",
        "hit_policy: first",
    ),
    (
        "red_flags:\n",
        "red_flags:\n  - id: faulty_flag\n    level: urgent\n    when: {fact: pain_quality, op: faulty_op, value: x}\n"
        "    message: A flag whose operator fails.\n    action: None.\n    references: [dunson]\n",
    ),
)


def _good_scorer() -> object:
    from rulewright.plugins.scoring import WeightedSum

    return ScorerPlugin(WeightedSum())  # type: ignore[arg-type]


def _good_operator() -> object:
    return OperatorPlugin(lambda answer, value: answer == value)


# Faults whose effect is absorbed: the plugin's change cannot reach a result, so no error is due.
ABSORBED = {"prepare_facts-drops-answers", "prepare_facts-flips-red-flag", "scorer-tampers"}

EVALUATION_FAULTS = [
    Fault("prepare_facts", "raises", PrepareRaises),
    Fault("prepare_facts", "wrong-type", PrepareWrongType),
    Fault("prepare_facts", "drops-answers", PrepareDropsEverything),
    Fault("prepare_facts", "flips-red-flag", PrepareFlipsRedFlagAnswer),
    Fault("escalate", "raises", EscalateRaises),
    Fault("escalate", "wrong-type", EscalateWrongType),
    Fault("escalate", "bad-item", EscalateBadItem),
    Fault("escalate", "lowers", EscalateLowers),
    Fault("escalate", "tampers", EscalateTampers),
    Fault("evaluation_finished", "raises", FinishedRaises),
    Fault("evaluation_finished", "tampers", FinishedTampers),
    Fault("evaluation_finished", "replaces-flags", FinishedReplacesFlags),
    Fault("scorer", "raises", lambda: ScorerPlugin(_Scorer(_raise)), SCORER_EDIT, _good_scorer),
    Fault("scorer", "wrong-type", lambda: ScorerPlugin(_Scorer(_score_string)), SCORER_EDIT, _good_scorer),
    Fault("scorer", "nan", lambda: ScorerPlugin(_Scorer(_score_nan)), SCORER_EDIT, _good_scorer),
    Fault(
        "scorer", "tampers", lambda: ScorerPlugin(_Scorer(_score_deletes_answers)), SCORER_EDIT, _good_scorer
    ),
    Fault("operator", "raises", lambda: OperatorPlugin(_raise), OPERATOR_FLAG, _good_operator),
    Fault(
        "operator",
        "wrong-type",
        lambda: OperatorPlugin(lambda a, v: _Truthless()),
        OPERATOR_FLAG,
        _good_operator,
    ),
]


class CommandPlugin:
    """Registers a command that raises, and something that is not a command at all."""

    @hookimpl
    def rulewright_register_commands(self, register: Callable[[str, Any], None]) -> None:
        import click

        @click.command("boom")
        def boom() -> None:
            _raise()

        register("boom", boom)
        register("not_a_command", 42)
