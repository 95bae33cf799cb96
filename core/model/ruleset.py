"""The ruleset model: plain, immutable data parsed from a schema-valid document.

Conditions and expressions become small node classes so the compiler, the explainer and the
analysis share one reading of the YAML. Every node keeps the JSON path it came from, so any
finding about it can be reported at `file:line:col`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from rulewright.core.model.diagnostics import JsonPath

LEVELS = ("routine", "review", "urgent", "emergency")
"""Urgency levels, lowest first; a red flag's level is one of the last three."""
LEVEL_RANK: Mapping[str, int] = MappingProxyType({name: rank for rank, name in enumerate(LEVELS)})
"""Rank of each urgency level (read-only: a plugin cannot re-rank them for everyone)."""

InputType = Literal["boolean", "enum", "integer", "number", "set"]
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between", "contains")


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]
    path: JsonPath = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]
    path: JsonPath = ()


@dataclass(frozen=True)
class Not:
    item: Condition
    path: JsonPath = ()


@dataclass(frozen=True)
class AtLeast:
    count: int
    items: tuple[Condition, ...]
    path: JsonPath = ()


@dataclass(frozen=True)
class Compare:
    """`{fact|score: name, <op>: value}`; `kind` says which namespace `name` lives in."""

    kind: Literal["fact", "score"]
    name: str
    op: str
    value: Any
    path: JsonPath = ()


@dataclass(frozen=True)
class Answered:
    """`{answered: fact}`: true when the fact has an answer. Never unknown."""

    name: str
    path: JsonPath = ()


@dataclass(frozen=True)
class Custom:
    """`{fact: name, op: <plugin operator>, value: ...}`: an operator a plugin registered."""

    kind: Literal["fact", "score"]
    name: str
    op: str
    value: Any
    path: JsonPath = ()


@dataclass(frozen=True)
class Const:
    value: bool
    path: JsonPath = ()


Condition = All | AnyOf | Not | AtLeast | Compare | Answered | Custom | Const


# --- numeric expressions (derived scores) -----------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: float
    path: JsonPath = ()


@dataclass(frozen=True)
class Ref:
    kind: Literal["fact", "score"]
    name: str
    path: JsonPath = ()


@dataclass(frozen=True)
class Arith:
    op: Literal["sum", "sub", "mul", "div", "min", "max"]
    args: tuple[Expr, ...]
    path: JsonPath = ()


@dataclass(frozen=True)
class CountAnswered:
    names: tuple[str, ...]
    path: JsonPath = ()


@dataclass(frozen=True)
class Round:
    arg: Expr
    digits: int = 0
    path: JsonPath = ()


Expr = Num | Ref | Arith | CountAnswered | Round


# --- declarations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    id: str
    type: InputType
    question: str
    values: tuple[str, ...] = ()  # enum and set
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    missing: Literal["unknown", "error", "assume"] = "unknown"
    assume: Any = None
    labels: dict[str, str] = field(default_factory=dict)
    help: str | None = None
    path: JsonPath = ()


@dataclass(frozen=True)
class ScoreItem:
    id: str
    when: Condition | None
    weight: float
    value: Expr | None
    label: str | None = None
    path: JsonPath = ()


@dataclass(frozen=True)
class Band:
    id: str
    label: str
    minimum: float | None
    maximum: float | None
    path: JsonPath = ()


@dataclass(frozen=True)
class Score:
    id: str
    label: str
    items: tuple[ScoreItem, ...] = ()
    compute: Expr | None = None
    missing: Literal["unknown", "ignore"] = "unknown"
    bands: tuple[Band, ...] = ()
    description: str = ""
    references: tuple[str, ...] = ()
    rationale: str = ""
    path: JsonPath = ()


@dataclass(frozen=True)
class RedFlag:
    id: str
    level: str
    when: Condition
    message: str
    action: str
    references: tuple[str, ...] = ()
    rationale: str = ""
    path: JsonPath = ()


@dataclass(frozen=True)
class Escalation:
    """A ruleset-declared escalation over facts and scores, applied after the outcome."""

    id: str
    level: str
    when: Condition
    message: str
    action: str = ""
    path: JsonPath = ()


@dataclass(frozen=True)
class ConfidenceRaise:
    """`confidence_when` entry: evidence that, when definitely present, raises the confidence."""

    confidence: str
    when: Condition
    path: JsonPath = ()


CONFIDENCE_RANK: Mapping[str, int] = MappingProxyType({"low": 0, "moderate": 1, "high": 2})


@dataclass(frozen=True)
class Outcome:
    id: str
    label: str
    when: Condition | None
    confidence: str | None = None
    urgency: str = "routine"
    recommendations: tuple[str, ...] = ()
    confidence_when: tuple[ConfidenceRaise, ...] = ()
    references: tuple[str, ...] = ()
    rationale: str = ""
    path: JsonPath = ()


@dataclass(frozen=True)
class Invariant:
    id: str
    description: str
    when: Condition
    expect: dict[str, Any]
    path: JsonPath = ()


@dataclass(frozen=True)
class Reference:
    id: str
    citation: str
    doi: str | None = None
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FhirSettings:
    """The optional `fhir:` block: how inputs map to FHIR Questionnaire items."""

    questionnaire: str | None = None
    link_ids: dict[str, str] = field(default_factory=dict)
    code_system: str | None = None
    resource: Literal["GuidanceResponse", "RiskAssessment"] = "GuidanceResponse"

    def link_id(self, input_id: str) -> str:
        """The Questionnaire item linkId of an input: mapped, else the input id itself."""
        return self.link_ids.get(input_id, input_id)

    def system(self, ruleset_id: str, input_id: str) -> str:
        """The code system of an enum or set input's answer codes."""
        return self.code_system or f"urn:rulewright:{ruleset_id}:{input_id}"


@dataclass(frozen=True)
class Ruleset:
    id: str
    version: str
    title: str
    status: str
    inputs: tuple[Input, ...]
    scores: tuple[Score, ...]
    red_flags: tuple[RedFlag, ...]
    outcomes: tuple[Outcome, ...]
    hit_policy: Literal["first", "unique"]
    default: Outcome | None
    escalations: tuple[Escalation, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    references: tuple[Reference, ...] = ()
    scorer: str = "weighted-sum"
    description: str = ""
    fhir: FhirSettings = field(default_factory=FhirSettings)
    fingerprint: str = ""
    source: str = "<memory>"
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def input(self, name: str) -> Input | None:
        return next((i for i in self.inputs if i.id == name), None)

    def score(self, name: str) -> Score | None:
        return next((s for s in self.scores if s.id == name), None)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"
