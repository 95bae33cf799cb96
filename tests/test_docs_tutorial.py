"""The plugin tutorial shows the example package's real files, whole, and its tests pass.

CI runs the whole tutorial from an empty folder (`.ci/tutorial.py`); these checks are the fast
part of that promise, run with every test run.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins" / "README.md"
EXAMPLE = ROOT / "examples" / "rulewright-plugin-example"


def _file_blocks() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S))


def test_tutorial_shows_every_file_of_the_example_package_whole() -> None:
    # Before: step 1 showed only the module's docstring, so the walk-through could not be followed.
    blocks = _file_blocks()
    assert set(blocks) == {"pyproject.toml", "rulewright_example.py", "tests/test_example.py"}
    for name, shown in blocks.items():
        assert (EXAMPLE / name).read_text(encoding="utf-8") == shown, f"the tutorial's {name} differs"


def test_tutorial_installs_rulewright_and_pytest_and_names_no_missing_file() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    tutorial = text[text.index("## Tutorial") :]
    assert re.search(r"^pip install rulewright pytest mypy\b", tutorial, flags=re.M)
    # The pyproject may name only files the tutorial creates (before: a README it never wrote).
    assert "readme" not in _file_blocks()["pyproject.toml"]


def test_ci_runs_the_tutorial_script_as_written() -> None:
    spec = importlib.util.spec_from_file_location("tutorial", ROOT / ".ci" / "tutorial.py")
    assert spec and spec.loader
    tutorial = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tutorial)
    script = tutorial.script(GUIDE.read_text(encoding="utf-8"))
    assert script.index("pip install /") < script.index("cat > rulewright_example.py")
    assert script.index("cat > tests/test_example.py") < script.index("python -m pytest -q")
    assert "tutorial.py" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_tutorial_tests_pass(pytester) -> None:  # type: ignore[no-untyped-def]
    pytester.syspathinsert(EXAMPLE)
    pytester.makepyfile(test_tutorial=_file_blocks()["tests/test_example.py"])
    # rulewright's fixtures arrive through its pytest11 entry point, as in a plugin author's project.
    outcome = pytester.runpytest("-q").parseoutcomes()
    assert outcome.get("passed", 0) >= 5 and "failed" not in outcome and "error" not in outcome
