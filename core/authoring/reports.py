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

from rulewright.core.authoring.suites import CaseOutcome, RulesetRun
from rulewright.core.evaluate.tracetext import trace_lines
from rulewright.core.model.diagnostics import Diagnostic

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
    lines += [f"    {m.text()}" for m in outcome.mismatches]
    if outcome.result is not None and outcome.result.trace:
        lines.append("  trace:")
        lines += trace_lines(outcome.result.trace)
    return lines


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
    from rulewright.core.analysis.coverage import KIND_LABELS

    counted = len(cov.counted())
    head = f"coverage {cov.ruleset.ref}: {cov.percent:.1f}% of {counted} decision-space item{'s' if counted != 1 else ''}"
    unreachable = len(cov.unreachable())
    if cov.reachable is None:
        left_out = f"{unreachable} out of range, not counted; " if unreachable else ""
        head += f" ({left_out}too many answer combinations to rule out other unreachable items)"
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
    from rulewright.core.model.diagnostics import RulesetError
    from rulewright.core.model.files import read_bounded
    from rulewright.core.model.yamlload import load_yaml

    try:
        return load_yaml(read_bounded(file), file)
    except RulesetError:
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


# --- junit --------------------------------------------------------------------------------


def test_junit(report: TestRunReport) -> str:
    """JUnit XML: one <testsuite> per suite and ruleset version, one <testcase> per case."""
    from xml.etree import ElementTree as ET

    c = report.counts()
    problems = report.all_diagnostics()
    root = ET.Element(
        "testsuites",
        name="rules test",
        tests=str(sum(c.values()) + len(_errors(problems))),
        failures=str(c["failed"]),
        errors=str(len(_errors(problems))),
        skipped=str(c["skipped"]),
    )
    for run in report.runs:
        ref = run.ruleset.ref if run.ruleset else run.file
        for srun in run.suites:
            outcomes = list(zip(srun.ids, srun.outcomes, strict=True))
            suite = ET.SubElement(
                root,
                "testsuite",
                name=f"{ref}::{srun.suite.name}",
                file=srun.suite.file,
                tests=str(len(outcomes)),
                failures=str(sum(1 for _, o in outcomes if o.status == "failed")),
                errors="0",
                skipped=str(sum(1 for _, o in outcomes if o.skipped)),
            )
            for cid, outcome in outcomes:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{srun.suite.ruleset}.{srun.suite.name}",
                    name=cid.split("::", 2)[-1],
                    file=srun.suite.file,
                    line=str(outcome.case.line),
                )
                if outcome.skipped:
                    ET.SubElement(case, "skipped", message=outcome.reason or "")
                elif outcome.status == "failed":
                    failure = ET.SubElement(
                        case, "failure", message="; ".join(outcome.failures), type="mismatch"
                    )
                    failure.text = "\n".join(failure_lines(outcome, cid, srun.suite.file, ref))
    errors = _errors(problems)
    if errors:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="invalid rulesets and suites",
            tests=str(len(errors)),
            failures="0",
            errors=str(len(errors)),
            skipped="0",
        )
        for d in errors:
            case = ET.SubElement(
                suite,
                "testcase",
                classname="rules.validate",
                name=f"{d.file}:{d.line}:{d.column}",
                file=d.file,
                line=str(d.line),
            )
            ET.SubElement(case, "error", message=d.message, type=d.code).text = d.text()
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


ValidateResult = tuple[str, Any, list[Diagnostic]]
"""(file or ref, Ruleset or None, diagnostics) for one ruleset `rules validate` checked."""


def validate_junit(results: list[ValidateResult], *, strict: bool = False) -> str:
    """JUnit XML for `rules validate`: one <testcase> per ruleset file, failing with its findings."""
    from xml.etree import ElementTree as ET

    failing = [r for r in results if _fails(r, strict)]
    root = ET.Element(
        "testsuites", name="rules validate", tests=str(len(results)), failures=str(len(failing))
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name="rules validate",
        tests=str(len(results)),
        failures=str(len(failing)),
        errors="0",
        skipped="0",
    )
    for result in results:
        ref, _, found = result
        case = ET.SubElement(suite, "testcase", classname="rules.validate", name=ref, file=source_path(ref))
        if result in failing:
            bad = [d for d in found if d.severity == "error" or (strict and d.severity == "warning")] or found
            failure = ET.SubElement(
                case, "failure", message=bad[0].text() if bad else "invalid ruleset", type="invalid"
            )
            failure.text = "\n".join(d.text() for d in found)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _fails(result: ValidateResult, strict: bool) -> bool:
    _, ruleset, found = result
    return ruleset is None or any(
        d.severity == "error" or (strict and d.severity == "warning") for d in found
    )


# --- sarif --------------------------------------------------------------------------------

SARIF_SCHEMA = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def validate_sarif(results: list[ValidateResult]) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, one rule per diagnostic code, one result per finding."""
    from urllib.parse import quote

    from rulewright.core.version import __version__

    codes = sorted({d.code for _, _, found in results for d in found})
    sarif_results = []
    for _, _, found in results:
        for d in found:
            region: dict[str, Any] = {"startLine": max(d.line, 1), "startColumn": max(d.column, 1)}
            result: dict[str, Any] = {
                "ruleId": d.code,
                "ruleIndex": codes.index(d.code),
                "level": _SARIF_LEVEL[d.severity],
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": quote(source_path(d.file).replace("\\", "/"), safe="/:@")
                            },
                            "region": region,
                        }
                    }
                ],
                "properties": {"jsonPath": d.to_dict()["path"]},
            }
            if d.example is not None:
                result["properties"]["example"] = d.example
            sarif_results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rulewright",
                        "version": __version__,
                        "rules": [
                            {"id": code, "shortDescription": {"text": code.replace("-", " ")}}
                            for code in codes
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def source_path(file: str) -> str:
    """A bundled ruleset's display name (`leg-pain@1.0.0 (leg-pain/1.0.0.yaml)`) as a file path.

    CI annotations and SARIF need a path in the repository; in a checkout (or any install where
    the bundled files are real files) that is the resource's path relative to the working directory.
    """
    import re
    from pathlib import Path

    match = re.fullmatch(r"\S+@\S+ \((\S+)\)", file)
    if not match:
        return file
    from importlib.resources import files

    resource = Path(str(files("rulewright.rulesets") / match.group(1)))
    try:
        return str(resource.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resource)


# --- github -------------------------------------------------------------------------------


def _gh_escape(text: str, *, prop: bool = False) -> str:
    """Workflow-command escaping: %, CR and LF always; `:` and `,` inside properties too."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def github_annotation(level: str, file: str, line: int, col: int, title: str, message: str) -> str:
    props = f"file={_gh_escape(file, prop=True)},line={line},col={col},title={_gh_escape(title, prop=True)}"
    return f"::{level} {props}::{_gh_escape(message)}"


def diagnostics_github(diagnostics: list[Diagnostic]) -> list[str]:
    level = {"error": "error", "warning": "warning", "info": "notice"}
    return [
        github_annotation(level[d.severity], source_path(d.file), d.line, d.column, d.code, d.message)
        for d in diagnostics
    ]


def test_github(report: TestRunReport) -> list[str]:
    lines = diagnostics_github(report.all_diagnostics())
    for run in report.runs:
        ref = run.ruleset.ref if run.ruleset else run.file
        for srun in run.suites:
            for cid, outcome in zip(srun.ids, srun.outcomes, strict=True):
                if outcome.status == "failed":
                    message = "\n".join(m.text() for m in outcome.mismatches) + f"\n(ruleset {ref})"
                    lines.append(
                        github_annotation(
                            "error",
                            srun.suite.file,
                            outcome.case.line,
                            outcome.case.column,
                            f"FAIL {cid}",
                            message,
                        )
                    )
    return lines


# --- validate: text and json --------------------------------------------------------------


def validate_json(results: list[ValidateResult], *, valid: bool) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "valid": valid,
        "files": [
            {
                "file": ref,
                "valid": rs is not None and not any(d.severity == "error" for d in found),
                "ruleset": {"id": rs.id, "version": rs.version, "fingerprint": rs.fingerprint}
                if rs
                else None,
                "diagnostics": [d.to_dict() for d in found],
            }
            for ref, rs, found in results
        ],
    }
