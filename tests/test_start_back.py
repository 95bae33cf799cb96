"""start-back 1.0.0 against the published scoring (LEG-PAIN.md §4; Hill et al. 2008).

The oracle scores the nine items as the instrument defines them: items 1-8 score 1 for
"agree", item 9 scores 1 for "very much" or "extremely"; total = items 1-9, psychosocial =
items 5-9; total <= 3 low, psychosocial >= 4 high, otherwise medium. Every combination of
answers is checked, each item also left unanswered: a risk group must be reported exactly when
every way of answering the missing items gives the same group (no invented missing-item rule).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from rulewright.core import Engine, PluginHost, load_ruleset

ITEMS = [
    "leg_pain",
    "shoulder_neck_pain",
    "walk_short_distances",
    "dress_slowly",
    "not_safe_active",
    "worrying_thoughts",
    "never_get_better",
    "not_enjoyed",
]
BOTHER = ["not_at_all", "slightly", "moderately", "very_much", "extremely"]


def group(answers: dict[str, Any]) -> tuple[str, int, int]:
    points = [1 if answers[i] == "agree" else 0 for i in ITEMS]
    points.append(1 if answers["bothersomeness"] in ("very_much", "extremely") else 0)
    total, psychosocial = sum(points), sum(points[4:])
    if psychosocial >= 4:
        return "high", total, psychosocial
    return ("low" if total <= 3 else "medium"), total, psychosocial


@pytest.fixture(scope="module")
def engine() -> Engine:
    from rulewright.core import make_plugin_host

    host: PluginHost = make_plugin_host(entrypoints=False)
    return Engine(load_ruleset("start-back"), host=host)


def test_every_combination_with_missing_items(engine: Engine) -> None:
    checked = 0
    for combo in itertools.product(*[["agree", "disagree", None]] * 8, [*BOTHER, None]):
        answers = {k: v for k, v in zip([*ITEMS, "bothersomeness"], combo, strict=True) if v is not None}
        gaps = [k for k in [*ITEMS, "bothersomeness"] if k not in answers]
        fillings = [
            group({**answers, **dict(zip(gaps, fill, strict=True))})
            for fill in itertools.product(
                *[BOTHER if g == "bothersomeness" else ["agree", "disagree"] for g in gaps]
            )
        ]
        rec = engine.evaluate(answers).to_record()
        groups = {g for g, _, _ in fillings}
        if len(groups) == 1:
            assert rec["status"] == "ok" and rec["outcome"]["id"] == groups.pop(), answers
        else:
            assert rec["status"] == "undetermined" and rec["outcome"] is None, answers
            assert rec["missing"] and set(rec["missing"]) <= set(gaps)
        totals = [t for _, t, _ in fillings]
        psych = [p for _, _, p in fillings]
        for sid, values in (("total", totals), ("psychosocial", psych)):
            lo, hi = min(values), max(values)
            assert rec["scores"][sid] == (lo if lo == hi else {"min": lo, "max": hi}), answers
        assert rec["urgency"] == "routine" and rec["red_flags"] == []
        checked += 1
    assert checked == 3**8 * 6


def test_short_labels_only() -> None:
    """The item wording is © Keele University: the ruleset ships short labels."""
    ruleset = load_ruleset("start-back@1.0.0")
    assert [i.id for i in ruleset.inputs] == [*ITEMS, "bothersomeness"]
    assert all(len(i.question) <= 80 for i in ruleset.inputs)
    assert {s.id for s in ruleset.scores} == {"total", "psychosocial"}
    assert {o.id for o in ruleset.outcomes} == {"low", "medium", "high"}
