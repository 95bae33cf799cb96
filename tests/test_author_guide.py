"""The author guide's walk-through, replayed: every command output it prints must be real.

Each `$ rules ...` line in a code block of docs/authors/README.md is run at the point of the
walk-through where the guide runs it, and every line the guide shows under it (except `...`)
must appear in the command's actual output.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

Invoke = Callable[..., Any]
GUIDE = ROOT / "docs" / "authors" / "README.md"


def _shown() -> dict[str, list[str]]:
    """`$ command` -> the output lines the guide shows for it (in plain ``` blocks)."""
    out: dict[str, list[str]] = {}
    fence: str | None = None
    command: str | None = None
    for line in GUIDE.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fence = line[3:] if fence is None else None
            command = None
        elif fence == "" and line.startswith("$ "):
            command = line[2:]
            out[command] = []
        elif fence == "" and command is not None and line.strip() != "...":
            out[command].append(line)
    return out


NEW_INPUT = """\
  - id: loss_of_control
    type: boolean
    question: Have you suddenly lost control of the limb?
"""
NEW_FLAG = """\
  - id: loss_of_control
    when: {fact: loss_of_contrl, eq: true}
    level: emergency
    message: Sudden loss of control needs emergency care.
    action: Call emergency services now.
    references: [source]
"""
NEW_CASE = """\
  - name: loss_of_control_is_an_emergency
    answers: {symptom_a: false, symptom_b: none, days: 0, danger_sign: false, loss_of_control: true}
    expect: {outcome: low, urgency: emergency, red_flags: [loss_of_control]}
"""


def test_the_walk_through_prints_what_the_guide_shows(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rulesets").mkdir()
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    shown = _shown()
    ran: set[str] = set()

    def run(command: str) -> None:
        result = invoke(*shlex.split(command)[1:])
        actual = (result.stdout + result.stderr).splitlines()
        missing = [line for line in shown[command] if line not in actual]
        assert missing == [], f"`{command}` no longer prints these lines of the guide: {missing}"
        ran.add(command)

    ruleset = Path("rulesets/my-rule/0.1.0.yaml")
    suite = Path("rulesets/my-rule/tests/basic.yaml")
    run('rules new my-rule --title "My rule"')
    text = ruleset.read_text("utf-8")
    text = text.replace(
        "    question: Do you have the danger sign?\n",
        "    question: Do you have the danger sign?\n" + NEW_INPUT,
    )
    text = text.replace(
        "    references: [source]\n# Outcomes", "    references: [source]\n" + NEW_FLAG + "# Outcomes"
    )
    ruleset.write_text(text, encoding="utf-8")
    run("rules validate rulesets/my-rule/0.1.0.yaml")
    ruleset.write_text(text.replace("loss_of_contrl", "loss_of_control"), encoding="utf-8")
    run(next(c for c in shown if c.startswith("rules evaluate rulesets/my-rule/0.1.0.yaml")))
    run("rules test rulesets/my-rule")
    # The guide's fix: the old cases answer the new question; the unanswered case expects both flags unscreened.
    cases = suite.read_text("utf-8")
    cases = cases.replace("danger_sign: false}", "danger_sign: false, loss_of_control: false}")
    cases = cases.replace("danger_sign: true}", "danger_sign: true, loss_of_control: false}")
    cases = cases.replace(
        "expect: {outcome: low, not_screened: [danger]}",
        "expect: {outcome: low, urgency: review, not_screened: [danger, loss_of_control]}",
    )
    suite.write_text(cases, encoding="utf-8")
    run("rules test rulesets/my-rule --coverage --suggest rulesets/my-rule/tests/todo.yaml")
    todo = Path("rulesets/my-rule/tests/todo.yaml").read_text("utf-8")
    assert (
        "answers: {danger_sign: false, days: 0, loss_of_control: true, symptom_a: false, symptom_b: none}"
        in todo
    )
    Path("rulesets/my-rule/tests/todo.yaml").unlink()
    suite.write_text(cases + NEW_CASE, encoding="utf-8")
    run("rules test rulesets/my-rule --coverage --min-coverage 100")
    run("rules fmt --check rulesets/my-rule")
    run("rules fmt rulesets/my-rule")
    assert ran == set(shown), f"commands in the guide the walk-through does not replay: {set(shown) - ran}"
