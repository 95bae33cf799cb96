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
