"""`rules new ID`: a ruleset and a test suite that validate, pass and are fully covered as written.

The example content teaches the format (comments explain each part) and is meant to be replaced;
it is deliberately not clinical, so nobody mistakes it for advice.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
FIRST_VERSION = "0.1.0"

RULESET = """\
# yaml-language-server: $schema={ruleset_schema}
#
# {title}: scaffolded by `rules new`. Everything below is an EXAMPLE of the format: replace the
# questions, score, red flag and outcomes with your own, keep the tests in tests/ in step, then
# run `rules validate`, `rules test --coverage` and `rules fmt`.
rulewright: 1  # the ruleset format version
id: {id}
version: {version}  # semantic version: bump it for every released change
title: {title}
status: draft  # draft -> active -> retired; `{id}` without a version means the newest active one
description: >-
  What this ruleset decides, for whom, and what it is not (for example: a screening aid, not a
  diagnosis).
provenance:
  authors: [your name]
  reviewers: []
  approved: null  # the date of clinical sign-off, once there is one
  references:
    - id: source
      citation: The guideline or article the rules come from.
      note: Replace with your real sources; red flags cite them by id.
  changes:
    - version: {version}
      note: First draft.
# The questions. An answer that is not given is unknown, never "no".
inputs:
  - id: symptom_a
    type: boolean
    question: Do you have symptom A?
  - id: symptom_b
    type: enum
    question: How would you describe symptom B?
    values: [none, mild, severe]
  - id: days
    type: integer
    question: For how many days have you had it?
    minimum: 0
    maximum: 365
    unit: days
  - id: danger_sign
    type: boolean
    question: Do you have the danger sign?
# Scores add up weighted items; `--explain` shows each item's contribution.
scores:
  - id: points
    label: Example points (0-3)
    items:
      - id: symptom_a
        label: Symptom A
        when: {{fact: symptom_a, eq: true}}
      - id: severe_b
        label: Severe symptom B
        when: {{fact: symptom_b, eq: severe}}
        weight: 2
# Red flags are screened first, on the answers alone, whatever the outcome.
red_flags:
  - id: danger
    level: urgent  # review < urgent < emergency
    when: {{fact: danger_sign, eq: true}}
    message: The danger sign needs a prompt assessment.
    action: Arrange an assessment today.
    references: [source]
# Outcomes are tried in order; with hit policy `first` the first that matches wins. The default
# applies when none matches; if a missing answer could change which one matches, the result is
# `undetermined` and names the questions that would decide it.
hit_policy: first
outcomes:
  - id: high
    label: High
    when: {{score: points, ge: 2}}
    confidence: low
    urgency: review
    recommendations:
      - What to do for a high result.
  - id: long_lasting
    label: Long-lasting
    when: {{fact: days, gt: 14}}
    confidence: low
    recommendations:
      - What to do when it has lasted more than two weeks.
default:
  id: low
  label: Low
  confidence: low
  recommendations:
    - What to do otherwise.
"""

SUITE = """\
# yaml-language-server: $schema={suite_schema}
#
# Tests for {id}: each case gives answers and what the result must show. Write expectations
# from the source, never by copying what the engine prints. `rules test --coverage` lists what
# no case exercises yet; `--suggest FILE` drafts cases for it.
ruleset: {id}
versions: ["{version}"]
cases:
  # Outcomes, and the points threshold: 1 (just below 2), 2 (at) and 3 (above).
  - name: severe_b_alone_is_high
    answers: {{symptom_a: false, symptom_b: severe, days: 3, danger_sign: false}}
    expect: {{status: ok, outcome: high, urgency: review, no_red_flags: [danger], scores: {{points: 2}}}}
  - name: a_and_severe_b_is_high
    answers: {{symptom_a: true, symptom_b: severe, days: 3, danger_sign: false}}
    expect: {{outcome: high, scores: {{points: 3}}}}
  - name: one_point_is_not_high
    answers: {{symptom_a: true, symptom_b: mild, days: 3, danger_sign: false}}
    expect: {{status: ok, outcome: low, urgency: routine, scores: {{points: 1}}}}
  # The days threshold: 13 (just below 14), 14 (at) and 15 (above).
  - name: fifteen_days_is_long_lasting
    answers: {{symptom_a: false, symptom_b: none, days: 15, danger_sign: false}}
    expect: {{outcome: long_lasting, urgency: routine, scores: {{points: 0}}}}
  - name: fourteen_days_is_not_long_lasting
    answers: {{symptom_a: false, symptom_b: none, days: 14, danger_sign: false}}
    expect: {{outcome: low}}
  - name: thirteen_days_is_not_long_lasting
    answers: {{symptom_a: false, symptom_b: mild, days: 13, danger_sign: false}}
    expect: {{outcome: low}}
  # The red flag: fires, and is reported as not screened when its question is unanswered.
  - name: danger_sign_is_urgent_whatever_the_outcome
    answers: {{symptom_a: false, symptom_b: none, days: 1, danger_sign: true}}
    expect: {{outcome: low, urgency: urgent, red_flags: [danger]}}
  - name: unanswered_danger_sign_is_not_screened
    answers: {{symptom_a: false, symptom_b: none, days: 1}}
    expect: {{outcome: low, not_screened: [danger]}}
  # A missing answer that could change the outcome leaves it undetermined.
  - name: missing_answers_leave_the_outcome_undetermined
    answers: {{symptom_a: true, danger_sign: false}}
    expect: {{status: undetermined, outcome: null, scores: {{points: {{min: 1, max: 3}}}}, missing: [days, symptom_b]}}
"""


def schema_ref(folder: Path, name: str) -> str:
    """`$schema=` for a file in `folder`: the repository's `schemas/` if there is one above it,
    else the schema's published id."""
    for parent in (folder.resolve(), *folder.resolve().parents):
        candidate = parent / "schemas" / f"{name}.schema.json"
        if candidate.is_file():
            return os.path.relpath(candidate, folder.resolve()).replace(os.sep, "/")
    return f"https://schemas.rulewright.dev/{name}/1.json"


def scaffold(ruleset_id: str, root: Path, title: str | None = None) -> list[Path]:
    """Write `<root>/<id>/<version>.yaml` and `<root>/<id>/tests/basic.yaml`; return their paths.

    Raises `ValueError` for a bad id and `FileExistsError` if the folder already exists.
    """
    if not ID_PATTERN.fullmatch(ruleset_id):
        raise ValueError(
            f"ruleset id {ruleset_id!r} must be lowercase letters, digits and '-', starting with a letter"
        )
    folder = root / ruleset_id
    if folder.exists():
        raise FileExistsError(f"{folder} already exists")
    tests = folder / "tests"
    tests.mkdir(parents=True)
    title = title or ruleset_id.replace("-", " ").capitalize()
    values = {"id": ruleset_id, "title": title, "version": FIRST_VERSION}
    ruleset = folder / f"{FIRST_VERSION}.yaml"
    ruleset.write_text(
        RULESET.format(ruleset_schema=schema_ref(folder, "ruleset"), **values), encoding="utf-8"
    )
    suite = tests / "basic.yaml"
    suite.write_text(SUITE.format(suite_schema=schema_ref(tests, "test-suite"), **values), encoding="utf-8")
    return [ruleset, suite]
