"""Reports of `rules test` and `rules validate` runs for people, CI and editors.

One function per format, all from the same run objects: `text` for a terminal, `json` (carries
`REPORT_FORMAT`), `junit` (JUnit XML for CI test tabs), `sarif` (SARIF 2.1.0 for code-scanning
and editors) and `github` (workflow-command annotations). No format library is needed: JUnit is
written with the standard library's ElementTree, SARIF and JSON are plain dicts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rulewright.core.diagnostics import Diagnostic
from rulewright.core.suites import CaseOutcome, RulesetRun
from rulewright.core.tracetext import trace_lines

REPORT_FORMAT = 1
"""Version of every JSON document `rules validate` and `rules test` print; bumped on a breaking change."""


@dataclass
class TestRunReport:
    """Everything one `rules test` run found, ready to print in any format."""

    runs: list[RulesetRun]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    coverage: list[Any] = field(default_factory=list)  # one `coverage.Coverage` per ruleset run

    def counts(self) -> Counter[str]:
        tally: Counter[str] = Counter({"passed": 0, "failed": 0, "skipped": 0})
        for run in self.runs:
            for _, outcome in run.outcomes():
                tally[outcome.status] += 1
        return tally

    def all_diagnostics(self) -> list[Diagnostic]:
        return self.diagnostics + [d for run in self.runs for d in run.diagnostics]

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.all_diagnostics() if d.severity == "error"]

    def summary(self) -> str:
        c = self.counts()
        rulesets = sum(1 for r in self.runs if r.ruleset is not None)
        suites = sum(len(r.suites) for r in self.runs)
        line = f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
        line += (
            f" ({rulesets} ruleset{'s' if rulesets != 1 else ''}, {suites} suite{'s' if suites != 1 else ''}"
        )
        errors = len(self.errors())
        if errors:
            line += f", {errors} error{'s' if errors != 1 else ''}"
        return line + ")"


# --- text ---------------------------------------------------------------------------------


def case_where(outcome: CaseOutcome, suite_file: str) -> str:
    return f"{suite_file}:{outcome.case.line}:{outcome.case.column}"


def failure_lines(outcome: CaseOutcome, case_id: str, suite_file: str, ruleset: str) -> list[str]:
    """A failed case: where it is, expected vs actual, and the trace that decided the result."""
    lines = [f"{case_where(outcome, suite_file)}: FAIL {case_id} ({ruleset})"]
    lines += [f"    {m.what}: expected {_j(m.expected)}, got {_j(m.actual)}" for m in outcome.mismatches]
    if outcome.result is not None and outcome.result.trace:
        lines.append("  trace:")
        lines += trace_lines(outcome.result.trace)
    return lines


def _j(value: Any) -> str:
    if isinstance(value, str) and value.startswith("one containing"):
        return value
    return json.dumps(value, ensure_ascii=False)


def test_text(report: TestRunReport, *, verbose: bool = False, explain: bool = False) -> list[str]:
    lines: list[str] = []
    for run in report.runs:
        ref = run.ruleset.ref if run.ruleset else run.file
        for srun in run.suites:
            for cid, outcome in zip(srun.ids, srun.outcomes, strict=True):
                if outcome.status == "failed":
                    lines += failure_lines(outcome, cid, srun.suite.file, ref)
                elif verbose or explain:
                    tag = "PASS" if outcome.passed else "SKIP"
                    reason = f" ({outcome.reason})" if outcome.skipped else ""
                    lines.append(f"{case_where(outcome, srun.suite.file)}: {tag} {cid}{reason}")
                    if explain and outcome.result is not None and outcome.result.trace:
                        lines += trace_lines(outcome.result.trace)
    return lines


def coverage_lines(cov: Any, ruleset_file: str) -> list[str]:
    """`--coverage`: the percentage, each kind covered/total, and every uncovered item's place."""
    from rulewright.core.coverage import KIND_LABELS

    counted = len(cov.counted())
    head = f"coverage {cov.ruleset.ref}: {cov.percent:.1f}% of {counted} decision-space item{'s' if counted != 1 else ''}"
    unreachable = len(cov.unreachable())
    if cov.reachable is None:
        head += " (space too large to rule out unreachable items: all counted)"
    elif unreachable:
        head += f" ({unreachable} unreachable, not counted)"
    kinds = ", ".join(f"{KIND_LABELS[k]} {c}/{t}" for k, (c, t) in cov.by_kind().items() if t)
    lines = [head, f"  {kinds}"]
    doc = _document(ruleset_file)
    for item in cov.uncovered():
        line, col = doc.position(item.path) if doc else (1, 1)
        example = cov.witnesses.get(item.key)
        hint = f"; e.g. {json.dumps(example, ensure_ascii=False)}" if example is not None else ""
        lines.append(f"  {ruleset_file}:{line}:{col}: not covered: {item.text}{hint}")
    return lines


def _document(file: str) -> Any:
    from pathlib import Path

    from rulewright.core.diagnostics import RulesetError
    from rulewright.core.yamlload import load_yaml

    try:
        return load_yaml(Path(file).read_bytes(), file)
    except (OSError, RulesetError):
        return None


# --- json ---------------------------------------------------------------------------------


def test_json(report: TestRunReport) -> dict[str, Any]:
    rulesets = []
    for i, run in enumerate(report.runs):
        rs = run.ruleset
        entry: dict[str, Any] = {
            "file": run.file,
            "ruleset": {"id": rs.id, "version": rs.version, "fingerprint": rs.fingerprint} if rs else None,
            "suites": [
                {
                    "file": srun.suite.file,
                    "name": srun.suite.name,
                    "cases": [
                        _case_json(cid, o, srun.suite.file)
                        for cid, o in zip(srun.ids, srun.outcomes, strict=True)
                    ],
                }
                for srun in run.suites
            ],
        }
        if i < len(report.coverage) and report.coverage[i] is not None:
            entry["coverage"] = report.coverage[i].to_dict()
        rulesets.append(entry)
    c = report.counts()
    return {
        "format": REPORT_FORMAT,
        "summary": {
            "passed": c["passed"],
            "failed": c["failed"],
            "skipped": c["skipped"],
            "errors": len(report.errors()),
        },
        "rulesets": rulesets,
        "diagnostics": [d.to_dict() for d in report.all_diagnostics()],
    }


def _case_json(cid: str, outcome: CaseOutcome, file: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cid,
        "name": outcome.case.name,
        "file": file,
        "line": outcome.case.line,
        "status": outcome.status,
    }
    if outcome.skipped:
        out["reason"] = outcome.reason
    if outcome.mismatches:
        out["failures"] = [
            {"what": m.what, "expected": m.expected, "actual": m.actual} for m in outcome.mismatches
        ]
    if outcome.result is not None and outcome.status == "failed":
        out["result"] = outcome.result.to_record()
    return out
