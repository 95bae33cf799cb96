"""The result of evaluating one case, and its record form (DESIGN.md §5a, schemas/result)."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import orjson

from rulewright.core.evaluate.logic import ScoreValue, tidy


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


def score_to_json(value: Any) -> Any:
    if type(value) is int:
        return value
    if type(value) is tuple:
        return {"min": tidy(value[0]), "max": tidy(value[1])}
    return value if value is None else tidy(value)


@dataclass(slots=True)
class Result:
    ruleset: dict[str, str]
    status: str  # ok | undetermined | error
    urgency: str
    line: int | None = None
    id: Any = None
    row: int | None = None
    outcome: OutcomeRef | None = None
    red_flags: list[RedFlagHit] = field(default_factory=list)
    not_screened: list[str] = field(default_factory=list)
    scores: dict[str, ScoreValue] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    recommendations: tuple[str, ...] = ()
    engine: str = ""
    error: ErrorInfo | None = None
    trace: list[dict[str, Any]] | None = None
    plugins: list[str] = field(default_factory=list)
    recorded: dict[str, Any] | None = None  # the record as read, with `--record-input` (for replay)
    rendered: RenderedTail | None = field(default=None, repr=False, compare=False)
    """Set by the engine on results of one cached decision, so `to_json` renders their shared part once."""

    def to_record(self) -> dict[str, Any]:
        """The stable JSON record, read back from `to_json`: key order is part of the contract."""
        line = self.to_json()
        try:
            return orjson.loads(line)  # type: ignore[no-any-return]
        except orjson.JSONDecodeError:  # a lone surrogate (escaped), which only the stdlib reads
            import json

            return json.loads(line)  # type: ignore[no-any-return]

    def to_json(self) -> bytes:
        """The record as one line of compact JSON (UTF-8, newline included): the one encoder.

        The hot path of a JSON Lines batch: orjson writes the frozen parts (flags, outcome,
        error) straight from their dataclasses, whose fields are declared in record order.
        Results of one cached decision share the JSON of everything after `input` (`rendered`),
        written once and reused while a result still holds what it was written from.
        """
        source = self._source()
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

    def _source(self) -> dict[str, Any]:
        source: dict[str, Any] = {"line": self.line, "id": self.id}
        if self.row is not None:
            source["row"] = self.row
        if self.recorded is not None:
            source["record"] = self.recorded
        return source

    def _layout(self, source: dict[str, Any]) -> dict[str, Any]:
        """The record, as `to_json` writes it: the one place its layout is spelt (DESIGN.md §5a,
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


def _to_dict_or_list(value: Any) -> Any:
    """For the stdlib encoder: the frozen parts as their `to_dict`, sets as `json_default` writes them."""
    to_dict = getattr(value, "to_dict", None)
    return json_default(value) if to_dict is None else to_dict()


class RenderedTail:
    """The JSON after `input` that results of one cached decision have in common, written once.

    Results are mutable, so it is used for a result only while every field it was written from
    still holds a value equal to the one it was written from (scores of the same type too:
    `1 == True` in Python, not in JSON); anything else is written in full.
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
