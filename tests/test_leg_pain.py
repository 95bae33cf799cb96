"""leg-pain 1.0.0 against an independent reading of the source article (LEG-PAIN.md §1).

The oracle below is written from the clinical text, not from the ruleset: nerve pain when at
least two of the three answers point to a nerve; bladder/bowel difficulty is an emergency
whatever the severity. Every combination of answers, including missing ones, is checked.
"""

from __future__ import annotations

import itertools
from typing import Any

from rulewright.core import Engine
from rulewright.core.authoring.suites import check_case, load_suite
from tests.conftest import ROOT

QUALITIES = ["dull", "achy", "sore", "sharp", "burning", "tingling", "electric", None]
PATTERNS = ["moves_around", "follows_path", None]
BOOLS = [True, False, None]
NERVE_QUALITIES = {"sharp", "burning", "tingling", "electric"}


def oracle(quality: Any, pattern: Any, numb: Any, bladder: Any) -> dict[str, Any]:
    signs = [
        None if quality is None else quality in NERVE_QUALITIES,
        None if pattern is None else pattern == "follows_path",
        numb,
    ]
    known_yes = sum(1 for s in signs if s is True)
    unknown = sum(1 for s in signs if s is None)
    if known_yes >= 2:
        outcome, status = "nerve", "ok"
    elif known_yes + unknown <= 1:
        outcome, status = "muscle_joint", "ok"
    else:
        outcome, status = None, "undetermined"
    urgency = "emergency" if bladder is True else "review" if bladder is None else "routine"
    return {"outcome": outcome, "status": status, "urgency": urgency}


def test_every_combination_of_answers_matches_the_article(leg_pain: Engine) -> None:
    checked = 0
    for quality, pattern, numb, bladder, severe in itertools.product(
        QUALITIES, PATTERNS, BOOLS, BOOLS, BOOLS
    ):
        answers = {
            "pain_quality": quality,
            "pain_pattern": pattern,
            "numbness_tingling_weakness": numb,
            "bladder_bowel_control": bladder,
            "pain_severe": severe,
        }
        rec = leg_pain.evaluate(answers).to_record()
        want = oracle(quality, pattern, numb, bladder)
        got = {
            "outcome": rec["outcome"]["id"] if rec["outcome"] else None,
            "status": rec["status"],
            "urgency": rec["urgency"],
        }
        assert got == want, answers
        assert ("bladder_bowel" in [f["id"] for f in rec["red_flags"]]) == (bladder is True)
        assert ("bladder_bowel" in rec["not_screened"]) == (bladder is None)
        if rec["status"] == "undetermined":
            assert rec["missing"], answers
            assert set(rec["missing"]) <= {k for k, v in answers.items() if v is None}
        checked += 1
    assert checked == 8 * 3 * 3 * 3 * 3


def test_bundled_test_suite_passes(leg_pain: Engine) -> None:
    suite = load_suite(ROOT / "rulesets" / "leg-pain" / "tests" / "basic.yaml")
    assert suite.ruleset == "leg-pain" and "1.0.0" in suite.versions
    assert len(suite.cases) >= 10
    failures = {c.name: o.failures for c in suite.cases if not (o := check_case(leg_pain, c)).passed}
    assert failures == {}


def test_suite_runner_reports_a_wrong_expectation(leg_pain: Engine) -> None:
    suite = load_suite(ROOT / "rulesets" / "leg-pain" / "tests" / "basic.yaml")
    case = suite.cases[0]
    case.expect = {"outcome": "muscle_joint", "urgency": "emergency"}
    outcome = check_case(leg_pain, case)
    assert not outcome.passed
    assert any("outcome" in f for f in outcome.failures) and any("urgency" in f for f in outcome.failures)
