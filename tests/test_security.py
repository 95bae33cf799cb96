"""Security guarantees that are not a single hostile file (see docs/security.md)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from rulewright.core import load_ruleset
from rulewright.core.model.schemas import validator
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


# -- no code execution, no network: what the shipped code may call at all ----------------------

ROOT = Path(__file__).resolve().parents[1]
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
BANNED_MODULES = {
    "socket",
    "ssl",
    "http",
    "urllib.request",
    "requests",
    "httpx",
    "ftplib",
    "smtplib",
    "subprocess",
    "pickle",
    "marshal",
    "shelve",
    "ctypes",
}


def _shipped_sources() -> list[Path]:
    return sorted(p for folder in ("core", "plugins") for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _shipped_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_code_neither_evaluates_code_nor_opens_connections(path: Path) -> None:
    import ast

    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in BANNED_CALLS, f"{path}:{node.lineno} calls {node.func.id}"
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            names = []
        for name in names:
            banned = {m for m in BANNED_MODULES if name == m or name.startswith(m + ".")}
            assert not banned, f"{path}:{node.lineno} imports {name}"
        if isinstance(node, ast.keyword) and node.arg == "typ" and isinstance(node.value, ast.Constant):
            assert node.value.value in ("rt", "safe"), (
                f"{path}:{node.lineno} YAML loader {node.value.value!r}"
            )
