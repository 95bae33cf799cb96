"""The four top-level folders install under the `rulewright` namespace, and nowhere else."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rulewright.core.version import __version__
from tests.conftest import ROOT

MAPPING = {
    "core": "rulewright/core",
    "plugins": "rulewright/plugins",
    "rulesets": "rulewright/rulesets",
    "schemas": "rulewright/schemas",
}


def _source_files(folder: str) -> list[Path]:
    base = ROOT / folder
    return [p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


@pytest.mark.slow
def test_wheel_contains_every_file_at_its_mapped_path(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(tmp_path.glob("rulewright-*.whl"))
    assert wheel.name.startswith(f"rulewright-{__version__}-")  # the version is set in one place
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"{MAPPING[folder]}/{p.relative_to(ROOT / folder).as_posix()}"
        for folder in MAPPING
        for p in _source_files(folder)
    }
    assert expected - names == set()
    top_level = {n.split("/")[0] for n in names if not n.startswith("rulewright-")}
    assert top_level == {"rulewright"}, "nothing may install a bare core/plugins package"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "rules = rulewright.core.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def _imports(path: Path, *, runtime: bool = False) -> list[tuple[str, int]]:
    """Every import of a module; with `runtime`, leaving out those under `if TYPE_CHECKING:`,
    which name types for annotations only and never run (as pytest's hookspecs do)."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if runtime
        and isinstance(node, ast.If)
        and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from rulewright.core import cli` imports the module rulewright.core.cli
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
    return found


def _python_files(*folders: str) -> list[Path]:
    return [p for f in folders for p in (ROOT / f).rglob("*.py")]


def test_no_module_imports_a_bare_core_or_plugins_package() -> None:
    bad = [
        f"{p}:{line} imports {name}"
        for p in _python_files("core", "plugins", "tests")
        for name, line in _imports(p)
        if name.split(".")[0] in ("core", "plugins", "rulesets", "schemas")
    ]
    assert bad == []


def test_core_never_imports_the_builtin_plugins() -> None:
    bad = [
        f"{p}:{line}"
        for p in _python_files("core")
        for name, line in _imports(p)
        if name.startswith("rulewright.plugins")
    ]
    assert bad == []


def test_click_is_used_only_by_the_cli() -> None:
    bad = [
        f"{p}:{line}"
        for p in _python_files("core")
        if "cli" not in p.relative_to(ROOT / "core").parts[:1]
        for name, line in _imports(p, runtime=True)
        if name.split(".")[0] == "click"
    ]
    assert bad == []


# The stages of rulewright.core, lowest first (docs/architecture.md). A stage may import only
# the stages before it; `rulewright.core.version` and the package's public `__init__` stand apart.
STAGES = ("model", "hooks", "evaluate", "analysis", "authoring", "documents", "cli", "pytest_plugin")


def test_core_is_grouped_into_the_stages_and_each_says_what_it_owns() -> None:
    folders = sorted(p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").is_file())
    loose = sorted(
        p.name for p in (ROOT / "core").glob("*.py") if p.name not in ("__init__.py", "version.py")
    )
    assert (folders, loose) == (sorted(STAGES), [])
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((ROOT / "core" / stage / "__init__.py").read_text("utf-8")))
        assert doc and "import" in doc, f"core/{stage}/__init__.py must say what it owns and may import"


def test_no_stage_imports_a_stage_above_it() -> None:
    bad = []
    for path in _python_files("core"):
        parts = path.relative_to(ROOT / "core").parts
        if len(parts) == 1:
            continue
        rank = STAGES.index(parts[0])
        for name, line in _imports(path, runtime=True):
            words = name.split(".")
            above = words[:2] == ["rulewright", "core"] and len(words) > 2 and words[2] in STAGES
            if above and STAGES.index(words[2]) > rank:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({parts[0]}) imports {name}")
    assert bad == []


def test_evaluation_path_does_not_load_schema_yaml_or_solver_libraries() -> None:
    """Compile and evaluate in a fresh interpreter from a ruleset model built without YAML."""
    code = """
import sys, json
from rulewright.core.model.parse import parse_ruleset
from rulewright.core.evaluate.engine import Engine
from rulewright.core.hooks.host import make_plugin_host
data = json.loads(sys.argv[1])
engine = Engine(parse_ruleset(data, source="x", fingerprint="sha256:" + "0" * 64), host=make_plugin_host(entrypoints=False))
engine.evaluate({"a": True, "n": 3})
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("jsonschema", "ruamel", "z3", "referencing", "click"))
print(json.dumps(heavy))
"""
    import json

    from ruamel.yaml import YAML

    from tests.conftest import MINIMAL

    data = YAML(typ="safe").load(MINIMAL)
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(data)], check=True, capture_output=True, text=True
    )
    assert json.loads(out.stdout) == []


def test_one_process_evaluate_loads_neither_the_workers_machinery_nor_the_checkers(tmp_path: Path) -> None:
    """`rules evaluate` in one process, from a bundled ruleset to `-o`, as a fresh interpreter
    runs it: nothing of `--jobs` (multiprocessing, the process pool, pickling), of validation (YAML,
    JSON Schema, the solver) or of `tempfile` is imported; each costs start-up time."""
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"pain_quality": "burning"}\n', encoding="utf-8")
    code = """
import json, sys
from rulewright.core.cli import main
sys.argv = ["rules", "evaluate", "leg-pain@1.0.0", sys.argv[1], "-q", "-o", sys.argv[2]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""
    # A warm checked-ruleset cache, as every run after the first has: the first run of a ruleset
    # (or after the checking code changed) must load the checkers to fill it.
    env = {**os.environ, "RULEWRIGHT_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", code, str(cases), str(tmp_path / "out.jsonl")],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    loaded = set(json.loads(out.stdout))
    assert (
        "rulewright.core.evaluate.engine" in loaded and (tmp_path / "out.jsonl").read_text().count("\n") == 1
    )
    unwanted = {
        "rulewright.core.cli.workers",
        "multiprocessing",
        "concurrent.futures",
        "pickle",
        "tempfile",
        "jsonschema",
        "ruamel.yaml",
        "z3",
    }
    assert sorted(loaded & unwanted) == []
