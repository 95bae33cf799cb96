"""The plugin API is typed and versioned (issue 19): every type a hook names is exported from
`rulewright.core`, no hook parameter is `Any` or an untyped callable, and the API version is the
one the compatibility policy documents."""

from __future__ import annotations

import inspect
import re

import rulewright.core
from rulewright.core.hooks import specs
from tests.conftest import ROOT

HOOKS = [fn for name, fn in vars(specs).items() if name.startswith("rulewright_") and callable(fn)]
TYPING_NAMES = {"Any", "Mapping", "None"}  # from typing / collections.abc, not ours to export


def test_every_hook_parameter_has_a_precise_type() -> None:
    # Before: `ruleset: Any`, `engine: Any`, `result: Any`, `register: Callable[[str, Any], None]`.
    for hook in HOOKS:
        for param in inspect.signature(hook).parameters.values():
            annotation = str(param.annotation)
            assert annotation not in ("Any", "inspect._empty"), f"{hook.__name__}({param.name}: {annotation})"
            assert "Callable" not in annotation, f"{hook.__name__}({param.name}): use a Protocol"


def test_every_type_a_hook_names_is_exported_from_rulewright_core() -> None:
    named = set()
    for hook in HOOKS:
        for annotation in [*hook.__annotations__.values()]:
            named |= set(re.findall(r"[A-Za-z_]\w*", str(annotation)))
    missing = sorted(named - TYPING_NAMES - {"str", "list", "dict"} - set(rulewright.core.__all__))
    assert missing == []


def test_plugin_api_version_is_the_documented_one() -> None:
    page = (ROOT / "docs" / "plugins" / "compatibility.md").read_text(encoding="utf-8")
    major, minor = rulewright.core.PLUGIN_API_VERSION
    assert f"now `({major}, {minor})`" in page
    history = re.findall(r"^\| (\d+)\.(\d+) \|", page, flags=re.M)
    assert history[-1] == (str(major), str(minor)), "add the new API version to the history table"
