"""The docs match the code: every command and option is in the CLI reference, links resolve,
and the plugin guide's example plugin works as printed."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import click
import pytest

from rulewright.core.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
CLI_MD = ROOT / "docs" / "cli.md"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## rules (\S+)\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _command(name: str) -> click.Command:
    module, attr = COMMANDS[name].split(":")
    command: click.Command = getattr(importlib.import_module(module), attr)
    return command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_is_in_the_cli_reference(name: str) -> None:
    sections = _sections(CLI_MD.read_text(encoding="utf-8"))
    assert name in sections, f"docs/cli.md has no '## rules {name}' section"
    section = sections[name]
    for param in _command(name).params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            longest = max(param.opts, key=len)
            assert f"`{longest}" in section or f", {longest}" in section, (
                f"docs/cli.md '## rules {name}' does not describe {longest}"
            )


def test_cli_reference_describes_no_command_that_does_not_exist() -> None:
    documented = set(_sections(CLI_MD.read_text(encoding="utf-8")))
    assert documented <= set(COMMANDS), documented - set(COMMANDS)


def test_help_lists_every_command(invoke) -> None:  # type: ignore[no-untyped-def]
    output = invoke("--help").output
    for name in COMMANDS:
        assert re.search(rf"^  {name}\b", output, flags=re.M), f"rules --help does not list {name}"


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_plugin_guide_example_runs_as_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_source, usage = _python_blocks(ROOT / "docs" / "plugins" / "README.md")[:2]
    module_name = re.search(r"^# (\w+)\.py", plugin_source, flags=re.M)
    assert module_name, "the example plugin block starts with '# <module>.py'"
    (tmp_path / f"{module_name.group(1)}.py").write_text(plugin_source, encoding="utf-8")
    (tmp_path / "use_example.py").write_text(usage, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("use_example")  # runs the guide's asserts
    finally:
        for name in (module_name.group(1), "use_example"):
            sys.modules.pop(name, None)
