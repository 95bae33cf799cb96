"""No function in core/ is over `LIMIT` lines unless its docstring says why.

A long function is read, tested and changed as one piece; most split into steps named for what
they do. When one should stay long (a table, a hot loop kept flat for speed), its docstring says
so in a sentence starting "Long because". Lines are counted from `def` to the last line of the
body (decorators and click options not counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

LIMIT = 80
REASON = "Long because"


def long_functions(folder: Path) -> dict[str, str]:
    """`path:name` -> docstring of every function over LIMIT lines below `folder`."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if (node.end_lineno or node.lineno) - node.lineno + 1 > LIMIT:
                found[f"{path.relative_to(folder.parent).as_posix()}:{node.name}"] = (
                    ast.get_docstring(node) or ""
                )
    return found


def test_long_functions_in_core_say_why() -> None:
    found = long_functions(ROOT / "core")
    unexplained = sorted(k for k, doc in found.items() if REASON not in doc)
    assert unexplained == []


def test_a_long_function_is_found_and_a_reason_accepted(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "m.py").write_text(
        f"def plain():\n{body}\n\ndef explained():\n    '''{REASON} it is a table.'''\n{body}\n\n"
        "def short():\n    return 1\n",
        "utf-8",
    )
    found = long_functions(tmp_path / "core")
    assert set(found) == {"core/m.py:plain", "core/m.py:explained"}
    assert REASON not in found["core/m.py:plain"] and REASON in found["core/m.py:explained"]
