"""Ruleset test suites: named cases with answers and expectations, kept beside the ruleset.

```yaml
ruleset: leg-pain
versions: ["1.0.0"]          # the ruleset versions this suite applies to
cases:
  - name: burning_follows_path
    answers: {pain_quality: burning, pain_pattern: follows_path}
    expect: {outcome: nerve, urgency: routine}
```

Expectations (all optional): `status`, `outcome` (an id, or null for none), `urgency`,
`red_flags` (ids that must fire), `no_red_flags` (ids that must not), `not_screened` (exact
list), `scores` (id -> number or {min, max}), `missing` (exact list), `recommendations_include`.
A case may carry `skip: reason` or `todo: reason`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulewright.core.engine import Engine
from rulewright.core.result import Result
from rulewright.core.yamlload import Document, load_yaml


@dataclass
class Case:
    name: str
    answers: dict[str, Any]
    expect: dict[str, Any]
    line: int
    skip: str | None = None
    todo: str | None = None


@dataclass
class Suite:
    file: str
    ruleset: str
    versions: list[str]
    cases: list[Case] = field(default_factory=list)

    @property
    def name(self) -> str:
        return Path(self.file).stem


@dataclass
class CaseOutcome:
    case: Case
    result: Result | None
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_suite(path: str | Path) -> Suite:
    doc: Document = load_yaml(Path(path).read_bytes(), str(path))
    data = doc.data
    suite = Suite(str(path), data["ruleset"], [str(v) for v in data.get("versions", [])])
    for i, c in enumerate(data.get("cases", [])):
        line, _ = doc.position(("cases", i))
        suite.cases.append(
            Case(
                c["name"],
                dict(c.get("answers") or {}),
                dict(c.get("expect") or {}),
                line,
                c.get("skip"),
                c.get("todo"),
            )
        )
    return suite


def check_case(engine: Engine, case: Case) -> CaseOutcome:
    result = engine.evaluate(case.answers, explain=True)
    rec = result.to_record()
    failures: list[str] = []
    exp = case.expect

    def differ(what: str, expected: Any, actual: Any) -> None:
        failures.append(f"{what}: expected {expected!r}, got {actual!r}")

    if "status" in exp and rec["status"] != exp["status"]:
        differ("status", exp["status"], rec["status"])
    if "outcome" in exp:
        actual = rec["outcome"]["id"] if rec["outcome"] else None
        if actual != exp["outcome"]:
            differ("outcome", exp["outcome"], actual)
    if "urgency" in exp and rec["urgency"] != exp["urgency"]:
        differ("urgency", exp["urgency"], rec["urgency"])
    fired = [f["id"] for f in rec["red_flags"]]
    for fid in exp.get("red_flags", ()):
        if fid not in fired:
            differ(f"red flag {fid}", "present", "absent")
    for fid in exp.get("no_red_flags", ()):
        if fid in fired:
            differ(f"red flag {fid}", "absent", "present")
    if "not_screened" in exp and sorted(rec["not_screened"]) != sorted(exp["not_screened"]):
        differ("not_screened", sorted(exp["not_screened"]), sorted(rec["not_screened"]))
    for sid, value in (exp.get("scores") or {}).items():
        if rec["scores"].get(sid) != value:
            differ(f"score {sid}", value, rec["scores"].get(sid))
    if "missing" in exp and sorted(rec["missing"]) != sorted(exp["missing"]):
        differ("missing", sorted(exp["missing"]), sorted(rec["missing"]))
    for text in exp.get("recommendations_include", ()):
        if not any(text in r for r in rec["recommendations"]):
            differ("recommendations", f"one containing {text!r}", rec["recommendations"])
    return CaseOutcome(case, result, failures)
