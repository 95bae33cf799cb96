"""Security guarantees that are not a single hostile file (see docs/security.md)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from rulewright.core import load_ruleset
from rulewright.core.schemas import validator
from tests.conftest import MINIMAL
from tests.corpus.guards import forbid_network


def test_schema_validator_never_fetches_a_remote_ref(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our registry refuses any URI it does not hold, so a remote `$ref` fails without I/O."""
    from referencing.exceptions import Unresolvable

    attempts = forbid_network(monkeypatch)
    hostile = validator("ruleset").evolve(schema={"$ref": "https://example.invalid/evil.schema.json"})
    with pytest.raises(Unresolvable):
        hostile.validate({"id": "x"})
    assert attempts == []


def test_a_bom_prefixed_ruleset_loads_and_keeps_its_fingerprint(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    bom = tmp_path / "bom.yaml"
    plain.write_text(MINIMAL, encoding="utf-8")
    bom.write_bytes(codecs.BOM_UTF8 + MINIMAL.encode("utf-8"))
    assert load_ruleset(str(bom)).fingerprint == load_ruleset(str(plain)).fingerprint


def test_crlf_line_endings_load_with_the_same_fingerprint(tmp_path: Path) -> None:
    lf = tmp_path / "lf.yaml"
    crlf = tmp_path / "crlf.yaml"
    lf.write_text(MINIMAL, encoding="utf-8")
    crlf.write_bytes(MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    assert load_ruleset(str(crlf)).fingerprint == load_ruleset(str(lf)).fingerprint
