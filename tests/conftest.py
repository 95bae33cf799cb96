"""Shared fixtures: a fresh plugin host, the leg-pain engine, a CLI runner, ruleset files."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from rulewright.core import Engine, PluginHost, load_ruleset, make_plugin_host
from rulewright.core.cli import cli

pytest_plugins = ["pytester"]  # tests that run pytest itself (the plugin tutorial's snippet)

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """\
rulewright: 1
id: mini
version: 1.0.0
title: Minimal
status: draft
provenance:
  authors: [tests]
  references: [{id: ref, citation: A citation}]
  changes: [{version: 1.0.0, note: first}]
inputs:
  - id: a
    type: boolean
    question: A?
  - id: n
    type: integer
    question: How many?
    minimum: 0
    maximum: 10
red_flags:
  - id: flag
    level: urgent
    when: {fact: a, eq: true}
    message: A is true.
    action: Act.
    references: [ref]
outcomes:
  - id: high
    label: High
    when: {fact: n, ge: 5}
  - id: low
    label: Low
    when: {fact: n, lt: 5}
"""


def pytest_configure(config: pytest.Config) -> None:
    """The suite tests rulewright itself, bundled YAML suites included: plugins installed in the
    venv (say the example plugin, after `.ci/run`) must not change its results, so the
    allow-list admits none for the whole session (tests that need one set it themselves)."""
    os.environ["RULEWRIGHT_PLUGINS"] = ""


@pytest.fixture
def host() -> PluginHost:
    return make_plugin_host(entrypoints=False)


@pytest.fixture
def leg_pain(host: PluginHost) -> Engine:
    return Engine(load_ruleset("leg-pain@1.0.0"), host=host)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., object]:
    def run(*args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def write_ruleset(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "ruleset.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
