"""Score expectations with a tolerance: `{value: 22.22, within: 0.01}` for a ratio score."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import MINIMAL
from tests.test_suites import run_pytest, write_project

Invoke = Callable[..., Any]

# `pct` is n/45 x 100: n = 10 gives 22.222..., n missing leaves the interval 0..22.222...
RATIO = MINIMAL.replace(
    "outcomes:\n",
    "scores:\n  - id: pct\n    compute: {mul: [{div: [{fact: n}, 45]}, 100]}\noutcomes:\n",
)
SUITE = """\
ruleset: mini
versions: ["1.0.0"]
cases:
  - name: ratio
    answers: {a: false, n: 10}
    expect: {scores: {pct: %s}}
"""


def run(invoke: Invoke, tmp_path: Path, expectation: str, *args: str) -> Any:
    folder = write_project(tmp_path, SUITE % expectation, {"1.0.0.yaml": RATIO})
    return invoke("test", str(folder), *args)


def test_a_score_within_the_tolerance_passes(invoke: Invoke, tmp_path: Path) -> None:
    result = run(invoke, tmp_path, "{value: 22.22, within: 0.005}")
    assert result.exit_code == 0, result.output


def test_the_tolerance_boundary_written_in_decimals_passes(invoke: Invoke, tmp_path: Path) -> None:
    # 22.23 - 22.222... = 0.00777...; 22.2322 is 0.01 away as an author reads it, not as floats do.
    result = run(invoke, tmp_path, "{value: 22.2322222222222, within: 0.01}")
    assert result.exit_code == 0, result.output


def test_a_score_outside_the_tolerance_fails_showing_expected_tolerance_and_actual(
    invoke: Invoke, tmp_path: Path
) -> None:
    result = run(invoke, tmp_path, "{value: 22.2, within: 0.01}")
    assert result.exit_code == 1
    assert re.search(r"score pct: expected 22\.2 ± 0\.01, got 22\.22222222222222\d*\n", result.stdout)


def test_without_a_tolerance_the_rounded_value_still_fails(invoke: Invoke, tmp_path: Path) -> None:
    result = run(invoke, tmp_path, "22.22")
    assert result.exit_code == 1
    assert re.search(r"score pct: expected 22\.22, got 22\.22222222222222\d*\n", result.stdout)


def test_a_tolerance_on_an_interval_applies_to_each_end(invoke: Invoke, tmp_path: Path) -> None:
    suite = (SUITE % "{min: 0, max: 22.22, within: 0.005}").replace("{a: false, n: 10}", "{a: false}")
    folder = write_project(tmp_path, suite, {"1.0.0.yaml": RATIO})
    assert invoke("test", str(folder)).exit_code == 0
    (folder / "tests" / "cases.yaml").write_text(suite.replace("0.005", "0.001"), encoding="utf-8")
    result = invoke("test", str(folder))
    assert result.exit_code == 1
    assert 'expected {"min": 0, "max": 22.22}, each end ± 0.001' in result.stdout


def test_a_tolerance_does_not_accept_an_interval(invoke: Invoke, tmp_path: Path) -> None:
    suite = (SUITE % "{value: 11, within: 20}").replace("{a: false, n: 10}", "{a: false}")
    result = invoke("test", str(write_project(tmp_path, suite, {"1.0.0.yaml": RATIO})))
    assert result.exit_code == 1
    assert 'score pct: expected 11 ± 20, got {"min": 0, "max": 22.22' in result.stdout


def test_the_json_report_keeps_the_expectation_as_written(invoke: Invoke, tmp_path: Path) -> None:
    result = run(invoke, tmp_path, "{value: 22.2, within: 0.01}", "--format", "json")
    report = json.loads(result.stdout)
    cases = [c for r in report["rulesets"] for s in r["suites"] for c in s["cases"]]
    [[failure]] = [c["failures"] for c in cases]
    assert failure["expected"] == {"value": 22.2, "within": 0.01}
    assert failure["what"] == "score pct" and abs(failure["actual"] - 1000 / 45) < 1e-9


def test_the_schema_refuses_a_value_without_a_tolerance(invoke: Invoke, tmp_path: Path) -> None:
    result = run(invoke, tmp_path, "{value: 22.22}")
    assert result.exit_code == 1
    assert "'within' is a required property" in result.output


def test_the_schema_refuses_a_negative_tolerance(invoke: Invoke, tmp_path: Path) -> None:
    result = run(invoke, tmp_path, "{value: 22.22, within: -0.01}")
    assert result.exit_code == 1
    assert "-0.01 is less than the minimum of 0" in result.output


def test_the_pytest_plugin_uses_the_tolerance(tmp_path: Path) -> None:
    folder = write_project(tmp_path, SUITE % "{value: 22.2, within: 0.01}", {"1.0.0.yaml": RATIO})
    out = run_pytest(folder, tmp_path)
    assert out.returncode == 1, out.stdout
    assert re.search(r"score pct: expected 22\.2 ± 0\.01, got 22\.22222222222222\d*\n", out.stdout)
