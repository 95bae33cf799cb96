"""The engine: compile a ruleset once, then evaluate cases with it.

Per case: type-check answers -> screen red flags (core, before any plugin) -> scores (the
ruleset's scorer plugin) -> outcome by hit policy -> escalations (plugins, may only raise
urgency) -> observers. Any plugin failure turns the case into an `error` result that still
carries every red flag the core found.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping
from operator import attrgetter
from typing import Any

from rulewright.core.evaluate.compiler import Compiler, OperatorError
from rulewright.core.evaluate.decisions import DecisionCache
from rulewright.core.evaluate.explain import explain as explain_condition
from rulewright.core.evaluate.inputs import InputChecker
from rulewright.core.evaluate.records import InputRecord
from rulewright.core.evaluate.result import ErrorInfo, Escalation, OutcomeRef, RedFlagHit, Result, json_safe
from rulewright.core.hooks.host import DEFAULT_PLUGINS, PluginHost, make_plugin_host
from rulewright.core.model import ruleset as m
from rulewright.core.model.refs import fact_deps
from rulewright.core.model.ruleset import CONFIDENCE_RANK, LEVEL_RANK, LEVELS
from rulewright.core.version import __version__

DECISION_CACHE_ENV = "RULEWRIGHT_DECISION_CACHE"
"""Set to 0 to turn the decision cache off (for measuring it, or to rule it out)."""

_REVIEW = LEVEL_RANK["review"]
_EMERGENCY = LEVEL_RANK["emergency"]


class EngineError(Exception):
    """The engine cannot be built for this ruleset (e.g. its scorer is not installed)."""


class PluginError(Exception):
    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r} {message}")
        self.plugin = plugin


class Engine:
    """A compiled ruleset. `evaluate` and `evaluate_batch` are pure and deterministic."""

    def __init__(
        self,
        ruleset: m.Ruleset,
        *,
        host: PluginHost | None = None,
        id_field: str | None = "id",
        memoize: bool | None = None,
        record_input: bool = False,
    ) -> None:
        self.ruleset = ruleset
        self.record_input = record_input  # copy each record into its result, for `rules replay`
        self.host = host if host is not None else make_plugin_host()
        self.id_field = id_field
        registry = self.host.registry
        scorer = registry.items["scorers"].get(ruleset.scorer)
        if scorer is None:
            known = ", ".join(sorted(registry.items["scorers"])) or "none"
            raise EngineError(
                f"ruleset {ruleset.ref} uses scorer {ruleset.scorer!r}, which no plugin provides (installed: {known})"
            )
        self.compiler = Compiler(ruleset, registry.items["operators"])
        self._scorer_owner = registry.owners["scorers"][ruleset.scorer]
        self._score = scorer.compile(ruleset, self.compiler)
        self._check = InputChecker(ruleset, id_field)
        self._flags = [
            (
                flag,
                self.compiler.condition(flag.when),
                LEVEL_RANK[flag.level],
                RedFlagHit(flag.id, flag.level, flag.message, flag.action),
            )
            for flag in ruleset.red_flags
        ]
        self._outcomes = [
            (o, self.compiler.condition(o.when)) for o in ruleset.outcomes if o.when is not None
        ]
        self._default = ruleset.default
        self._raises = {
            o.id: [(r, self.compiler.condition(r.when)) for r in o.confidence_when]
            for o in [*ruleset.outcomes, *([ruleset.default] if ruleset.default else [])]
            if o.confidence_when
        }
        self._unique = ruleset.hit_policy == "unique"
        self._score_ids = tuple(s.id for s in ruleset.scores)
        self._deps = {o.id: fact_deps(o.when, ruleset) for o in ruleset.outcomes}
        self._inputs = tuple(i.id for i in ruleset.inputs)
        self._prepare = self.host.impls("rulewright_prepare_facts")
        self._escalate = self.host.impls("rulewright_escalate")
        self._finished = self.host.impls("rulewright_evaluation_finished")
        self._ref = {"id": ruleset.id, "version": ruleset.version, "fingerprint": ruleset.fingerprint}
        self.components = [f"scorer:{ruleset.scorer}"] + [f"escalate:{name}" for name, _ in self._escalate]
        self._cache = DecisionCache(self._inputs, id_field) if self._memoizable(memoize) else None

    def _memoizable(self, memoize: bool | None) -> bool:
        """Cache decisions by answers only when that cannot change a result.

        The decision (red flags, scores, outcome, escalations) is a pure function of the answers
        when every component that takes part is a built-in and no plugin rewrites the answers
        (`rulewright_prepare_facts`). A set input is answered with a list, which cannot key the
        cache (`decisions.py`), so such rulesets are evaluated in full. Observers
        (`rulewright_evaluation_finished`) still run for every case.
        """
        if memoize is None:
            memoize = os.environ.get(DECISION_CACHE_ENV, "1") != "0"
        owners = self.host.registry.owners
        return (
            memoize
            and not self._prepare
            and all(i.type != "set" for i in self.ruleset.inputs)
            and owners["scorers"][self.ruleset.scorer] in DEFAULT_PLUGINS
            and all(owner in DEFAULT_PLUGINS for owner in owners["operators"].values())
            and all(name in DEFAULT_PLUGINS for name, _ in self._escalate)
        )

    # -- public API --------------------------------------------------------------------------

    @property
    def decisions(self) -> DecisionCache | None:
        """The decision cache, when a batch writer may answer a case from it without a `Result`.

        None when every case needs its own: decisions are not cached for this ruleset and
        plugins, an observer (`rulewright_evaluation_finished`) must see each result, or each
        result carries its record (`record_input`). `rules evaluate` uses it for JSON Lines.
        """
        if self._cache is None or self._finished or self.record_input:
            return None
        return self._cache

    def evaluate(
        self,
        record: Mapping[str, Any],
        *,
        line: int | None = None,
        row: int | None = None,
        explain: bool = False,
    ) -> Result:
        """Evaluate one case (a mapping of input id -> answer; the id field is carried, not read)."""
        if type(record) is not dict and not isinstance(record, Mapping):
            result = self._new(line, None, row)
            return self._unreadable(
                result, "not_an_object", f"a record must be a JSON object, not {_json_type(record)}"
            )
        record_id = record.get(self.id_field) if self.id_field else None
        cache = self._cache if not explain else None
        known = cache.recall(record) if cache is not None else None
        if known is not None:
            result = known.result(line, record_id, row)
            if self.record_input:
                result.recorded = json_safe(record)
            return self._finish(result, known.rank)
        result = self._new(line, record_id, row)
        if self.record_input:
            result.recorded = json_safe(record)
        trace: list[dict[str, Any]] | None = [] if explain else None
        result.trace = trace
        given = record
        for name, fn in self._prepare:
            try:
                prepared = fn(ruleset=self.ruleset, record=record)
            except Exception as exc:
                prepared = exc
            if prepared is not None and not isinstance(prepared, Mapping):
                if not isinstance(prepared, Exception):
                    prepared = TypeError(
                        f"rulewright_prepare_facts returned {_json_type(prepared)}, not a mapping"
                    )
                # Screen the record as it came in, so the failure hides no red flag.
                rank = self._screen(result, self._check.check(given)[0], trace)
                return self._finish(result, self._fail_plugin(result, rank, name, prepared))
            if prepared is not None:
                record = prepared
        facts, problems = self._check.check(record)
        if cache is not None and not problems:
            rank = self._decide_case(result, facts, None)
            cache.keep(record, result, rank)
            return self._finish(result, rank)
        rank = self._screen(result, facts, trace)
        if record is not given:
            rank = max(rank, self._screen_given(result, given))
        if problems:
            first = problems[0]
            message = "; ".join(p.message for p in problems)
            result.status = "error"
            result.error = ErrorInfo(first.code, message, first.path)
            return self._finish(result, rank)
        return self._finish(result, self._decide_case(result, facts, trace, rank))

    def _decide_case(
        self,
        result: Result,
        facts: dict[str, Any],
        trace: list[dict[str, Any]] | None,
        rank: int | None = None,
    ) -> int:
        """Red flags (unless screened already), scores, outcome and escalations for checked answers."""
        if rank is None:
            rank = self._screen(result, facts, trace)
        contributions: list[dict[str, Any]] | None = [] if trace is not None else None
        env = dict(facts)  # the scorer may write scores; it cannot change the answers
        try:
            self._score(env, contributions)
            for sid in self._score_ids:
                facts[sid] = _checked_score(sid, env.get(sid))
        except Exception as exc:
            return self._fail_plugin(result, rank, self._scorer_owner, exc)
        result.scores = {sid: facts.get(sid) for sid in self._score_ids}
        if trace is not None:
            for sid in self._score_ids:
                trace.append(
                    {
                        "step": "score",
                        "id": sid,
                        "value": result.to_record()["scores"][sid],
                        "contributions": [c for c in contributions or () if c.get("score") == sid],
                    }
                )
        try:
            rank = max(rank, self._decide(result, facts, trace))
        except OperatorError as exc:
            return self._fail_plugin(result, rank, self._operator_owner(exc), exc)
        if self._escalate:
            try:
                rank = self._escalations(result, facts, rank, trace)
            except PluginError as exc:
                result.status = "error"
                result.error = ErrorInfo("plugin_error", str(exc), None)
        return rank

    def evaluate_batch(
        self, records: Iterable[Mapping[str, Any] | InputRecord], *, explain: bool = False
    ) -> Iterator[Result]:
        """Evaluate records in order, one result per record; unreadable records become error results."""
        evaluate = self.evaluate
        for n, item in enumerate(records, 1):
            if type(item) is InputRecord:
                if item.error is not None:
                    result = self._new(item.line, item.id, item.row)
                    yield self._unreadable(result, *item.error, answers=item.data)
                else:
                    yield evaluate(item.data, line=item.line, row=item.row, explain=explain)  # type: ignore[arg-type]
            else:
                yield evaluate(item, line=n, explain=explain)  # type: ignore[arg-type]

    # -- steps -------------------------------------------------------------------------------

    def _new(self, line: int | None, record_id: Any, row: int | None) -> Result:
        return Result(
            self._ref,
            "ok",
            "routine",
            line=line,
            id=record_id,
            row=row,
            engine=__version__,
            plugins=self.components,
        )

    def _screen(self, result: Result, facts: Mapping[str, Any], trace: list[dict[str, Any]] | None) -> int:
        """Screen every red flag (core, before any plugin). Returns the urgency rank so far."""
        rank = 0
        failed: OperatorError | None = None
        for flag, fn, level, hit in self._flags:
            try:
                value = fn(facts)
            except OperatorError as exc:
                value, failed = None, exc  # not screened, and the case becomes an error below
            if value is True:
                result.red_flags.append(hit)
                if level > rank:
                    rank = level
            elif value is None:
                result.not_screened.append(flag.id)
                # A flag we could not screen is not a flag we ruled out.
                if level == _EMERGENCY and rank < _REVIEW:
                    rank = _REVIEW
            if trace is not None:
                trace.append(
                    {
                        "step": "red_flag",
                        "id": flag.id,
                        "level": flag.level,
                        "value": value,
                        "condition": explain_condition(flag.when, facts, self.compiler),
                    }
                )
        if failed is not None:
            self._plugin_failed(result, self._operator_owner(failed), str(failed))
        return rank

    def _screen_given(self, result: Result, given: Mapping[str, Any]) -> int:
        """Red flags that fire on the answers as given but not on what `prepare_facts` made of them.

        A plugin may rename or convert answers; it may not make a red flag disappear.
        """
        rank = 0
        facts = self._check.check(given)[0]
        for flag, fn, level, hit in self._flags:
            if hit in result.red_flags:
                continue
            try:
                fires = fn(facts) is True
            except OperatorError:
                fires = False
            if fires:
                result.red_flags.append(hit)
                if flag.id in result.not_screened:
                    result.not_screened.remove(flag.id)
                rank = max(rank, level)
        return rank

    def _operator_owner(self, exc: OperatorError) -> str:
        return self.host.registry.owners["operators"].get(exc.operator, exc.operator)

    @staticmethod
    def _plugin_failed(result: Result, plugin: str, message: str) -> None:
        """Mark the case as an error naming `plugin`, keeping an error it already had."""
        text = f"plugin {plugin!r} {message}" if not message.startswith("plugin ") else message
        result.status = "error"
        if result.error is None:
            result.error = ErrorInfo("plugin_error", text)
        elif text not in result.error.message:
            result.error = ErrorInfo(result.error.code, f"{result.error.message}; {text}", result.error.path)

    def _decide(self, result: Result, env: Mapping[str, Any], trace: list[dict[str, Any]] | None) -> int:
        """Apply the hit policy; an outcome is decided only if no missing answer could change it."""
        chosen: m.Outcome | None = None
        unknown: list[m.Outcome] = []
        matched: list[m.Outcome] = []
        for outcome, fn in self._outcomes:
            value = fn(env)
            if trace is not None:
                trace.append(
                    {
                        "step": "outcome",
                        "id": outcome.id,
                        "value": value,
                        "condition": explain_condition(outcome.when, env, self.compiler),  # type: ignore[arg-type]
                    }
                )
            if value is True:
                matched.append(outcome)
                if not self._unique:
                    break
            elif value is None:
                unknown.append(outcome)
        if unknown:
            result.status = "undetermined"
            missing: set[str] = set()
            for outcome in unknown:
                missing |= self._deps[outcome.id]
            result.missing = sorted(n for n in missing if env.get(n) is None)
            return 0
        if len(matched) > 1:
            ids = ", ".join(o.id for o in matched)
            result.status = "error"
            result.error = ErrorInfo(
                "overlapping_outcomes", f"hit policy 'unique' but several outcomes match: {ids}", None
            )
            return 0
        chosen = matched[0] if matched else self._default
        if chosen is None:
            result.status = "error"
            result.error = ErrorInfo(
                "no_outcome", "no outcome matches these answers and the ruleset has no default", None
            )
            return 0
        result.outcome = OutcomeRef(chosen.id, chosen.label, self._confidence(chosen, env, trace))
        result.recommendations = chosen.recommendations
        if trace is not None:
            trace.append(
                {
                    "step": "decision",
                    "policy": self.ruleset.hit_policy,
                    "outcome": chosen.id,
                    "default": chosen is self._default,
                }
            )
        return LEVEL_RANK[chosen.urgency]

    def _confidence(
        self, outcome: m.Outcome, env: Mapping[str, Any], trace: list[dict[str, Any]] | None
    ) -> str | None:
        """The outcome's confidence, raised by evidence that is definitely present (never by a guess)."""
        confidence = outcome.confidence
        for raise_, fn in self._raises.get(outcome.id, ()):
            value = fn(env)
            if value is True and CONFIDENCE_RANK[raise_.confidence] > CONFIDENCE_RANK.get(
                confidence or "", -1
            ):
                confidence = raise_.confidence
            if trace is not None:
                trace.append(
                    {
                        "step": "confidence",
                        "outcome": outcome.id,
                        "confidence": raise_.confidence,
                        "value": value,
                        "condition": explain_condition(raise_.when, env, self.compiler),
                    }
                )
        return confidence

    def _escalations(
        self, result: Result, facts: Mapping[str, Any], rank: int, trace: list[dict[str, Any]] | None
    ) -> int:
        for name, fn in self._escalate:
            kept = _readonly_view(result)
            try:
                added = fn(engine=self, ruleset=self.ruleset, facts=facts, result=result)
            except Exception as exc:
                raise PluginError(
                    name, f"failed in rulewright_escalate: {type(exc).__name__}: {exc}"
                ) from exc
            finally:
                tampered = _restore(result, kept)
            if tampered:
                raise PluginError(
                    name, f"changed {tampered} of the result in rulewright_escalate (read-only)"
                )
            if added is None:
                continue
            if not isinstance(added, (list, tuple)):
                raise PluginError(
                    name, f"returned {_json_type(added)} from rulewright_escalate, expected a list"
                )
            for item in added:
                esc = _as_escalation(name, item)
                result.red_flags.append(RedFlagHit(esc.id, esc.level, esc.message, esc.action, source=name))
                if trace is not None:
                    trace.append(
                        {
                            "step": "escalation",
                            "source": name,
                            "id": esc.id,
                            "level": esc.level,
                            "raised": LEVEL_RANK[esc.level] > rank,
                        }
                    )
                rank = max(rank, LEVEL_RANK[esc.level])
        return rank

    def _finish(self, result: Result, rank: int) -> Result:
        result.urgency = LEVELS[rank]
        for name, fn in self._finished:
            kept = _readonly_view(result)
            try:
                fn(ruleset=self.ruleset, result=result)
            except Exception as exc:
                _restore(result, kept)
                self._plugin_failed(
                    result, name, f"failed in rulewright_evaluation_finished: {type(exc).__name__}: {exc}"
                )
                continue
            tampered = _restore(result, kept)
            if tampered:
                self._plugin_failed(
                    result,
                    name,
                    f"changed {tampered} of the result in rulewright_evaluation_finished (read-only)",
                )
        return result

    def _fail_plugin(self, result: Result, rank: int, plugin: str, exc: Exception) -> int:
        result.status = "error"
        result.outcome = None
        result.recommendations = ()
        result.error = ErrorInfo("plugin_error", f"plugin {plugin!r} failed: {type(exc).__name__}: {exc}")
        return rank

    def _unreadable(
        self, result: Result, code: str, message: str, answers: Mapping[str, Any] | None = None
    ) -> Result:
        """A record we could not read (whole): red flags are screened on whatever answers were read."""
        rank = self._screen(result, self._check.check(answers)[0] if answers else {}, None)
        result.status = "error"
        result.error = ErrorInfo(code, message)
        return self._finish(result, rank)


_GUARDED = ("red_flags", "not_screened", "urgency", "status", "error", "outcome", "scores")
_guarded = attrgetter(*_GUARDED)


def _readonly_view(result: Result) -> tuple[Any, ...]:
    """What a plugin handed the result read-only must leave as it was (lists copied)."""
    return tuple(list(v) if type(v) is list else dict(v) if type(v) is dict else v for v in _guarded(result))


def _restore(result: Result, kept: tuple[Any, ...]) -> str:
    """Put back anything a plugin changed; return the names of what it changed ('' if nothing)."""
    if _guarded(result) == kept:
        return ""  # the usual case, in one comparison
    changed = []
    for name, value in zip(_GUARDED, kept, strict=True):
        if getattr(result, name) != value:
            changed.append(name)
            setattr(result, name, value)
    return ", ".join(changed)


def _checked_score(score_id: str, value: Any) -> Any:
    """A scorer must give a finite number, a (low, high) interval or None for each score."""
    if value is None or (type(value) in (int, float) and math.isfinite(value)):
        return value
    if (
        type(value) is tuple
        and len(value) == 2
        and all(type(v) in (int, float) and not math.isnan(v) for v in value)
        and value[0] <= value[1]
    ):
        return value
    raise TypeError(
        f"score {score_id!r} is {value!r}; expected a finite number, a (low, high) interval or None"
    )


def _as_escalation(plugin: str, item: Any) -> Escalation:
    if isinstance(item, Mapping):
        try:
            item = Escalation(
                str(item["id"]), str(item["level"]), str(item["message"]), str(item.get("action", ""))
            )
        except KeyError as exc:
            raise PluginError(plugin, f"returned an escalation without {exc.args[0]!r}") from None
    if not isinstance(item, Escalation):
        raise PluginError(
            plugin, f"returned {_json_type(item)} as an escalation, expected Escalation or a mapping"
        )
    if item.level not in LEVEL_RANK or item.level == "routine":
        raise PluginError(
            plugin, f"returned escalation level {item.level!r}; use one of review, urgent, emergency"
        )
    return item


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), f"a {type(value).__name__}")
