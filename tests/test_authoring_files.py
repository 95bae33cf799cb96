"""What editors and commit hooks rely on: schema lines, schema descriptions and snippets,
.vscode/settings.json and .pre-commit-hooks.yaml."""

from __future__ import annotations

import fnmatch
import json
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from rulewright.core.cli import COMMANDS
from tests.conftest import ROOT

SCHEMA_LINE = "# yaml-language-server: $schema="
RULESETS = sorted(p for p in (ROOT / "rulesets").glob("*/*.y*ml"))
SUITES = sorted(p for p in (ROOT / "rulesets").glob("*/tests/*.y*ml"))


@pytest.mark.parametrize("path", RULESETS + SUITES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_file_names_its_schema_on_the_first_line(path: Path) -> None:
    first = path.read_text("utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), (
        f"{path.relative_to(ROOT)} must start with {SCHEMA_LINE}<relative path>"
    )
    target = (path.parent / first[len(SCHEMA_LINE) :].strip()).resolve()
    expected = "test-suite.schema.json" if path in SUITES else "ruleset.schema.json"
    assert target == (ROOT / "schemas" / expected).resolve()


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key != "body":  # snippet bodies are example documents, not schemas
                yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("name", ["ruleset", "test-suite"])
def test_schemas_explain_and_complete_for_editors(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8"))
    for node in _walk(schema):
        if isinstance(node.get("description"), str) and "body" not in node:  # a snippet has plain text
            # VS Code's YAML extension shows markdownDescription rather than description.
            assert "markdownDescription" in node, node["description"]
    undocumented = [k for k, v in schema["properties"].items() if "markdownDescription" not in v]
    assert undocumented == [], f"top-level keys without markdownDescription: {undocumented}"
    snippets = [s for node in _walk(schema) for s in node.get("defaultSnippets", ())]
    assert len(snippets) >= 3 and all({"label", "body"} <= set(s) for s in snippets)


def test_vscode_maps_each_schema_onto_the_bundled_files() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text("utf-8"))
    mapping = settings["yaml.schemas"]
    covered: dict[Path, str] = {}
    for schema, globs in mapping.items():
        assert (ROOT / schema).is_file(), schema
        for path in RULESETS + SUITES:
            rel = path.relative_to(ROOT).as_posix()
            if any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs):
                covered.setdefault(path, Path(schema).name)
    assert {p: covered.get(p) for p in RULESETS} == dict.fromkeys(RULESETS, "ruleset.schema.json")
    assert {p: covered.get(p) for p in SUITES} == dict.fromkeys(SUITES, "test-suite.schema.json")


def test_pre_commit_hooks_run_real_commands_and_options() -> None:
    import importlib

    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    ids = {h["id"] for h in hooks}
    assert {"rules-validate", "rules-test"} <= ids
    for hook in hooks:
        program, command, *options = shlex.split(hook["entry"])
        assert program == "rules" and command in COMMANDS, hook["entry"]
        module, attr = COMMANDS[command].split(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        known = {opt for p in cmd.params if isinstance(p, click.Option) for opt in p.opts}
        assert set(options) <= known, (hook["id"], set(options) - known)
