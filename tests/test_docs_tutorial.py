"""The plugin tutorial shows the example package's real files, and its test snippet passes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins" / "README.md"
EXAMPLE = ROOT / "examples" / "rulewright-plugin-example"


def _file_blocks() -> list[tuple[str, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S)


def test_tutorial_files_are_the_example_package_files() -> None:
    blocks = _file_blocks()
    assert {name for name, _ in blocks} == {"pyproject.toml", "rulewright_example.py"}
    for name, shown in blocks:
        actual = (EXAMPLE / name).read_text(encoding="utf-8")
        # A block is the whole file, or (for the module) its opening lines.
        assert actual == shown or actual.startswith(shown), (
            f"the tutorial's {name} differs from {EXAMPLE / name}"
        )


def test_tutorial_test_snippet_passes(pytester) -> None:  # type: ignore[no-untyped-def]
    text = GUIDE.read_text(encoding="utf-8")
    [snippet] = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "rulewright_render" in b]
    pytester.syspathinsert(EXAMPLE)
    pytester.makepyfile(test_tutorial=snippet)
    # rulewright's fixtures arrive through its pytest11 entry point, as in a plugin author's project.
    pytester.runpytest("-q").assert_outcomes(passed=2)
