"""The engine: compile a ruleset once, then evaluate cases with it.

Per case: type-check answers -> screen red flags (core, before any plugin) -> scores (the
ruleset's scorer plugin) -> outcome by hit policy -> escalations (plugins, may only add) ->
observers. A result is built once and is immutable (`Result`); plugins get read-only views of
the answers, the facts and the result, and every value a plugin returns is checked against its
contract. Any plugin failure gives one shape of result (`result.plugin_failed`): an `error`
that keeps every red flag found and urgency at least `review`, and drops the outcome, scores
and recommendations the failing plugin may have touched. Decisions are cached by answers
(`decisions.py`) whatever the plugins' per-case hooks, which run for each case on them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from rulewright.core.evaluate.compiler import Compiler, OperatorError
from rulewright.core.evaluate.contracts import (
    NESTED,
    PluginError,
    Raised,
    Resume,
    as_escalation,
    call,
    checked_score,
    failure,
    json_type,
    nothing,
    read_only,
)
from rulewright.core.evaluate.decisions import Decision, DecisionCache
from rulewright.core.evaluate.explain import explain as explain_condition
from rulewright.core.evaluate.inputs import InputChecker
from rulewright.core.evaluate.records import InputRecord
from rulewright.core.evaluate.result import (
    NO_SCORES,
    ErrorInfo,
    OutcomeRef,
    ReadOnly,
    RedFlagHit,
    Result,
    freeze,
    json_safe,
    plugin_failed,
    score_to_json,
)
from rulewright.core.hooks.contract import implementations, wrapper_problems
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


class _Draft:
    """A result being built: engine-private and mutable until `Engine._built` freezes it."""

    __slots__ = (
        "error",
        "failures",
        "missing",
        "not_screened",
        "outcome",
        "recommendations",
        "red_flags",
        "scores",
        "status",
        "trace",
    )

    def __init__(self, explain: bool) -> None:
        self.status = "ok"
        self.outcome: OutcomeRef | None = None
        self.red_flags: list[RedFlagHit] = []
        self.not_screened: list[str] = []
        self.scores: Mapping[str, Any] = NO_SCORES
        self.missing: tuple[str, ...] = ()
        self.recommendations: tuple[str, ...] = ()
        self.error: ErrorInfo | None = None
        self.trace: list[dict[str, Any]] | None = [] if explain else None
        self.failures: list[str] = []  # plugin failures, applied by `plugin_failed` when built


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
        problems = wrapper_problems(self.host.pm)
        if problems:
            raise EngineError("; ".join(problems))
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
        self._flag_ids = frozenset(flag.id for flag in ruleset.red_flags)
        self._flag_reads = {flag.id: frozenset(fact_deps(flag.when, ruleset)) for flag in ruleset.red_flags}
        self._escalation_ids = frozenset(e.id for e in ruleset.escalations)
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
        pm = self.host.pm
        self._prepare = implementations(pm, "rulewright_prepare_facts")
        self._escalate = implementations(pm, "rulewright_escalate")
        self._finished = implementations(pm, "rulewright_evaluation_finished")
        # One immutable identity, shared: no result can change what another reports.
        self._ref: Mapping[str, str] = ReadOnly(
            id=ruleset.id, version=ruleset.version, fingerprint=ruleset.fingerprint
        )
        self.components = [f"scorer:{ruleset.scorer}"] + [f"escalate:{name}" for name, _ in self._escalate]
        self._components = tuple(self.components)
        self._cache = DecisionCache(self._inputs, id_field) if self._memoizable(memoize) else None
        # The built-in escalations (the ruleset's `escalations:`, a pure function of the answers)
        # are part of the decision, cached with it; other plugins' run for each case, after them.
        self._escalate_builtin = [(n, fn) for n, fn in self._escalate if n in DEFAULT_PLUGINS]
        self._escalate_each = [(n, fn) for n, fn in self._escalate if n not in DEFAULT_PLUGINS]
        # For `recalled`: (index, function) pairs, and whether any hook is shown the result.
        self._numbered_prepare = tuple(enumerate(fn for _, fn in self._prepare))
        self._numbered_escalate = tuple(enumerate(fn for _, fn in self._escalate_each))
        self._numbered_finished = tuple(enumerate(fn for _, fn in self._finished))
        self._shown = bool(self._escalate_each or self._finished)

    def _memoizable(self, memoize: bool | None) -> bool:
        """Cache decisions by answers only when that cannot change a result.

        The decision (red flags, scores, outcome) is a pure function of the answers when the
        scorer and every operator are built-ins. A set input is answered with a list, which
        cannot key the cache (`decisions.py`), so such rulesets are evaluated in full. A case
        whose answers a `rulewright_prepare_facts` plugin rewrote is evaluated in full; the
        built-in escalations are cached with the decision, and other plugins' escalations and
        observers (`rulewright_evaluation_finished`) run for every case on it.
        """
        if memoize is None:
            memoize = os.environ.get(DECISION_CACHE_ENV, "1") != "0"
        owners = self.host.registry.owners
        return (
            memoize
            and all(i.type != "set" for i in self.ruleset.inputs)
            and owners["scorers"][self.ruleset.scorer] in DEFAULT_PLUGINS
            and all(owner in DEFAULT_PLUGINS for owner in owners["operators"].values())
        )

    # -- public API --------------------------------------------------------------------------

    @property
    def decisions(self) -> DecisionCache | None:
        """The decision cache, when a batch writer may answer a case from it without a `Result`.

        None when every case needs its own: decisions are not cached for this ruleset and
        plugins, or each result carries its record (`record_input`). When plugin hooks run
        for each case (`per_case`), the writer calls `recalled` for each case it answers.
        `rules evaluate` uses it for JSON Lines.
        """
        if self._cache is None or self.record_input:
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
        """Evaluate one case (a mapping of input id -> answer; the id field is carried, not read).

        `record` is never changed; plugins see a read-only copy of it.
        """
        if type(record) is not dict and not isinstance(record, Mapping):
            draft = _Draft(False)
            rank = self._unreadable(
                draft, "not_an_object", f"a record must be a JSON object, not {json_type(record)}"
            )
            return self._observed(*self._built(draft, rank, line, None, row, None))
        if self._prepare:
            given = read_only(record)  # what plugins see, and what red flags are screened on
            return self._evaluate(record, given, self._prepared(given), line, row, explain)
        return self._evaluate(record, record, record, line, row, explain)

    # Per-case hooks of a case answered from the cache (`recalled` is on the fast lane's hot path).

    def recalled(self, record: Mapping[str, Any], decision: Decision, line: int | None) -> Result | None:
        """Run the per-case plugin hooks for a record whose answers `decision` decided (the fast
        lane's `DecisionCache.recall`): None when they leave the decision as it is, so its
        rendered JSON stands, else the result to write instead.

        The fast lane's hot path: each hook's usual case (nothing to add, no failure) is called
        here; anything else hands over to the general step, from that implementation on.
        """
        ruleset = self.ruleset
        record_id = record.get(self.id_field) if self.id_field else None
        if self._prepare:
            # Its answers keyed the cache, so they are scalars: only the id may need a copy.
            given = MappingProxyType(record) if type(record_id) not in NESTED else read_only(record)
            for index, fn in self._numbered_prepare:
                try:
                    prepared = fn(ruleset, given)
                except Exception as exc:
                    prepared = Raised(exc)
                if prepared is not None:  # answers rewritten, or the plugin failed
                    prepared = self._prepared(given, (index, prepared))
                    return self._evaluate(record, given, prepared, line, None, False)
        if not self._shown:
            return None
        out = result = decision.result(line, record_id, None)
        rank = decision.rank
        facts = decision.facts
        for index, fn in self._numbered_escalate:
            try:
                added = fn(self, ruleset, facts, out)
            except Exception as exc:
                added = Raised(exc)
            if added is not None and not (type(added) is list and not added):
                out, rank = self._escalations(self._escalate_each, out, rank, facts, (index, added))  # type: ignore[arg-type]
                break
        for index, fn in self._numbered_finished:
            try:
                fn(ruleset, out)
            except Exception as exc:
                out = self._observed(out, rank, (index, Raised(exc)))
                break
        return None if out is result else out

    @property
    def per_case(self) -> bool:
        """Whether a plugin hook runs for each case even when its decision is cached."""
        return bool(self._prepare or self._escalate_each or self._finished)

    def _per_case(self, result: Result, decision: Decision) -> Result:
        rank = decision.rank
        if self._escalate_each:
            result, rank = self._escalations(self._escalate_each, result, rank, decision.facts)  # type: ignore[arg-type]
        return self._observed(result, rank)

    def _evaluate(
        self,
        record: Mapping[str, Any],
        given: Mapping[str, Any],
        prepared: Mapping[str, Any] | PluginError,
        line: int | None,
        row: int | None,
        explain: bool,
    ) -> Result:
        """Evaluate a record that `rulewright_prepare_facts` plugins made `prepared` of."""
        record_id = record.get(self.id_field) if self.id_field else None
        recorded = freeze(json_safe(record)) if self.record_input else None
        if isinstance(prepared, PluginError):
            draft = _Draft(explain)
            rank = self._screen(draft, self._check.check(given)[0], draft.trace)
            rank = self._failed(draft, rank, prepared)
            return self._observed(*self._built(draft, rank, line, record_id, row, recorded))
        record = prepared
        cache = self._cache if not explain and record is given else None
        known = cache.recall(record) if cache is not None else None
        if known is not None:
            result = known.result(line, record_id, row)
            if recorded is not None:
                result = result._replace(recorded=recorded)
            return self._per_case(result, known)
        draft = _Draft(explain)
        facts, problems = self._check.check(record)
        rank = self._screen(draft, facts, draft.trace)
        if record is not given:
            rank = max(rank, self._screen_given(draft, given))
        if problems:
            first = problems[0]
            draft.status = "error"
            draft.error = ErrorInfo(first.code, "; ".join(p.message for p in problems), first.path)
            return self._observed(*self._built(draft, rank, line, record_id, row, recorded))
        if not draft.failures:  # else an operator failed while screening: nothing more to decide
            rank = self._decide_case(draft, facts, rank)
        result, rank = self._built(draft, rank, line, record_id, row, recorded)
        view = MappingProxyType(facts)
        result, rank = self._escalations(self._escalate_builtin, result, rank, view)
        if cache is not None:
            cache.keep(record, result, rank, view)
        if self._escalate_each:
            result, rank = self._escalations(self._escalate_each, result, rank, view)
        return self._observed(result, rank)

    def evaluate_batch(
        self, records: Iterable[Mapping[str, Any] | InputRecord], *, explain: bool = False
    ) -> Iterator[Result]:
        """Evaluate records in order, one result per record; unreadable records become error results."""
        evaluate = self.evaluate
        for n, item in enumerate(records, 1):
            if type(item) is InputRecord:
                if item.error is not None:
                    draft = _Draft(False)
                    rank = self._unreadable(draft, *item.error, answers=item.data, readings=item.readings)
                    yield self._observed(*self._built(draft, rank, item.line, item.id, item.row, None))
                else:
                    yield evaluate(item.data, line=item.line, row=item.row, explain=explain)  # type: ignore[arg-type]
            else:
                yield evaluate(item, line=n, explain=explain)  # type: ignore[arg-type]

    # -- steps -------------------------------------------------------------------------------

    def _prepared(
        self, given: Mapping[str, Any], resume: Resume | None = None
    ) -> Mapping[str, Any] | PluginError:
        """The record after every `rulewright_prepare_facts` plugin, each handed a read-only view
        (from implementation `resume[0]` on, which returned `resume[1]` already)."""
        record = given
        for index in range(resume[0] if resume else 0, len(self._prepare)):
            name, fn = self._prepare[index]
            prepared = resume[1] if resume and index == resume[0] else call(fn, self.ruleset, record)
            if type(prepared) is Raised:
                return failure(name, "rulewright_prepare_facts", prepared.exc)
            if prepared is None:
                continue
            if not isinstance(prepared, Mapping):
                return PluginError(
                    name,
                    f"returned {json_type(prepared)} from rulewright_prepare_facts; expected a mapping or None",
                )
            record = read_only(prepared)
        return record

    def _built(
        self, draft: _Draft, rank: int, line: int | None, record_id: Any, row: int | None, recorded: Any
    ) -> tuple[Result, int]:
        """The immutable result of a draft (positional, in `Result`'s field order: the hot path)."""
        trace = draft.trace
        result = Result(
            self._ref,
            draft.status,
            LEVELS[rank],
            line,
            record_id,
            row,
            draft.outcome,
            tuple(draft.red_flags),
            tuple(draft.not_screened),
            draft.scores,
            draft.missing,
            draft.recommendations,
            __version__,
            draft.error,
            None if trace is None else freeze(trace),
            self._components,
            recorded,
        )
        for message in draft.failures:
            result, rank = plugin_failed(result, message), max(rank, _REVIEW)
        return result, rank

    def _decide_case(self, draft: _Draft, facts: dict[str, Any], rank: int) -> int:
        """Scores and the outcome for checked answers whose red flags are screened."""
        trace = draft.trace
        contributions: list[dict[str, Any]] | None = [] if trace is not None else None
        env = dict(facts)  # the scorer may write scores; it cannot change the answers
        try:
            self._score(env, contributions)
            for sid in self._score_ids:
                if sid not in env:
                    raise TypeError(f"did not set score {sid!r}")
                facts[sid] = checked_score(sid, env[sid])
        except Exception as exc:
            return self._failed(
                draft, rank, failure(self._scorer_owner, f"scorer {self.ruleset.scorer!r}", exc)
            )
        draft.scores = ReadOnly({sid: facts[sid] for sid in self._score_ids})
        if trace is not None:
            for sid in self._score_ids:
                trace.append(
                    {
                        "step": "score",
                        "id": sid,
                        "value": score_to_json(facts[sid]),
                        "contributions": [c for c in contributions or () if c.get("score") == sid],
                    }
                )
        try:
            return max(rank, self._decide(draft, facts, trace))
        except OperatorError as exc:
            return self._failed(draft, rank, self._operatorfailure(exc))

    def _screen(self, draft: _Draft, facts: Mapping[str, Any], trace: list[dict[str, Any]] | None) -> int:
        """Screen every red flag (core, before any plugin). Returns the urgency rank so far."""
        rank = 0
        failed: OperatorError | None = None
        for flag, fn, level, hit in self._flags:
            try:
                value = fn(facts)
            except OperatorError as exc:
                value, failed = None, exc  # not screened, and the case becomes an error below
            if value is True:
                draft.red_flags.append(hit)
                if level > rank:
                    rank = level
            elif value is None:
                draft.not_screened.append(flag.id)
                # A flag we could not screen is not a flag we ruled out: an emergency one always
                # needs a review; any one does when every answer it reads is there (a plugin
                # operator could not tell, or failed).
                if rank < _REVIEW and (level == _EMERGENCY or self._flag_reads[flag.id] <= facts.keys()):
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
            rank = self._failed(draft, rank, self._operatorfailure(failed))
        return rank

    def _screen_given(self, draft: _Draft, given: Mapping[str, Any]) -> int:
        """Red flags that fire on the answers as given but not on what `prepare_facts` made of them.

        A plugin may rename or convert answers; it may not make a red flag disappear.
        """
        rank = 0
        facts = self._check.check(given)[0]
        for flag, fn, level, hit in self._flags:
            if hit in draft.red_flags:
                continue
            try:
                fires = fn(facts) is True
            except OperatorError:
                fires = False
            if fires:
                draft.red_flags.append(hit)
                if flag.id in draft.not_screened:
                    draft.not_screened.remove(flag.id)
                rank = max(rank, level)
        return rank

    def _operatorfailure(self, exc: OperatorError) -> PluginError:
        owner = self.host.registry.owners["operators"].get(exc.operator, exc.operator)
        cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
        return failure(owner, f"operator {exc.operator!r}", cause)

    def _decide(self, draft: _Draft, env: Mapping[str, Any], trace: list[dict[str, Any]] | None) -> int:
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
            draft.status = "undetermined"
            missing: set[str] = set()
            for outcome in unknown:
                missing |= self._deps[outcome.id]
            draft.missing = tuple(sorted(n for n in missing if env.get(n) is None))
            return 0
        if len(matched) > 1:
            ids = ", ".join(o.id for o in matched)
            draft.status = "error"
            draft.error = ErrorInfo(
                "overlapping_outcomes", f"hit policy 'unique' but several outcomes match: {ids}", None
            )
            return 0
        chosen = matched[0] if matched else self._default
        if chosen is None:
            draft.status = "error"
            draft.error = ErrorInfo(
                "no_outcome", "no outcome matches these answers and the ruleset has no default", None
            )
            return 0
        draft.outcome = OutcomeRef(chosen.id, chosen.label, self._confidence(chosen, env, trace))
        draft.recommendations = chosen.recommendations
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
        self,
        impls: list[tuple[str, Callable[..., Any]]],
        result: Result,
        rank: int,
        facts: Mapping[str, Any],
        resume: Resume | None = None,
    ) -> tuple[Result, int]:
        """Each escalation plugin sees the result so far (read-only) and may add red flags (from
        implementation `resume[0]` on, which returned `resume[1]` already)."""
        for index in range(resume[0] if resume else 0, len(impls)):
            name, fn = impls[index]
            try:
                added = (
                    resume[1]
                    if resume and index == resume[0]
                    else call(fn, self, self.ruleset, facts, result)
                )
                if type(added) is Raised:
                    raise added.exc
                if nothing(added):  # the usual case
                    continue
                hits = self._escalation_hits(name, added, result)
            except PluginError as exc:
                result, rank = self._failed_result(result, rank, exc)
                continue
            except Exception as exc:
                result, rank = self._failed_result(result, rank, failure(name, "rulewright_escalate", exc))
                continue
            steps: tuple[Any, ...] = ()
            for hit in hits:
                level = LEVEL_RANK[hit.level]
                if result.trace is not None:
                    steps += (
                        ReadOnly(
                            step="escalation", source=name, id=hit.id, level=hit.level, raised=level > rank
                        ),
                    )
                rank = max(rank, level)
            result = result._replace(
                urgency=LEVELS[rank],
                red_flags=result.red_flags + hits,
                trace=None if result.trace is None else result.trace + steps,
            )
        return result, rank

    def _escalation_hits(self, name: str, added: Any, result: Result) -> tuple[RedFlagHit, ...]:
        """What an escalation plugin returned, checked: a list of escalations with new ids."""
        if not isinstance(added, (list, tuple)):
            raise PluginError(name, f"returned {json_type(added)} from rulewright_escalate, expected a list")
        taken = {flag.id for flag in result.red_flags}
        hits = []
        for item in added:
            esc = as_escalation(name, item)
            reserved = esc.id in self._flag_ids or (
                esc.id in self._escalation_ids and name not in DEFAULT_PLUGINS
            )
            if reserved or esc.id in taken:
                raise PluginError(
                    name,
                    f"returned escalation id {esc.id!r}, which "
                    + ("the ruleset defines" if reserved else "another red flag of this result has")
                    + "; an escalation needs an id of its own",
                )
            taken.add(esc.id)
            hits.append(RedFlagHit(esc.id, esc.level, esc.message, esc.action, source=name))
        return tuple(hits)

    def _observed(self, result: Result, rank: int, resume: Resume | None = None) -> Result:
        """Hand the finished result to every observer; one that fails makes the case an error
        (from implementation `resume[0]` on, which returned `resume[1]` already)."""
        for index in range(resume[0] if resume else 0, len(self._finished)):
            name, fn = self._finished[index]
            done = resume[1] if resume and index == resume[0] else call(fn, self.ruleset, result)
            if type(done) is Raised:
                result, rank = self._failed_result(
                    result, rank, failure(name, "rulewright_evaluation_finished", done.exc)
                )
        return result

    @staticmethod
    def _failed(draft: _Draft, rank: int, error: PluginError) -> int:
        """A plugin failed while the result was being built: `_built` gives it the failure's shape."""
        draft.failures.append(str(error))
        return rank

    @staticmethod
    def _failed_result(result: Result, rank: int, error: PluginError) -> tuple[Result, int]:
        """A plugin failed on a built result: the same shape, as a new result."""
        return plugin_failed(result, str(error)), max(rank, _REVIEW)

    def _unreadable(
        self,
        draft: _Draft,
        code: str,
        message: str,
        answers: Mapping[str, Any] | None = None,
        readings: tuple[Mapping[str, Any], ...] = (),
    ) -> int:
        """A record we could not read (whole): red flags are screened on whatever answers were
        read, and raised when they fire on any other reading of them (`InputRecord.readings`)."""
        rank = self._screen(draft, self._check.check(answers)[0] if answers else {}, None)
        for reading in readings:
            rank = max(rank, self._screen_given(draft, reading))
        draft.status = "error"
        draft.error = ErrorInfo(code, message)
        return rank
