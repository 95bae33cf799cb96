"""The result of evaluating one case, and its record form (docs/architecture.md#the-result-record)."""

from __future__ import annotations

from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

import orjson

from rulewright.core.evaluate.logic import ScoreValue, tidy
from rulewright.core.model.ruleset import LEVEL_RANK


@dataclass(frozen=True)
class RedFlagHit:
    id: str
    level: str
    message: str
    action: str = ""
    source: str = "ruleset"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "message": self.message,
            "action": self.action,
            "source": self.source,
        }


@dataclass(frozen=True)
class Escalation:
    """What a `rulewright_escalate` implementation returns."""

    id: str
    level: str
    message: str
    action: str = ""


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "path": self.path}


@dataclass(frozen=True)
class OutcomeRef:
    id: str
    label: str
    confidence: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "confidence": self.confidence}


def plugin_failed(result: Result, message: str) -> Result:
    """The one shape of a result a plugin failed on, whichever hook or contribution failed.

    Kept: where the case came from, the ruleset, every red flag found so far (the core's, and
    escalations from plugins that did not fail), `not_screened`, the trace, and urgency, raised
    to at least `review` (someone must look). Dropped: the outcome, scores, missing answers and
    recommendations, which the failing plugin may have shaped. `error` is a `plugin_error`
    naming the plugin; a case that had an error already keeps its code and gains the message.
    """
    error = result.error
    if error is None:
        error = ErrorInfo("plugin_error", message)
    elif message not in error.message:
        error = ErrorInfo(error.code, f"{error.message}; {message}", error.path)
    return result._replace(
        status="error",
        urgency=result.urgency if LEVEL_RANK[result.urgency] >= LEVEL_RANK["review"] else "review",
        outcome=None,
        scores=NO_SCORES,
        missing=(),
        recommendations=(),
        error=error,
    )


def score_to_json(value: Any) -> Any:
    if type(value) is int:
        return value
    if type(value) is tuple:
        return {"min": tidy(value[0]), "max": tidy(value[1])}
    return value if value is None else tidy(value)


class ReadOnly(dict):  # type: ignore[type-arg]
    """A dict nobody can change: a result's scores and ruleset identity, the steps of its trace.

    A dict (so JSON writers, `isinstance(x, dict)` and pickling between `--jobs` workers treat it
    as one) whose changing methods refuse. `types.MappingProxyType` cannot be pickled.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a result is read-only once built; build a new one instead")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


def freeze(value: Any) -> Any:
    """A read-only copy of JSON-like data: dicts become `ReadOnly`, lists tuples, sets frozensets."""
    if isinstance(value, dict):
        return ReadOnly({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


NO_SCORES: Mapping[str, Any] = ReadOnly()


class Result(NamedTuple):
    """One case's result: immutable once the engine has built it.

    Every field holds immutable values (tuples, frozen dataclasses, `ReadOnly` dicts), so what
    a plugin, an observer or an output format is handed cannot be changed: setting a field
    raises AttributeError, changing a list or dict in it raises AttributeError or TypeError.
    A named tuple because it is built once per case on the hot path: a frozen dataclass of
    these 18 fields takes seven times as long to build. Compare results by their fields;
    `rendered` is left out of `==`.
    """

    ruleset: Mapping[str, str]  # id, version, fingerprint (a `ReadOnly` dict)
    status: str  # ok | undetermined | error
    urgency: str
    line: int | None = None
    id: Any = None
    row: int | None = None
    outcome: OutcomeRef | None = None
    red_flags: tuple[RedFlagHit, ...] = ()
    not_screened: tuple[str, ...] = ()
    scores: Mapping[str, ScoreValue] = NO_SCORES
    missing: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    engine: str = ""
    error: ErrorInfo | None = None
    trace: tuple[Mapping[str, Any], ...] | None = None
    plugins: tuple[str, ...] = ()
    recorded: Mapping[str, Any] | None = None  # the record as read, with `--record-input` (for replay)
    rendered: RenderedTail | None = None
    """Set by the engine on results of one cached decision, so `to_json` renders their shared part once."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self[:-1] == other[:-1]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def to_record(self) -> dict[str, Any]:
        """The stable JSON record as Python data, laid out by `_layout` as `to_json` writes it
        (key order is part of the contract): frozen parts as dicts, tuples as lists, sets sorted."""
        return _plain(self._layout(self._where()))  # type: ignore[no-any-return]

    def to_json(self) -> bytes:
        """The record as one line of compact JSON (UTF-8, newline included): the one encoder.

        The hot path of a JSON Lines batch: orjson writes the frozen parts (flags, outcome,
        error) straight from their dataclasses, whose fields are declared in record order.
        Results of one cached decision share the JSON of everything after `input` (`rendered`),
        written once and reused while a result still holds what it was written from.
        """
        source = self._where()
        shared = self.rendered
        try:
            if shared is not None and self.trace is None and shared.matches(self):
                return b'{"input":' + orjson.dumps(source) + shared.tail
            return orjson.dumps(self._layout(source), default=json_default, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:
            # orjson refuses integers beyond 64 bits, which a caller's id may be; the stdlib does not.
            # ASCII escapes also carry a lone surrogate, which orjson refuses and UTF-8 cannot hold.
            import json

            text = json.dumps(self._layout(source), separators=(",", ":"), default=_to_dict_or_list)
            return (text + "\n").encode("ascii")

    def _where(self) -> dict[str, Any]:
        source: dict[str, Any] = {"line": self.line, "id": self.id}
        if self.row is not None:
            source["row"] = self.row
        if self.recorded is not None:
            source["record"] = self.recorded
        return source

    def _layout(self, source: dict[str, Any]) -> dict[str, Any]:
        """The record, as `to_json` writes it: the one place its layout is spelt (docs/architecture.md#the-result-record,
        schemas/result.schema.json)."""
        view: dict[str, Any] = {
            "input": source,
            "ruleset": self.ruleset,
            "status": self.status,
            "outcome": self.outcome,
            "urgency": self.urgency,
            "red_flags": self.red_flags,
            "not_screened": self.not_screened,
            "scores": {k: score_to_json(v) for k, v in self.scores.items()},
            "missing": self.missing,
            "recommendations": self.recommendations,
            "engine": {"version": self.engine, "plugins": self.plugins},
            "error": self.error,
        }
        if self.trace is not None:
            view["trace"] = self.trace
        return view


def _plain(value: Any) -> Any:
    """What JSON would make of `value`: a new dict, list or scalar the caller owns."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    to_dict = getattr(value, "to_dict", None)
    return value if to_dict is None else _plain(to_dict())


def _to_dict_or_list(value: Any) -> Any:
    """For the stdlib encoder: the frozen parts as their `to_dict`, sets as `json_default` writes them."""
    to_dict = getattr(value, "to_dict", None)
    return json_default(value) if to_dict is None else to_dict()


class RenderedTail:
    """The JSON after `input` that results of one cached decision have in common, written once.

    A result is immutable, but one made from it with `_replace` (an escalation, a plugin
    failure) keeps its `rendered`; so it is used for a result only while every field it was
    written from holds a value equal to the one it was written from (scores of the same type
    too: `1 == True` in Python, not in JSON); anything else is written in full.
    """

    __slots__ = ("_kept", "tail")

    def __init__(self, result: Result) -> None:
        """Write the shared part of `result`, which must not be handed to anyone else."""
        # Copies: the fields of results that use this may change later; these must not.
        self._kept = tuple(copy(v) if type(v) in (list, dict) else v for v in _written_from(result))
        head = {"line": None, "id": None}
        whole = orjson.dumps(result._layout(head), default=json_default, option=orjson.OPT_APPEND_NEWLINE)
        self.tail = whole[len(b'{"input":') + len(orjson.dumps(head)) :]

    def matches(self, result: Result) -> bool:
        return _written_from(result) == self._kept


_fields_after_input = attrgetter(
    "ruleset", "status", "outcome", "urgency", "red_flags", "not_screened", "missing", "recommendations",
    "engine", "plugins", "error",
)  # fmt: skip


def _written_from(result: Result) -> tuple[Any, ...]:
    """The fields the record after `input` is written from (`_layout`), scores with their types."""
    scores = result.scores
    return (*_fields_after_input(result), tuple(scores.items()), tuple(map(type, scores.values())))


def json_default(value: Any) -> Any:
    """JSON for the sets a trace may hold (the answers to a set input): a sorted list."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_safe(value: Any) -> Any:
    """A copy of an input record that JSON can hold exactly (sets become sorted lists)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(json_safe(v) for v in value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
