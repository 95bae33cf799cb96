"""Reports for CI and editors: JSON with a format version, JUnit XML, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft7Validator

from rulewright.core.authoring.reports import github_annotation, source_path
from tests.conftest import MINIMAL, ROOT

Invoke = Callable[..., Any]
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))

# An undeclared input in an outcome (error) and a red flag citing an unknown reference.
BROKEN = MINIMAL.replace("when: {fact: n, lt: 5}", "when: {fact: m, lt: 5}")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def _diagnostics(invoke: Invoke, path: Path) -> list[dict[str, Any]]:
    doc = json.loads(invoke("validate", str(path), "--format", "json").stdout)
    assert doc["format"] == 1
    return [d for f in doc["files"] for d in f["diagnostics"]]


def test_sarif_is_valid_against_the_official_schema(invoke: Invoke, broken: Path) -> None:
    result = invoke("validate", str(broken), "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    errors = list(
        Draft7Validator(SARIF_SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER).iter_errors(log)
    )
    assert errors == []
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    found = _diagnostics(invoke, broken)
    assert found, "the broken ruleset must have findings"
    got = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in run["results"]
    ]
    # The outcome `low` reads the undeclared `m` on MINIMAL's line 32, after `when: {fact: `.
    assert ("unknown-input", str(broken), 32, 18) in got
    assert len(got) == len(found)
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def test_sarif_of_a_valid_bundled_ruleset_points_at_its_file(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    log = json.loads(invoke("validate", "leg-pain@1.0.0", "--format", "sarif").stdout)
    assert list(Draft7Validator(SARIF_SCHEMA).iter_errors(log)) == []
    results = log["runs"][0]["results"]
    # A valid ruleset has no error or warning; informational findings are SARIF notes.
    assert all(r["level"] == "note" for r in results)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris <= {"rulesets/leg-pain/1.0.0.yaml"}


def test_bundled_display_names_map_to_real_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert source_path("leg-pain@1.0.0 (leg-pain/1.0.0.yaml)") == str(Path("rulesets/leg-pain/1.0.0.yaml"))
    assert source_path("my/file.yaml") == "my/file.yaml"


def test_github_annotations_escape_what_would_break_them() -> None:
    line = github_annotation("error", "a,b:c.yaml", 3, 4, "FAIL x::y", "50% wrong\nsecond line")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=FAIL x%3A%3Ay::50%25 wrong%0Asecond line"


def test_validate_github_format(invoke: Invoke, broken: Path) -> None:
    out = invoke("validate", str(broken), "--format", "github").stdout.splitlines()
    assert f"::error file={broken},line=32,col=18,title=unknown-input::'m' is not a declared input" in out


def test_validate_junit(invoke: Invoke, broken: Path) -> None:
    root = ET.fromstring(invoke("validate", str(broken), "leg-pain@1.0.0", "--format", "junit").stdout)
    cases = root.findall(".//testcase")
    assert len(cases) == 2
    failing = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == [str(broken)]
    assert f"{broken}:32:18: unknown-input" in (failing[0].find("failure").text or "")  # type: ignore[union-attr]


SUITE = """\
ruleset: mini
versions: ["1.0.0"]
cases:
  - {name: high, answers: {a: false, n: 7}, expect: {outcome: high}}
  - {name: wrong, answers: {a: false, n: 2}, expect: {outcome: high}}
  - {name: later, answers: {}, skip: not written yet}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    (folder / "tests").mkdir(parents=True)
    (folder / "1.0.0.yaml").write_text(MINIMAL, encoding="utf-8")
    (folder / "tests" / "basic.yaml").write_text(SUITE, encoding="utf-8")
    return folder


def test_test_junit(invoke: Invoke, project: Path) -> None:
    result = invoke("test", str(project), "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"high", "wrong", "later"}
    failure = cases["wrong"].find("failure")
    assert failure is not None and 'outcome: expected "high", got "low"' in (failure.text or "")
    assert cases["wrong"].get("line") == "5"
    assert cases["later"].find("skipped") is not None


def test_test_json_and_github(invoke: Invoke, project: Path) -> None:
    doc = json.loads(invoke("test", str(project), "--format", "json").stdout)
    assert doc["format"] == 1
    assert doc["summary"] == {"passed": 1, "failed": 1, "skipped": 1, "errors": 0}
    (case,) = [c for s in doc["rulesets"][0]["suites"] for c in s["cases"] if c["status"] == "failed"]
    assert case["id"] == "mini::basic::wrong" and case["line"] == 5
    assert case["failures"] == [{"what": "outcome", "expected": "high", "actual": "low"}]
    lines = invoke("test", str(project), "--format", "github").stdout.splitlines()
    assert any(
        line.startswith(
            f"::error file={project / 'tests' / 'basic.yaml'},line=5,col=5,title=FAIL mini%3A%3Abasic%3A%3Awrong::"
        )
        for line in lines
    )
