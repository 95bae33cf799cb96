"""Decision-space coverage (`rules test --coverage`): what no test case exercised.

Expected item sets are written from the ruleset text by hand: MINIMAL has outcomes `high`
(n >= 5) and `low` (n < 5) under hit policy `first`, one urgent red flag on `a`, and n in 0..10.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rulewright.core import Engine, load_ruleset
from rulewright.core.analysis.coverage import measure
from rulewright.core.authoring.suites import load_suite
from tests.conftest import MINIMAL

Invoke = Callable[..., Any]

ALL_MINIMAL = {
    "outcome:high",
    "outcome:low",
    "red_flag:flag:fires",
    "red_flag:flag:clear",
    "red_flag:flag:not_screened",
    "rule:high:false",
    "undetermined",
    "boundary:fact:n:5:below",
    "boundary:fact:n:5:at",
    "boundary:fact:n:5:above",
}


@pytest.fixture
def minimal(tmp_path: Path, host: Any) -> Engine:
    path = tmp_path / "mini" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(MINIMAL, encoding="utf-8")
    return Engine(load_ruleset(str(path)), host=host)


def test_items_and_what_is_unreachable(minimal: Engine) -> None:
    cov = measure(minimal, [])
    assert {i.key for i in cov.counted()} == ALL_MINIMAL
    # `low` (n < 5) comes after `high` (n >= 5): once high is false, low cannot be false too.
    assert {i.key for i in cov.unreachable()} == {"rule:low:false"}
    assert cov.percent == 0


def test_one_case_covers_only_what_it_exercised(minimal: Engine) -> None:
    cov = measure(minimal, [{"a": False, "n": 7}])
    assert cov.covered & ALL_MINIMAL == {"outcome:high", "red_flag:flag:clear"}
    assert cov.percent == pytest.approx(20.0)


def test_boundaries_just_below_at_and_above(minimal: Engine) -> None:
    cov = measure(minimal, [{"a": False, "n": 4}, {"a": False, "n": 5}, {"a": False, "n": 6}])
    assert {k for k in cov.covered if k.startswith("boundary")} == {
        "boundary:fact:n:5:below",
        "boundary:fact:n:5:at",
        "boundary:fact:n:5:above",
    }
    far = measure(minimal, [{"a": False, "n": 0}, {"a": False, "n": 10}])
    assert not {k for k in far.covered if k.startswith("boundary")}


def test_a_full_set_of_cases_is_100_percent(minimal: Engine) -> None:
    cases = [{"a": True, "n": 4}, {"a": False, "n": 5}, {"n": 6}, {"a": False}]
    cov = measure(minimal, cases)
    assert cov.uncovered() == [] and cov.percent == 100


def test_a_cut_off_at_the_top_of_the_range_has_no_value_above(tmp_path: Path, host: Any) -> None:
    text = MINIMAL.replace("when: {fact: n, ge: 5}", "when: {fact: n, ge: 10}").replace(
        "when: {fact: n, lt: 5}", "when: {fact: n, lt: 10}"
    )
    path = tmp_path / "top.yaml"
    path.write_text(text, encoding="utf-8")
    cov = measure(Engine(load_ruleset(str(path)), host=host), [])
    assert "boundary:fact:n:10:above" in {i.key for i in cov.unreachable()}
    assert "boundary:fact:n:10:below" in {i.key for i in cov.counted()}


def test_out_of_range_boundaries_are_left_out_even_without_enumeration(
    tmp_path: Path, host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rulewright.core.analysis.coverage as coverage

    monkeypatch.setattr(coverage, "MAX_CASES", 1)
    text = MINIMAL.replace("when: {fact: n, ge: 5}", "when: {fact: n, ge: 10}").replace(
        "when: {fact: n, lt: 5}", "when: {fact: n, lt: 10}"
    )
    path = tmp_path / "top.yaml"
    path.write_text(text, encoding="utf-8")
    cov = measure(Engine(load_ruleset(str(path)), host=host), [])
    assert cov.reachable is None
    # n is an integer in 0..10: nothing lies above 10; 9 and 10 exist.
    assert {i.key for i in cov.unreachable()} == {"boundary:fact:n:10:above"}
    assert "rule:low:false" in {i.key for i in cov.counted()}  # cannot be ruled out without enumerating


def test_witnesses_reach_their_items(minimal: Engine) -> None:
    cov = measure(minimal, [])
    for key, answers in cov.witnesses.items():
        assert key in measure(minimal, [answers], exact=False).covered, (key, answers)


def test_bundled_leg_pain_suite_is_fully_covered(invoke: Invoke) -> None:
    result = invoke("test", "leg-pain@1.0.0", "--coverage", "--min-coverage", "100")
    assert result.exit_code == 0, result.output + result.stderr
    assert "coverage leg-pain@1.0.0: 100.0%" in result.stdout
    assert "not covered" not in result.stdout


def _project(tmp_path: Path, cases: str) -> Path:
    folder = tmp_path / "mini"
    (folder / "tests").mkdir(parents=True)
    (folder / "1.0.0.yaml").write_text(MINIMAL, encoding="utf-8")
    (folder / "tests" / "basic.yaml").write_text(
        f"ruleset: mini\nversions: ['1.0.0']\ncases:\n{cases}", encoding="utf-8"
    )
    return folder


def test_min_coverage_fails_and_names_what_is_missing(invoke: Invoke, tmp_path: Path) -> None:
    folder = _project(tmp_path, "  - {name: high, answers: {a: false, n: 7}, expect: {outcome: high}}\n")
    result = invoke("test", str(folder), "--coverage", "--min-coverage", "50")
    assert result.exit_code == 1
    assert "coverage of mini@1.0.0 is 20.0%, below --min-coverage 50" in result.stderr
    # Each gap points at the ruleset line that declares it: outcome `low` is on line 30.
    assert f"{folder / '1.0.0.yaml'}:30:5: not covered: outcome low reached" in result.stdout
    assert invoke("test", str(folder), "--min-coverage", "20").exit_code == 0


def test_json_report_carries_coverage(invoke: Invoke, tmp_path: Path) -> None:
    folder = _project(tmp_path, "  - {name: high, answers: {a: false, n: 7}, expect: {outcome: high}}\n")
    doc = json.loads(invoke("test", str(folder), "--coverage", "--format", "json").stdout)
    (entry,) = doc["rulesets"]
    assert entry["coverage"]["percent"] == 20.0
    assert entry["coverage"]["unreachable"] == ["rule:low:false"]
    assert {u["key"] for u in entry["coverage"]["uncovered"]} == ALL_MINIMAL - {
        "outcome:high",
        "red_flag:flag:clear",
    }


def test_suggest_writes_a_valid_skeleton_of_todo_cases(
    invoke: Invoke, tmp_path: Path, minimal: Engine
) -> None:
    folder = _project(tmp_path, "  - {name: high, answers: {a: false, n: 7}, expect: {outcome: high}}\n")
    target = folder / "tests" / "suggested.yaml"
    result = invoke("test", str(folder), "--suggest", str(target))
    assert result.exit_code == 0 and "wrote 8 suggested cases" in result.stderr
    suite = load_suite(target)
    assert len(suite.cases) == 8 and all(c.todo and not c.expect for c in suite.cases)
    # Filling them in would reach everything that is left.
    cov = measure(minimal, [{"a": False, "n": 7}] + [c.answers for c in suite.cases])
    assert cov.percent == 100
    # The skeleton runs as skipped todos and is never overwritten.
    again = invoke("test", str(folder), "--suggest", str(target))
    assert again.exit_code == 2 and "will not overwrite" in again.stderr
    assert "1 passed, 0 failed, 8 skipped" in invoke("test", str(folder)).stdout
