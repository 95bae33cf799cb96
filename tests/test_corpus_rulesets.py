"""Every hostile ruleset in tests/corpus/rulesets gets its diagnostic at file:line:col, exit 1.

No traceback, nothing executed (the object-building tags would `touch CANARY`), no network.
A subprocess run over the whole corpus adds limits on memory and time, so a loader bound that
stopped working (alias expansion, depth, size) fails here instead of hanging CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rulewright.core.cli import cli
from tests.corpus.guards import forbid_network
from tests.corpus.manifest import RULESETS, RulesetCase, ruleset_cases

CASES = ruleset_cases()


def test_manifest_lists_every_file_once() -> None:
    listed = [c.name for c in CASES if c.make is None]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(p.name for p in RULESETS.glob("*.yaml"))


def test_corpus_is_at_least_sixty() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_ruleset_gets_a_positioned_diagnostic(
    case: RulesetCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = forbid_network(monkeypatch)
    path = case.path(tmp_path)
    monkeypatch.chdir(tmp_path)  # where `touch CANARY` would land
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    expected = f"{path}:{case.line}:{case.column}: {case.code} "
    assert expected in result.stdout, result.stdout
    assert not (tmp_path / "CANARY").exists()
    assert attempts == []


@pytest.mark.parametrize("command", ["evaluate", "validate-json"])
def test_evaluate_and_json_report_refuse_the_same_files(command: str, tmp_path: Path) -> None:
    """`rules evaluate` and `validate --format json` load through the same checks."""
    sample = [c for c in CASES if c.make is None][::9]
    for case in sample:
        path = str(case.path(tmp_path))
        if command == "evaluate":
            result = CliRunner().invoke(cli, ["evaluate", path, "--answer", "a=true"])
            assert result.exit_code == 2, (case.name, result.output)  # cannot be loaded: no run
            assert f"{path}:{case.line}:{case.column}: {case.code} " in result.stderr
        else:
            result = CliRunner().invoke(cli, ["validate", "--format", "json", path])
            assert result.exit_code == 1
            assert f'"code": "{case.code}"' in result.stdout


MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space on top of the interpreter's own


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="uses RLIMIT_AS")
def test_whole_corpus_in_bounded_memory_and_time(tmp_path: Path) -> None:
    paths = [str(c.path(tmp_path)) for c in CASES]
    script = (
        "import resource, sys\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
        "base = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        f"resource.setrlimit(resource.RLIMIT_AS, (base + {MEMORY_LIMIT}, hard))\n"
        "from rulewright.core.cli import main\n"
        "sys.argv = ['rules', 'validate', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {**os.environ, "RULEWRIGHT_DISABLE_PLUGINS": "all"}
    proc = subprocess.run(
        [sys.executable, "-c", script, *paths],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a speed test
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "MemoryError" not in proc.stderr
    for case, path in zip(CASES, paths, strict=True):
        assert re.search(rf"^{re.escape(path)}:{case.line}:{case.column}: {case.code} ", proc.stdout, re.M), (
            case
        )
    assert f"checked {len(CASES)} rulesets" in proc.stderr
    assert not (tmp_path / "CANARY").exists()


# `rules validate` also checks that an installed plugin provides the named scorer; the other
# commands that load a ruleset report that when they build the engine, not at load time.
VALIDATE_ONLY = {"unknown-scorer"}


@pytest.mark.parametrize("command", ["diff-new", "test"])
def test_other_commands_report_the_same_diagnostic(command: str, tmp_path: Path) -> None:
    """`rules diff` (either side) and `rules test` load rulesets through the same checks."""
    for case in [c for c in CASES if c.make is None and c.code not in VALIDATE_ONLY]:
        path = str(case.path(tmp_path))
        args = {
            "diff-old": ["diff", path, "leg-pain@1.0.0"],
            "diff-new": ["diff", "leg-pain@1.0.0", path],
            "test": ["test", path],
        }[command]
        result = CliRunner().invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            case.name,
            result.exception,
        )
        # `rules test` reports a ruleset it cannot load as a failure; `rules diff` cannot run.
        assert result.exit_code == (1 if command == "test" else 2), (case.name, result.output)
        assert "Traceback" not in result.output
        assert f"{case.name}:{case.line}:{case.column}: {case.code} " in result.output, (
            case.name,
            result.output,
        )
