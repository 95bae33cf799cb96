"""The optional `fhir:` ruleset block: parsed into the model and checked like the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rulewright.core import RulesetError, load_ruleset
from tests.conftest import MINIMAL

Write = Callable[..., Path]

WITH_FHIR = (
    MINIMAL
    + """\
fhir:
  questionnaire: http://example.org/Questionnaire/mini
  code_system: http://example.org/CodeSystem/mini
  link_ids:
    n: "2.1"
"""
)


def test_fhir_block_is_parsed_and_unmapped_inputs_keep_their_id(write_ruleset: Write) -> None:
    rs = load_ruleset(str(write_ruleset(WITH_FHIR)))
    assert rs.fhir.questionnaire == "http://example.org/Questionnaire/mini"
    assert rs.fhir.code_system == "http://example.org/CodeSystem/mini"
    assert rs.fhir.link_id("n") == "2.1"
    assert rs.fhir.link_id("a") == "a"


def test_ruleset_without_fhir_block_maps_every_input_to_its_id(write_ruleset: Write) -> None:
    rs = load_ruleset(str(write_ruleset(MINIMAL)))
    assert rs.fhir.questionnaire is None and rs.fhir.link_ids == {}
    assert [rs.fhir.link_id(i.id) for i in rs.inputs] == ["a", "n"]


def _codes(text: str, write: Write) -> list[tuple[int, str, str]]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(write(text)))
    return [(d.line, d.code, d.message) for d in info.value.diagnostics]


def test_link_id_for_an_unknown_input_is_reported_at_its_key(write_ruleset: Write) -> None:
    text = WITH_FHIR.replace('    n: "2.1"', '    nn: "2.1"')
    found = _codes(text, write_ruleset)
    line = text.splitlines().index('    nn: "2.1"') + 1
    assert [(ln, code) for ln, code, _ in found] == [(line, "unknown-input")]
    assert "'nn'" in found[0][2] and "did you mean 'n'" in found[0][2]


def test_two_inputs_on_one_link_id_are_reported(write_ruleset: Write) -> None:
    text = WITH_FHIR.replace('    n: "2.1"', '    n: "a"')
    found = _codes(text, write_ruleset)
    assert [code for _, code, _ in found] == ["duplicate-link-id"]
    assert "'a'" in found[0][2] and "'n'" in found[0][2]


def test_unknown_key_in_fhir_block_is_a_schema_error(write_ruleset: Write) -> None:
    found = _codes(WITH_FHIR + "  profile: x\n", write_ruleset)
    assert found and all(code.startswith("schema") for _, code, _ in found)
