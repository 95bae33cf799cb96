"""docs/integrators/fhir.md shows real output: every `rules ...` command followed by a JSON block
is run (with the page's files) and its output compared with what the page shows."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "integrators" / "fhir.md"


def test_fhir_page_outputs_are_real(invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name, body in re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S):
        (tmp_path / name).write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    examples = re.findall(r"```sh\n(rules [^\n]+)\n```\n\n```json\n(.*?)```", text, flags=re.S)
    assert len(examples) == 2
    for command, shown in examples:
        result = invoke(*shlex.split(command)[1:])
        assert result.exit_code == 0, result.stderr
        [actual] = [json.loads(line) for line in result.stdout.splitlines()]
        assert actual == json.loads(shown), f"docs/integrators/fhir.md is stale for: {command}"


def test_fhir_page_questionnaire_excerpt_is_real(invoke: Any) -> None:
    text = PAGE.read_text(encoding="utf-8")
    excerpt = re.search(r"Two of the items:\n\n```json\n(.*?)```", text, flags=re.S)
    assert excerpt
    items = json.loads(invoke("export", "questionnaire", "leg-pain@1.0.0").stdout)["item"]
    for item in json.loads(excerpt.group(1)):
        assert item in items
