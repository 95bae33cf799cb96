"""The YAML test-suite format and its runner, as `rules test`, pytest and plugin authors use it."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from rulewright.core import Engine
from rulewright.core.authoring.suites import check_case, check_suite, load_suite, plan
from rulewright.core.model.diagnostics import RulesetError
from tests.conftest import MINIMAL, ROOT

Invoke = Callable[..., Any]
LEG_PAIN = (ROOT / "rulesets" / "leg-pain" / "1.0.0.yaml").read_text("utf-8")
BUNDLED_SUITE = ROOT / "rulesets" / "leg-pain" / "tests" / "basic.yaml"


def write_project(tmp_path: Path, suite: str, rulesets: dict[str, str] | None = None) -> Path:
    """A folder like `rulesets/<id>/`: ruleset files and `tests/<name>.yaml`."""
    folder = tmp_path / "mini"
    (folder / "tests").mkdir(parents=True)
    for name, text in (rulesets or {"1.0.0.yaml": MINIMAL}).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "tests" / "cases.yaml").write_text(textwrap.dedent(suite), encoding="utf-8")
    return folder


def run_pytest(folder: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess on `folder`, as an author runs it: collects the YAML suites there."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(folder)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


GOOD = """\
ruleset: mini
versions: ["1.0.0"]
cases:
  - name: high
    answers: {a: false, n: 7}
    expect: {outcome: high, urgency: routine, no_red_flags: [flag]}
  - name: flag_fires
    answers: {a: true, n: 1}
    expect: {outcome: low, urgency: urgent, red_flags: [flag]}
  - name: later
    answers: {}
    todo: decide what an empty record should give
"""


def test_schema_problems_are_reported_at_their_line(tmp_path: Path) -> None:
    folder = write_project(
        tmp_path,
        """\
        ruleset: mini
        versions: ["1.0.0"]
        cases:
          - name: one
            answers: {}
            expect: {outcom: high}
        """,
    )
    with pytest.raises(RulesetError) as err:
        load_suite(folder / "tests" / "cases.yaml")
    (diag,) = err.value.diagnostics
    assert (diag.line, diag.code) == (6, "schema") and "outcom" in diag.message


def test_a_case_must_expect_something_unless_it_is_todo(tmp_path: Path) -> None:
    folder = write_project(
        tmp_path,
        "ruleset: mini\nversions: ['1.0.0']\ncases:\n  - name: vacuous\n    answers: {}\n",
    )
    with pytest.raises(RulesetError):
        load_suite(folder / "tests" / "cases.yaml")


def test_duplicate_case_names_are_refused(tmp_path: Path) -> None:
    folder = write_project(
        tmp_path,
        """\
        ruleset: mini
        versions: ["1.0.0"]
        cases:
          - {name: same, answers: {}, expect: {status: undetermined}}
          - {name: same, answers: {}, expect: {status: undetermined}}
        """,
    )
    with pytest.raises(RulesetError) as err:
        load_suite(folder / "tests" / "cases.yaml")
    assert [(d.code, d.line) for d in err.value.diagnostics] == [("duplicate-case", 5)]


def test_names_the_ruleset_does_not_declare_are_findings(tmp_path: Path, leg_pain: Engine) -> None:
    folder = write_project(
        tmp_path,
        """\
        ruleset: leg-pain
        versions: ["1.0.0"]
        cases:
          - name: typos
            answers: {pain_qualty: dull}
            expect: {outcome: nerv, no_red_flags: [bladder], scores: {nerve: 1}}
        """,
    )
    suite = load_suite(folder / "tests" / "cases.yaml")
    found = {(d.code, d.line, d.column) for d in check_suite(suite, leg_pain.ruleset)}
    assert found == {
        ("unknown-input", 5, 15),
        ("unknown-outcome", 6, 23),
        ("unknown-red-flag", 6, 44),
        ("unknown-score", 6, 63),
    }


@pytest.mark.parametrize(
    ("expect", "what"),
    [
        ({"outcome": "muscle_joint"}, "outcome"),
        ({"status": "undetermined"}, "status"),
        ({"urgency": "emergency"}, "urgency"),
        ({"red_flags": ["bladder_bowel"]}, "red flag bladder_bowel"),
        ({"not_screened": ["bladder_bowel"]}, "not_screened"),
        ({"scores": {"nerve_signs": 3}}, "score nerve_signs"),
        ({"scores": {"nerve_signs": {"min": 2, "max": 3}}}, "score nerve_signs"),
        ({"missing": ["pain_pattern"]}, "missing"),
        ({"recommendations_include": ["surgery tomorrow"]}, "recommendations"),
        ({"recommendations": []}, "recommendations"),
        ({"error": "invalid_answer"}, "error"),
    ],
)
def test_every_kind_of_expectation_can_fail(leg_pain: Engine, expect: dict[str, Any], what: str) -> None:
    # Two nerve answers of three, bladder/bowel answered no: nerve pain, routine (LEG-PAIN.md §1).
    suite = load_suite(BUNDLED_SUITE)
    case = next(c for c in suite.cases if c.name == "burning_follows_path")
    case.expect = expect
    outcome = check_case(leg_pain, case)
    assert [m.what for m in outcome.mismatches] == [what]


def test_the_bundled_suite_passes_through_the_cli(invoke: Invoke) -> None:
    cases = YAML(typ="safe").load(BUNDLED_SUITE.read_text("utf-8"))["cases"]
    result = invoke("test", "leg-pain@1.0.0")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith(f"{len(cases)} passed, 0 failed, 0 skipped")


def test_a_failing_case_shows_where_what_and_why(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_project(
        tmp_path,
        """\
        ruleset: leg-pain
        versions: ["1.0.0"]
        cases:
          - name: fine
            answers: {pain_quality: dull, pain_pattern: moves_around,
                      numbness_tingling_weakness: false, bladder_bowel_control: false}
            expect: {outcome: muscle_joint}
          - name: wrong
            answers: {pain_quality: burning, pain_pattern: follows_path,
                      numbness_tingling_weakness: false, bladder_bowel_control: false}
            expect: {outcome: muscle_joint, urgency: routine}
        """,
        {"1.0.0.yaml": LEG_PAIN},
    )
    result = invoke("test", str(folder))
    assert result.exit_code == 1
    out = result.stdout
    assert f"{folder / 'tests' / 'cases.yaml'}:8:5: FAIL leg-pain::cases::wrong (leg-pain@1.0.0)" in out
    assert 'outcome: expected "muscle_joint", got "nerve"' in out
    assert "urgency" not in out.split("trace:")[0].split("FAIL")[1]  # met expectations are not listed
    # The trace shows each sub-condition with its value and the answer it read.
    assert re.search(r"pattern: true -> 1", out) and re.search(r"numbness: false -> 0", out)
    assert re.search(r"true\s+nerve_signs ≥ 2\s+\(value: 2\)", out)
    assert "FAIL leg-pain::cases::fine" not in out
    assert out.strip().splitlines()[-1].startswith("1 passed, 1 failed, 0 skipped")


def test_keyword_verbose_skip_and_fail_on_empty(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_project(tmp_path, GOOD)
    result = invoke("test", str(folder), "-v")
    assert result.exit_code == 0, result.output
    assert "PASS mini::cases::high" in result.stdout
    assert "SKIP mini::cases::later (todo: decide what an empty record should give)" in result.stdout
    assert "2 passed, 0 failed, 1 skipped" in result.stdout
    only = invoke("test", str(folder), "-k", "flag", "-v")
    assert "1 passed, 0 failed, 0 skipped" in only.stdout and "mini::cases::high" not in only.stdout
    assert invoke("test", str(folder), "-k", "no-such-case").exit_code == 0
    empty = invoke("test", str(folder), "-k", "no-such-case", "--fail-on-empty")
    assert empty.exit_code == 1 and "no test case ran" in empty.stderr


def test_explain_prints_the_trace_of_passing_cases(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_project(tmp_path, GOOD)
    out = invoke("test", str(folder), "--explain", "-k", "high").stdout
    assert re.search(r"true\s+n ≥ 5\s+\(value: 7\)", out)


def test_unknown_target_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("test", "no-such-ruleset")
    assert result.exit_code == 2 and "no-such-ruleset" in result.stderr


def test_an_invalid_suite_fails_the_run(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_project(tmp_path, "ruleset: mini\nversions: ['1.0.0']\ncases: [{name: x}]\n")
    result = invoke("test", str(folder))
    assert result.exit_code == 1 and "cases.yaml:3:" in result.stderr


def test_a_suite_on_several_versions_gets_versioned_ids(invoke: Invoke, tmp_path: Path) -> None:
    newer = MINIMAL.replace("version: 1.0.0", "version: 1.1.0").replace(
        "changes: [{version: 1.0.0, note: first}]", "changes: [{version: 1.1.0, note: second}]"
    )
    folder = write_project(
        tmp_path, GOOD.replace('["1.0.0"]', '["1.*"]'), {"1.0.0.yaml": MINIMAL, "1.1.0.yaml": newer}
    )
    found = plan([str(folder)])
    assert len(found.targets) == 2 and all(len(t.suites) == 1 for t in found.targets)
    out = invoke("test", str(folder), "-v").stdout
    assert "PASS mini::cases::high[1.0.0]" in out and "PASS mini::cases::high[1.1.0]" in out
    only_new = invoke("test", str(folder / "1.1.0.yaml"), "-v").stdout
    assert "PASS mini::cases::high (" not in only_new and "[1.0.0]" not in only_new
    assert "2 passed" in only_new


def test_a_suite_for_a_version_that_is_not_there_is_reported(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_project(tmp_path, GOOD.replace('["1.0.0"]', '["9.0.0"]'))
    result = invoke("test", str(folder / "tests" / "cases.yaml"))
    assert result.exit_code == 1 and "suite-unmatched" in result.stderr


@pytest.mark.slow
def test_pytest_collects_suites_with_stable_ids(tmp_path: Path) -> None:
    folder = write_project(
        tmp_path,
        GOOD + "  - name: wrong\n    answers: {a: false, n: 2}\n    expect: {outcome: high}\n",
    )
    out = run_pytest(folder, tmp_path)
    assert out.returncode == 1, out.stdout
    assert "PASSED mini::cases::high" in out.stdout
    assert "SKIPPED" in out.stdout and "todo: decide" in out.stdout
    assert "FAILED mini::cases::wrong" in out.stdout
    assert 'outcome: expected "high", got "low"' in out.stdout
    assert (
        "2 passed, 1 failed, 1 skipped" in out.stdout.replace("1 skipped, ", "") or "1 failed" in out.stdout
    )


def test_plugin_author_fixtures(
    rulewright_host_factory: Any, rulewright_engine: Any, rulewright_cli: Any, rulewright_run_suites: Any
) -> None:
    from rulewright.core import hookimpl

    class Audit:
        def __init__(self) -> None:
            self.seen: list[str] = []

        @hookimpl
        def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
            self.seen.append(result.status)

    audit = Audit()
    host = rulewright_host_factory(("audit", audit))
    engine = rulewright_engine(MINIMAL, host=host)
    assert engine.evaluate({"a": False, "n": 6}).outcome.id == "high"
    assert audit.seen == ["ok"]
    assert rulewright_cli.invoke("list").exit_code == 0
    report = rulewright_run_suites("leg-pain@1.0.0", host=host)
    assert report.counts()["failed"] == 0 and report.counts()["passed"] > 0


def test_validate_checks_a_suite_file_against_its_ruleset(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_project(tmp_path, GOOD.replace("no_red_flags: [flag]", "no_red_flags: [flgg]"))
    result = invoke("validate", str(folder / "tests" / "cases.yaml"))
    assert result.exit_code == 1
    assert (
        f"{folder / 'tests' / 'cases.yaml'}:6:62: unknown-red-flag mini@1.0.0 has no red flag 'flgg'"
        in result.stdout
    )
    good = write_project(tmp_path / "ok", GOOD)
    assert invoke("validate", str(good / "tests" / "cases.yaml")).exit_code == 0
