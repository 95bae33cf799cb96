"""The result of evaluating one case, and its record form (DESIGN.md §5a, schemas/result)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rulewright.core.logic import ScoreValue, tidy

RESULT_FORMAT = 1
"""Version of the result record contract; bumped only on a breaking change."""


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

    def to_record(self) -> dict[str, Any]:
        """The stable JSON record; key order is part of the contract."""
        source: dict[str, Any] = {"line": self.line, "id": self.id}
        if self.row is not None:
            source["row"] = self.row
        if self.recorded is not None:
            source["record"] = self.recorded
        record: dict[str, Any] = {
            "input": source,
            "ruleset": dict(self.ruleset),
            "status": self.status,
            "outcome": self.outcome.to_dict() if self.outcome else None,
            "urgency": self.urgency,
            "red_flags": [f.to_dict() for f in self.red_flags],
            "not_screened": list(self.not_screened),
            "scores": {k: score_to_json(v) for k, v in self.scores.items()},
            "missing": list(self.missing),
            "recommendations": list(self.recommendations),
            "engine": {"version": self.engine, "plugins": list(self.plugins)},
            "error": self.error.to_dict() if self.error else None,
        }
        if self.trace is not None:
            record["trace"] = self.trace
        return record


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
