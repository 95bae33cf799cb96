"""mypy --strict over rulewright.core and rulewright.plugins (CONVENTIONS.md habits).

mypy cannot follow setuptools' editable mapping, so the check runs over a temporary
`rulewright/` tree of symlinks to the real folders.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("mypy", reason="mypy is part of the test extra")


@pytest.mark.slow
def test_core_and_plugins_are_strictly_typed(tmp_path: Path) -> None:
    package = tmp_path / "rulewright"
    package.mkdir()
    for folder in ("core", "plugins"):
        (package / folder).symlink_to(ROOT / folder, target_is_directory=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "-p",
            "rulewright.core",
            "-p",
            "rulewright.plugins",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_example_plugin_is_strictly_typed_against_the_public_api(tmp_path: Path) -> None:
    # The hooks, the types a plugin registers and the fixture types come from `rulewright.core`
    # (issue 19: before, hookspecs said `Any` and none of these types were exported).
    example = ROOT / "examples" / "rulewright-plugin-example"
    (tmp_path / "rulewright").mkdir()
    (tmp_path / "rulewright" / "core").symlink_to(ROOT / "core", target_is_directory=True)
    for name in ("pyproject.toml", "rulewright_example.py", "tests"):
        (tmp_path / name).symlink_to(example / name)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "rulewright_example.py",
            "tests",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "strict = true" in (example / "pyproject.toml").read_text(encoding="utf-8")
