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


def _mypy(folder: Path, *args: str) -> None:
    """Run mypy in `folder` (where a `rulewright/` tree of symlinks stands) and require it clean."""
    cache = ["--cache-dir", str(folder / ".mypy_cache")]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", *cache, *args], cwd=folder, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _link_rulewright(folder: Path, *parts: str) -> None:
    (folder / "rulewright").mkdir()
    for part in parts:
        (folder / "rulewright" / part).symlink_to(ROOT / part, target_is_directory=True)


@pytest.mark.slow
def test_core_and_plugins_are_strictly_typed(tmp_path: Path) -> None:
    _link_rulewright(tmp_path, "core", "plugins")
    _mypy(tmp_path, "--strict", "-p", "rulewright.core", "-p", "rulewright.plugins")


@pytest.mark.slow
def test_example_plugin_is_strictly_typed_against_the_public_api(tmp_path: Path) -> None:
    # The hooks, the types a plugin registers and the fixture types come from `rulewright.core`
    # (issue 19: before, hookspecs said `Any` and none of these types were exported).
    example = ROOT / "examples" / "rulewright-plugin-example"
    _link_rulewright(tmp_path, "core")
    for name in ("pyproject.toml", "rulewright_example.py", "tests"):
        (tmp_path / name).symlink_to(example / name)
    assert "strict = true" in (example / "pyproject.toml").read_text(encoding="utf-8")
    _mypy(tmp_path, "rulewright_example.py", "tests")  # strict, by the example's own settings
