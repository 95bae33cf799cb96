"""docs/architecture.md stays a true map: the paths, modules, hooks and stages it names exist, its
stage diagram is the import order tests/test_packaging.py enforces, its record path is the order
the engine calls the hooks in, and every pointer into it lands on a section. No guide names a
module path that is gone, and nothing cites the design note that is not in the repository."""

from __future__ import annotations

import importlib
import itertools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from rulewright.core import Engine, hookimpl, load_ruleset, make_plugin_host
from rulewright.core.hooks import specs
from tests import mermaid
from tests.conftest import MINIMAL
from tests.test_packaging import STAGES

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"

mermaid_dir = mermaid.mermaid_dir  # the fixture that installs Mermaid once per machine

# A repository path in the text (a relative link target is checked by tests/test_docs.py).
_PATH = re.compile(
    r"(?<![\w./-])(?<!\]\()((?:core|plugins|rulesets|schemas|tests|benchmarks|docs|examples)/[\w./-]*)"
)
_MODULE = re.compile(r"\brulewright(?:\.\w+)+")
_PLACEHOLDER = re.compile(r"(?<![A-Za-z])(?:NAME|ID|AREA)(?![A-Za-z])")
_HOOK = re.compile(r"\brulewright_\w+")
_CITED = re.compile(r"architecture\.md#([\w-]+)")


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


def _diagrams(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, flags=re.S)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _exists(path: str) -> bool:
    """The path exists; for a placeholder (`core/cli/NAME.py`, `tests/test_AREA.py`), its folder does."""
    parts = list(itertools.takewhile(lambda p: not _PLACEHOLDER.search(p), path.rstrip("/").split("/")))
    return (ROOT / "/".join(parts)).exists()


def _hooks() -> set[str]:
    return {name for name, fn in vars(specs).items() if name.startswith("rulewright_") and callable(fn)}


def test_every_path_the_page_names_exists() -> None:
    paths = {m.rstrip(".,") for m in _PATH.findall(_text())}
    assert len(paths) > 20  # the pattern finds the page's paths at all
    assert [path for path in sorted(paths) if not _exists(path)] == []


def test_no_page_of_the_docs_names_a_code_path_that_is_gone() -> None:
    """Modules move (core was regrouped by stage): a guide must not send readers to an old path."""
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
    gone = [
        f"{page.relative_to(ROOT)}: {path}"
        for page in pages
        for path in _PATH.findall(page.read_text(encoding="utf-8"))
        if path.startswith(("core/", "plugins/")) and not _exists(path.rstrip(".,"))
    ]
    assert gone == []


def test_every_module_the_page_names_can_be_imported() -> None:
    names = set(_MODULE.findall(_text()))
    assert "rulewright.core" in names
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
            try:
                thing: Any = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attr in parts[cut:]:
                assert hasattr(thing, attr), f"docs/architecture.md names {name}, which does not exist"
                thing = getattr(thing, attr)
            break
        else:
            pytest.fail(f"docs/architecture.md names {name}, which is not a module")


def test_every_hook_the_page_names_is_a_hook() -> None:
    assert set(_HOOK.findall(_text())) - _hooks() == set()


def test_the_page_names_every_hook() -> None:
    assert _hooks() - set(_HOOK.findall(_text())) == set()


def test_every_stage_of_core_is_on_the_page() -> None:
    stages = sorted(p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").is_file())
    text = _text()
    chart = _diagrams(text)[0]
    for stage in stages:
        assert re.search(rf"^\s*{stage}\[", chart, flags=re.M), f"the stage diagram has no node {stage}"
        assert f"| `core/{stage}/` |" in text, f"the stages table has no row for core/{stage}/"


def test_the_stage_diagram_is_the_import_order_the_packaging_test_enforces() -> None:
    chart = _diagrams(_text())[0]
    edges = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", chart, flags=re.M))
    # Each stage may import the one below it (and so everything below that), lowest last.
    assert edges == {(upper, lower) for lower, upper in itertools.pairwise(STAGES)}


class _Probe:
    """Records the order the engine calls the per-case hooks in. Its `rulewright_prepare_facts`
    renames `alpha` to `a`, so a red flag on `a` is found only when the screen comes after it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Mapping[str, Any]) -> Mapping[str, Any]:
        self.calls.append("rulewright_prepare_facts")
        return {("a" if k == "alpha" else k): v for k, v in record.items()}

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> None:
        if result.red_flags:
            self.calls.append("red flag")
        self.calls.append("rulewright_escalate")

    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        self.calls.append("rulewright_evaluation_finished")


def test_the_record_path_shows_the_hooks_and_the_screen_in_the_order_the_engine_runs_them(
    write_ruleset: Any,
) -> None:
    probe = _Probe()
    host = make_plugin_host(entrypoints=False, extra=[("probe", probe)])
    engine = Engine(load_ruleset(str(write_ruleset(MINIMAL))), host=host)
    result = engine.evaluate({"alpha": True, "n": 6})
    assert (result.status, [f.id for f in result.red_flags]) == ("ok", ["flag"])
    sequence = _diagrams(_text())[1]
    steps = [
        step
        for line in sequence.splitlines()
        if "->>" in line
        for step in (
            "rulewright_prepare_facts",
            "red flag",
            "rulewright_escalate",
            "rulewright_evaluation_finished",
        )
        if step in line
    ]
    assert steps == probe.calls


def test_every_pointer_into_the_page_lands_on_a_section() -> None:
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", _text(), flags=re.M)}
    cited: dict[str, str] = {}
    for path in _repository_files():
        for anchor in _CITED.findall(path.read_text("utf-8", errors="replace")):
            cited.setdefault(anchor, str(path.relative_to(ROOT)))
    assert len(cited) >= 4  # the result record, exit codes, safety, the folders
    assert {a: where for a, where in cited.items() if a not in anchors} == {}


def test_no_file_cites_the_design_note_that_is_not_in_the_repository() -> None:
    name = "DESIGN" + ".md"  # spelt in two, so this file does not cite it
    citing = [
        str(p.relative_to(ROOT)) for p in _repository_files() if name in p.read_text("utf-8", "replace")
    ]
    assert citing == []


def _repository_files() -> list[Path]:
    """The repository's own files: .git, virtual environments, caches and builds left out."""
    skip = {".git", "__pycache__", "node_modules", "build", "dist"}
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [
            d
            for d in dirs
            if d not in skip
            and not d.endswith(".egg-info")
            and not (d.endswith("_cache") or d == ".hypothesis")
            and not (Path(folder, d, "pyvenv.cfg").exists())
        ]
        found += [Path(folder) / f for f in files if not f.endswith((".pyc", ".gz", ".whl"))]
    return found


@pytest.mark.slow
def test_mermaid_itself_parses_the_pages_diagrams(mermaid_dir: Path, tmp_path: Path) -> None:
    found = mermaid.parse(
        mermaid_dir,
        tmp_path,
        {
            "stages": _diagrams(_text())[0],
            "path": _diagrams(_text())[1],
            "broken": "sequenceDiagram\n  A->>: x\n",
        },
    )
    # The parser is real: it rejects the broken diagram, and accepts the page's two.
    assert found.pop("broken").startswith("FAIL")
    assert found == {"stages": "flowchart-v2", "path": "sequence"}
