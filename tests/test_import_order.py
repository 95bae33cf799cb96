"""The modules of core/analysis import one another in one direction: no import circle, not even
one hidden in a function body (a late import is still a circle a reader must untangle).

The graph is read from the source with `ast`, every `import` statement counted wherever it sits,
and `graphlib` puts the modules in a strict order or names the circle.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = "rulewright.core.analysis"


def import_graph(folder: Path, package: str) -> dict[str, set[str]]:
    """Module name -> the modules of the same package it imports, anywhere in its source."""
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in sorted(modules):
        tree = ast.parse((folder / f"{name}.py").read_text("utf-8"))
        uses: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from pkg import mod` names a module too
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            uses |= {t.removeprefix(f"{package}.") for t in targets if t.startswith(f"{package}.")}
        graph[name] = (uses & modules) - {name}
    return graph


def test_analysis_modules_import_in_a_strict_order() -> None:
    graph = import_graph(ROOT / "core" / "analysis", PACKAGE)
    assert len(graph) >= 10  # every module was read
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle in {PACKAGE}: {' -> '.join(exc.args[1])}") from None
    assert set(order) == set(graph)


def test_the_graph_sees_a_circle_hidden_in_a_function(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from pkg.b import x\n", "utf-8")
    (tmp_path / "b.py").write_text("def f():\n    from pkg import a\n", "utf-8")
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"a": {"b"}, "b": {"a"}}
