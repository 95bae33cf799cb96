"""`rules new ID`: the scaffold validates, passes, is fully covered and formatted as written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

Invoke = Callable[..., Any]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out like this repository: rulesets/ and schemas/."""
    (tmp_path / "rulesets").mkdir()
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_new_ruleset_validates_passes_and_is_fully_covered(invoke: Invoke, repo: Path) -> None:
    result = invoke("new", "demo-rule", "--title", "Demo rule")
    assert result.exit_code == 0, result.output
    ruleset = Path("rulesets/demo-rule/0.1.0.yaml")
    suite = Path("rulesets/demo-rule/tests/basic.yaml")
    assert result.stdout.splitlines() == [f"created {ruleset}", f"created {suite}"]
    validate = invoke("validate", "--strict", "--format", "json", str(ruleset))
    assert validate.exit_code == 0, validate.stdout
    found = json.loads(validate.stdout)["files"][0]
    assert found["ruleset"]["id"] == "demo-rule" and found["ruleset"]["version"] == "0.1.0"
    assert [d for d in found["diagnostics"] if d["severity"] != "info"] == []
    tested = invoke("test", "rulesets/demo-rule", "--coverage", "--min-coverage", "100", "--fail-on-empty")
    assert tested.exit_code == 0, tested.output
    assert "0 failed, 0 skipped" in tested.stdout and "coverage demo-rule@0.1.0: 100.0%" in tested.stdout
    assert invoke("fmt", "--check", "rulesets/demo-rule").exit_code == 0
    assert "title: Demo rule" in ruleset.read_text("utf-8")


def test_scaffold_points_editors_at_the_schemas_and_teaches_in_comments(invoke: Invoke, repo: Path) -> None:
    invoke("new", "demo")
    ruleset = repo / "rulesets" / "demo" / "0.1.0.yaml"
    suite = repo / "rulesets" / "demo" / "tests" / "basic.yaml"
    for path, schema in ((ruleset, "ruleset"), (suite, "test-suite")):
        first = path.read_text("utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (path.parent / first.split("=", 1)[1]).resolve() == repo / "schemas" / f"{schema}.schema.json"
    lines = ruleset.read_text("utf-8").splitlines()
    for key in ("inputs:", "scores:", "red_flags:", "hit_policy:"):
        at = next(i for i, line in enumerate(lines) if line.startswith(key))
        assert lines[at - 1].startswith("# "), f"no comment explains {key}"


def test_outside_a_repository_the_schema_line_uses_the_published_id(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "solo").exit_code == 0
    first = (tmp_path / "solo" / "0.1.0.yaml").read_text("utf-8").splitlines()[0]
    published = json.loads((ROOT / "schemas" / "ruleset.schema.json").read_text("utf-8"))["$id"]
    assert first == f"# yaml-language-server: $schema={published}"
    assert invoke("test", "solo", "--fail-on-empty").exit_code == 0


def test_new_refuses_a_bad_id_or_an_existing_folder(invoke: Invoke, repo: Path) -> None:
    bad = invoke("new", "Bad_Id")
    assert bad.exit_code == 2 and "Bad_Id" in bad.stderr
    assert invoke("new", "twice").exit_code == 0
    again = invoke("new", "twice")
    assert again.exit_code == 2 and "already exists" in again.stderr
