"""Tests for the example plugin, with rulewright's pytest fixtures (installed with rulewright)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import rulewright_example

from rulewright.core import Engine, EngineFactory, HostFactory, RenderResults, RulesCli

PLUGIN = ("example", rulewright_example)
SEVERE = {"id": "p-1", "pain_severe": True, "bladder_bowel_control": False}


@pytest.fixture
def engine(rulewright_host_factory: HostFactory, rulewright_engine: EngineFactory) -> Engine:
    return rulewright_engine("leg-pain@1.0.0", host=rulewright_host_factory(PLUGIN))


def test_severe_pain_raises_urgency_to_review(engine: Engine) -> None:
    result = engine.evaluate(SEVERE)
    assert result.urgency == "review"
    assert [(f.id, f.source) for f in result.red_flags] == [("severe_pain_review", "example")]


def test_missing_or_negative_answer_never_escalates(engine: Engine) -> None:
    for case in ({"bladder_bowel_control": False}, {"pain_severe": False, "bladder_bowel_control": False}):
        assert not [f for f in engine.evaluate(case).red_flags if f.source == "example"]


def test_escalation_cannot_lower_an_emergency(engine: Engine) -> None:
    result = engine.evaluate({"pain_severe": True, "bladder_bowel_control": True})
    assert result.urgency == "emergency"
    assert {f.id for f in result.red_flags} == {"bladder_bowel", "severe_pain_review"}


def test_triage_line_format(
    engine: Engine, rulewright_host_factory: HostFactory, rulewright_render: RenderResults
) -> None:
    results = [engine.evaluate(SEVERE), engine.evaluate({"bladder_bowel_control": True}, line=2)]
    text = rulewright_render("triage-line", results, host=rulewright_host_factory(PLUGIN))
    lines = [line.split("\t") for line in text.splitlines()]
    # Undecided without the other answers: the outcome cell says so.
    assert lines[0] == ["p-1", "review", "undetermined", "severe_pain_review"]
    assert lines[1][0] == "line 2" and lines[1][1] == "emergency" and lines[1][3] == "bladder_bowel"


def test_cli_with_the_plugin_loaded_in_process(rulewright_cli: RulesCli) -> None:
    args = ["--format", "triage-line", "-a", "pain_severe=yes", "-a", "bladder_bowel_control=no"]
    result = rulewright_cli.with_plugins(PLUGIN).invoke("evaluate", "leg-pain@1.0.0", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\t")[1] == "review"


def _installed() -> str | None:
    try:
        return metadata.version("rulewright-plugin-example")
    except metadata.PackageNotFoundError:
        return None


@pytest.mark.skipif(_installed() is None, reason="the example package is not installed (pip install .)")
def test_installed_package_is_listed_by_rules_plugins() -> None:
    rules = Path(sys.executable).with_name("rules")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RULEWRIGHT_")}
    out = subprocess.run(
        [str(rules), "plugins", "--format", "json"], capture_output=True, text=True, env=env, check=True
    )
    [row] = [p for p in json.loads(out.stdout)["plugins"] if p["name"] == "example"]
    assert (row["distribution"], row["version"]) == ("rulewright-plugin-example", _installed())
    assert row["hooks"] == ["rulewright_escalate", "rulewright_register_formats"]
    assert row["provides"] == {"formats": ["triage-line"]}
    # An integrator can still pin it out: the allow-list is honoured for installed packages.
    pinned = {**env, "RULEWRIGHT_PLUGINS": ""}
    out = subprocess.run(
        [str(rules), "plugins", "--format", "json"], capture_output=True, text=True, env=pinned
    )
    assert "example" not in {p["name"] for p in json.loads(out.stdout)["plugins"]}
