"""The hook reference is generated from the hookspec docstrings and kept in step with them."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from rulewright.core.documents.hookdoc import hooks, render
from rulewright.core.hooks import specs as hookspecs

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "plugins" / "hooks.md"


def test_every_hookspec_is_in_the_reference_with_a_docstring() -> None:
    declared = sorted(
        name for name, fn in vars(hookspecs).items() if name.startswith("rulewright_") and callable(fn)
    )
    found = hooks()
    assert sorted(h.name for h in found) == declared
    for hook in found:
        assert len(hook.doc.split()) >= 8, f"{hook.name} has no real docstring"
        assert hook.group, f"{hook.name} sits under no '# --- group ---' comment in hookspecs.py"
        # Every parameter a plugin receives is explained (named in backticks) in the docstring.
        for param in inspect.signature(getattr(hookspecs, hook.name)).parameters:
            assert f"`{param}" in hook.doc or f"{param}(" in hook.doc, (
                f"{hook.name}: `{param}` is undocumented"
            )


def test_committed_reference_is_not_stale() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/plugins/hooks.md is stale: run `python -m rulewright.core.documents.hookdoc > docs/plugins/hooks.md`"
    )


def test_plugin_guide_lists_every_hook() -> None:
    guide = (ROOT / "docs" / "plugins" / "README.md").read_text(encoding="utf-8")
    missing = [h.name for h in hooks() if not re.search(rf"`{h.name}\(", guide)]
    assert missing == []
