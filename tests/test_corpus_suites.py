"""Hostile test-suite files (`rules test`): each gets its report at file:line:col, exit 1.

Suites are read by the same safe loader as rulesets, so the same bounds and refusals apply; the
manifest `tests/corpus/suites/expected.tsv` names the first line each file must report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rulewright.core.cli import cli
from tests.corpus.guards import forbid_network
from tests.corpus.manifest import CORPUS

SUITES = CORPUS / "suites"


def _cases() -> list[tuple[str, str, int, int]]:
    out = []
    for raw in (SUITES / "expected.tsv").read_text("utf-8").splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        name, code, at = raw.split("\t")
        line, col = at.split(":")
        out.append((name, code, int(line), int(col)))
    return out


CASES = _cases()


def test_manifest_lists_every_suite() -> None:
    assert sorted(c[0] for c in CASES) == sorted(p.name for p in SUITES.glob("*.yaml"))


@pytest.mark.parametrize("name, code, line, col", CASES, ids=[c[0] for c in CASES])
def test_hostile_suite_is_reported_in_place(
    name: str, code: str, line: int, col: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = forbid_network(monkeypatch)
    path = tmp_path / name
    path.write_bytes((SUITES / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    # `rules test` prints paths relative to the working folder
    assert re.search(rf"^(.*/)?{re.escape(name)}:{line}:{col}: {code} ", result.output, re.M), result.output
    assert not (tmp_path / "CANARY").exists()
    assert attempts == []
