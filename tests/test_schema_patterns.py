"""Schema patterns match whole strings: a trailing newline never slips through.

JSON Schema patterns are ECMA-262, where `$` is the end of the string; Python's `re` (which the
jsonschema library uses) also lets `$` match before a final newline. Every pattern ends in
`(?!\\n)$`, which reads the same in both dialects: end of the string, and no newline there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from rulewright.core.cli import cli
from tests.conftest import MINIMAL

SCHEMAS = ("ruleset.schema.json", "test-suite.schema.json", "result.schema.json")


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def _schema(name: str) -> dict[str, Any]:
    return json.loads((files("rulewright.schemas") / name).read_text("utf-8"))


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_pattern_refuses_a_trailing_newline(name: str) -> None:
    patterns = list(_patterns(_schema(name)))
    assert patterns
    for pattern in patterns:
        assert pattern.startswith("^") and pattern.endswith("(?!\\n)$"), pattern
        assert re.search(pattern, "\n") is None


def _ruleset(**changes: str) -> dict[str, Any]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(MINIMAL)
    data.update(changes)
    return data


@pytest.mark.parametrize("field, value", [("id", "mini\n"), ("version", "1.0.0\n")])
def test_the_published_schema_alone_refuses_a_trailing_newline(field: str, value: str) -> None:
    # What an integrator's own Python jsonschema sees, without rulewright's checks around it.
    check = Draft202012Validator(_schema("ruleset.schema.json"))
    assert list(check.iter_errors(_ruleset())) == []
    errors = list(check.iter_errors(_ruleset(**{field: value})))
    assert [list(e.absolute_path) for e in errors] == [[field]]


def test_an_input_id_with_a_trailing_newline_is_refused() -> None:
    data = _ruleset()
    data["inputs"][0]["id"] = "a\n"
    errors = list(Draft202012Validator(_schema("ruleset.schema.json")).iter_errors(data))
    assert ["inputs", 0, "id"] in [list(e.absolute_path) for e in errors]


def test_a_fingerprint_with_a_trailing_newline_is_not_a_result_fingerprint() -> None:
    fingerprint = {
        "type": "string",
        "pattern": _schema("result.schema.json")["properties"]["ruleset"]["properties"]["fingerprint"][
            "pattern"
        ],
    }
    assert Draft202012Validator(fingerprint).is_valid("sha256:" + "0" * 64)
    assert not Draft202012Validator(fingerprint).is_valid("sha256:" + "0" * 64 + "\n")


@pytest.mark.parametrize("line", ['id: "mini\\n"', 'version: "1.0.0\\n"'])
def test_rules_validate_refuses_a_trailing_newline(tmp_path: Path, line: str) -> None:
    key = line.split(":")[0]
    text = re.sub(rf"^{key}: .*$", lambda _: line, MINIMAL, count=1, flags=re.M)
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "\\n' does not match" in result.output  # the value, shown with its newline
    assert f"[at $.{key}]" in result.output
