"""Outcome confidence raised by evidence (`confidence_when`), and citations on outcomes and scores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rulewright.core import Engine, PluginHost, load_ruleset
from rulewright.core.model.diagnostics import RulesetError
from tests.conftest import MINIMAL

RAISED = MINIMAL.replace(
    """  - id: high
    label: High
    when: {fact: n, ge: 5}
""",
    """  - id: high
    label: High
    when: {fact: n, ge: 5}
    confidence: low
    references: [ref]
    rationale: Five is a design choice.
    confidence_when:
      - {confidence: moderate, when: {fact: n, ge: 7}}
      - {confidence: high, when: {fact: a, eq: true}}
""",
)


@pytest.fixture
def engine(write_ruleset: Callable[..., Path], host: PluginHost) -> Engine:
    return Engine(load_ruleset(str(write_ruleset(RAISED))), host=host)


@pytest.mark.parametrize(
    ("answers", "confidence"),
    [
        ({"n": 5, "a": False}, "low"),
        ({"n": 7, "a": False}, "moderate"),
        ({"n": 9, "a": True}, "high"),  # the highest raise that holds wins, whatever its order
        ({"n": 5, "a": True}, "high"),
        ({"n": 9}, "moderate"),  # `a` unknown: its raise cannot apply on a guess
        ({"n": 5}, "low"),
    ],
)
def test_confidence_is_raised_only_by_evidence_that_is_present(
    engine: Engine, answers: dict[str, object], confidence: str
) -> None:
    rec = engine.evaluate(answers).to_record()
    assert rec["outcome"]["id"] == "high"
    assert rec["outcome"]["confidence"] == confidence


def test_trace_shows_each_confidence_raise(engine: Engine) -> None:
    trace = engine.evaluate({"n": 9, "a": False}, explain=True).trace or []
    steps = [(s["confidence"], s["value"]) for s in trace if s["step"] == "confidence"]
    assert steps == [("moderate", True), ("high", False)]


def test_outcome_and_score_references_must_exist(write_ruleset: Callable[..., Path]) -> None:
    bad = RAISED.replace("references: [ref]\n    rationale", "references: [nope]\n    rationale")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(write_ruleset(bad)))
    assert any(d.code == "unknown-reference" and "'nope'" in d.message for d in info.value.diagnostics)


def test_a_raise_that_cannot_raise_is_a_warning(write_ruleset: Callable[..., Path]) -> None:
    from rulewright.core.model.loader import check_document, load_document

    text = RAISED.replace("confidence: low\n", "confidence: high\n")
    ruleset, found = check_document(load_document(str(write_ruleset(text))))
    assert ruleset is not None
    assert [d.code for d in found if d.severity == "warning"].count("confidence-not-raised") == 2


def test_suites_can_expect_a_confidence(engine: Engine) -> None:
    from rulewright.core.authoring.suites import compare

    rec = engine.evaluate({"n": 7, "a": False}).to_record()
    assert compare({"confidence": "moderate"}, rec) == []
    (mismatch,) = compare({"confidence": "high"}, rec)
    assert "confidence" in mismatch.text()
