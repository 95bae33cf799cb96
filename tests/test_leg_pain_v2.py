"""leg-pain 2.0.0 against an independent reading of the clinical reference (LEG-PAIN.md §2, §3).

The oracles below are written from the clinical text and the design choices the ruleset's change
note states (three of five radicular features, or two with a positive neural test; MRC 4 or less
is weakness, 3 or less severe), not from the YAML. Classification is checked over every
combination of history answers and examination findings (examination left out included); red
flags by a property test over random answers, missing ones included.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulewright.core import Engine, PluginHost, load_ruleset

RADICULAR_QUALITY = {"sharp", "shooting", "burning", "tingling", "electric"}
SOMATIC_QUALITY = {"dull", "achy", "sore", "gnawing", "pressure"}
QUALITIES = sorted(RADICULAR_QUALITY | SOMATIC_QUALITY)
PROVOCATION = ["negative", "positive_neural", "positive_musculoskeletal", "positive_not_differentiated"]
HISTORY = [
    "pain_quality",
    "pain_pattern",
    "pain_below_knee",
    "worse_cough_strain",
    "numbness_tingling_weakness",
]
EXAM = [
    "exam_dermatomal_sensory_loss",
    "exam_reflex_reduced",
    "exam_weakest_mrc",
    "exam_neural_provocation",
    "exam_crossed_slr",
]
CES_INPUTS = [
    "bladder_bowel_control",
    "urinary_difficulty",
    "urinary_retention_or_incontinence",
    "faecal_incontinence_or_rectal_numbness",
    "saddle_sensation_altered",
    "bilateral_leg_pain",
    "bilateral_leg_weakness",
]
RANK = {"routine": 0, "review": 1, "urgent": 2, "emergency": 3}


@pytest.fixture(scope="module")
def engine() -> Engine:
    from rulewright.core import make_plugin_host

    host: PluginHost = make_plugin_host(entrypoints=False)
    return Engine(load_ruleset("leg-pain@2.0.0"), host=host)


# -- classification oracle (LEG-PAIN.md §2) ------------------------------------------------------


def classify(a: dict[str, Any]) -> tuple[str, str]:
    """(outcome, confidence) for complete history answers; examination findings may be absent."""
    sign = (
        a.get("exam_dermatomal_sensory_loss") is True
        or a.get("exam_reflex_reduced") is True
        or (a.get("exam_weakest_mrc") is not None and a["exam_weakest_mrc"] <= 4)
    )
    neural = a.get("exam_neural_provocation") == "positive_neural" or a.get("exam_crossed_slr") is True
    radicular = [
        a["pain_quality"] in RADICULAR_QUALITY,
        a["pain_pattern"] == "follows_path",
        a["pain_below_knee"] is True,
        a["worse_cough_strain"] is True,
        a["numbness_tingling_weakness"] is True,
    ].count(True)
    radicular_pattern = radicular >= 3 or (radicular >= 2 and neural)
    somatic = [a["pain_quality"] in SOMATIC_QUALITY, a["pain_below_knee"] is False]
    imaging = a.get("imaging_concordant") is True
    if sign:
        # Radiculopathy is a finding on examination; concordant imaging makes it "definite".
        outcome = "radiculopathy_with_radicular_pain" if radicular_pattern else "radiculopathy"
        return outcome, "high" if imaging else "moderate"
    if radicular_pattern:
        return ("mixed" if any(somatic) else "radicular_pain"), ("moderate" if neural else "low")
    if all(somatic) and radicular <= 1 and not neural:
        examined_clear = (
            a.get("exam_neural_provocation") in ("negative", "positive_musculoskeletal")
            and a.get("exam_dermatomal_sensory_loss") is False
            and a.get("exam_reflex_reduced") is False
            and a.get("exam_weakest_mrc") == 5
        )
        return "somatic_referred", "moderate" if examined_clear else "low"
    return "unclassified", "low"


def histories() -> Iterator[dict[str, Any]]:
    for q, p, knee, cough, numb in itertools.product(
        QUALITIES, ["moves_around", "follows_path"], [True, False], [True, False], [True, False]
    ):
        yield {
            "pain_quality": q,
            "pain_pattern": p,
            "pain_below_knee": knee,
            "worse_cough_strain": cough,
            "numbness_tingling_weakness": numb,
        }


def examinations() -> Iterator[dict[str, Any]]:
    """Every examination finding, each also left out (examination not done)."""
    for sensory, reflex, mrc, provocation, crossed, imaging in itertools.product(
        [True, False, None],
        [True, False, None],
        [3, 4, 5, None],
        [*PROVOCATION, None],
        [True, False, None],
        [True, None],
    ):
        found = {
            "exam_dermatomal_sensory_loss": sensory,
            "exam_reflex_reduced": reflex,
            "exam_weakest_mrc": mrc,
            "exam_neural_provocation": provocation,
            "exam_crossed_slr": crossed,
            "imaging_concordant": imaging,
        }
        yield {k: v for k, v in found.items() if v is not None}


def outcome_of(engine: Engine, answers: dict[str, Any]) -> tuple[str, str | None, str]:
    rec = engine.evaluate(answers).to_record()
    out = rec["outcome"]
    return (out["id"] if out else None), (out["confidence"] if out else None), rec["status"]


def test_history_alone_over_every_combination(engine: Engine) -> None:
    for history in histories():
        outcome, confidence, status = outcome_of(engine, history)
        assert status == "ok", history
        assert (outcome, confidence) == classify(history), history
        # Self-report alone: never radiculopathy, never high confidence.
        assert outcome not in ("radiculopathy", "radiculopathy_with_radicular_pain")
        assert confidence != "high"


def test_history_with_every_examination_finding(engine: Engine) -> None:
    exams = list(examinations())
    # Two qualities of each kind are enough here: the quality only enters through its kind,
    # which the history-alone test checks for every value.
    checked = 0
    for history in histories():
        if history["pain_quality"] not in ("dull", "electric"):
            continue
        for exam in exams:
            answers = {**history, **exam}
            outcome, confidence, status = outcome_of(engine, answers)
            assert status == "ok", answers
            assert (outcome, confidence) == classify(answers), answers
            checked += 1
    assert checked == 32 * len(exams)


def test_a_missing_history_answer_decides_only_when_it_cannot_matter(engine: Engine) -> None:
    """With one history answer left out, the result is decided exactly when every way of
    answering it gives the same classification (and then it is that classification)."""
    values: dict[str, list[Any]] = {
        "pain_quality": QUALITIES,
        "pain_pattern": ["moves_around", "follows_path"],
        "pain_below_knee": [True, False],
        "worse_cough_strain": [True, False],
        "numbness_tingling_weakness": [True, False],
    }
    for exam in ({}, {"exam_neural_provocation": "positive_neural"}, {"exam_reflex_reduced": True}):
        for history in histories():
            for gone in HISTORY:
                answers = {k: v for k, v in {**history, **exam}.items() if k != gone}
                possible = {classify({**answers, gone: v})[0] for v in values[gone]}
                outcome, _, status = outcome_of(engine, answers)
                if len(possible) == 1:
                    assert (status, outcome) == ("ok", possible.pop()), answers
                else:
                    assert (status, outcome) == ("undetermined", None), answers
                    # The missing answer is named (unanswered examination findings that
                    # could also decide it may be named beside it).
                    missing = engine.evaluate(answers).to_record()["missing"]
                    assert gone in missing and set(missing) <= {gone, *EXAM}, answers


# -- red-flag oracle (LEG-PAIN.md §3) ------------------------------------------------------------

FLAG_INPUTS = [
    *CES_INPUTS,
    "sexual_dysfunction_new",
    "cancer_history",
    "new_neurological_symptoms",
    "night_pain",
    "unexplained_weight_loss",
    "fever",
    "infection_risk",
    "sepsis_signs",
    "major_trauma",
    "minor_trauma",
    "osteoporosis_or_steroids",
    "progressive_weakness",
    "exam_cord_signs",
]


def k_and(*xs: bool | None) -> bool | None:
    return False if False in xs else (None if None in xs else True)


def k_or(*xs: bool | None) -> bool | None:
    return True if True in xs else (None if None in xs else False)


def expected_flags(a: dict[str, Any]) -> dict[str, tuple[str, bool | None]]:
    """Each red flag of §3 -> (tier, fired: True / False / None for not screened)."""
    g = a.get
    mrc = g("exam_weakest_mrc")
    severe_weakness = None if mrc is None else mrc <= 3
    ces = {
        "bladder_bowel": g("bladder_bowel_control"),
        "ces_urinary_difficulty": g("urinary_difficulty"),
        "ces_urinary_retention": g("urinary_retention_or_incontinence"),
        "ces_faecal": g("faecal_incontinence_or_rectal_numbness"),
        "ces_saddle": g("saddle_sensation_altered"),
        "ces_bilateral_pain": g("bilateral_leg_pain"),
        "ces_bilateral_weakness": g("bilateral_leg_weakness"),
    }
    infection = k_or(g("fever"), g("infection_risk"))
    fragility = k_and(g("minor_trauma"), g("osteoporosis_or_steroids"))
    flags: dict[str, tuple[str, bool | None]] = {k: ("emergency", v) for k, v in ces.items()}
    flags.update(
        {
            # New sexual dysfunction counts only with another cauda equina feature.
            "ces_sexual_dysfunction": ("emergency", k_and(g("sexual_dysfunction_new"), k_or(*ces.values()))),
            "cord_compression_metastatic": (
                "emergency",
                k_and(g("cancer_history"), g("new_neurological_symptoms")),
            ),
            "infection_with_sepsis_or_deficit": (
                "emergency",
                k_or(g("sepsis_signs"), k_and(infection, g("new_neurological_symptoms"))),
            ),
            "fracture_major_trauma": ("emergency", g("major_trauma")),
            "fracture_with_deficit": ("emergency", k_and(fragility, g("new_neurological_symptoms"))),
            "cord_signs": ("emergency", g("exam_cord_signs")),
            "metastases_suspected": (
                "urgent",
                k_or(g("cancer_history"), k_and(g("unexplained_weight_loss"), g("night_pain"))),
            ),
            "infection_suspected": ("urgent", infection),
            "fragility_fracture": ("urgent", fragility),
            "progressive_motor_deficit": ("urgent", k_or(g("progressive_weakness"), severe_weakness)),
        }
    )
    return flags


ROUTINE_HISTORY = {
    "pain_quality": "dull",
    "pain_pattern": "moves_around",
    "pain_below_knee": False,
    "worse_cough_strain": False,
    "numbness_tingling_weakness": False,
}

answers_strategy = st.fixed_dictionaries(
    {
        **{name: st.sampled_from([True, False, False, None]) for name in FLAG_INPUTS},
        "exam_weakest_mrc": st.sampled_from([None, 0, 2, 3, 4, 5, 5]),
    }
)


@settings(max_examples=600, deadline=None)
@given(answers_strategy)
def test_red_flags_and_urgency_follow_the_tiers(engine: Engine, answers: dict[str, Any]) -> None:
    case = {**ROUTINE_HISTORY, **{k: v for k, v in answers.items() if v is not None}}
    rec = engine.evaluate(case).to_record()
    want = expected_flags(case)
    fired = {f["id"] for f in rec["red_flags"]}
    assert fired == {fid for fid, (_, v) in want.items() if v is True}
    assert set(rec["not_screened"]) == {fid for fid, (_, v) in want.items() if v is None}
    # Escalate, never de-escalate: the highest tier fired wins; an emergency flag that could not
    # be screened means at least review.
    rank = max([RANK[tier] for tier, v in want.values() if v is True], default=0)
    if any(tier == "emergency" and v is None for tier, v in want.values()):
        rank = max(rank, RANK["review"])
    assert RANK[rec["urgency"]] == rank, case
    # Red flags never change the classification (only the examination's MRC grade enters both).
    assert rec["outcome"]["id"] == classify(case)[0]


@pytest.mark.parametrize("feature", CES_INPUTS)
def test_each_cauda_equina_feature_alone_is_an_emergency_whatever_the_pain(
    engine: Engine, feature: str
) -> None:
    answers = {name: False for name in FLAG_INPUTS} | {"exam_weakest_mrc": 5, feature: True}
    for severe in (True, False, None):
        case = {**ROUTINE_HISTORY, **answers, "pain_severe": severe}
        rec = engine.evaluate(case).to_record()
        assert rec["urgency"] == "emergency" and rec["not_screened"] == []


@pytest.mark.parametrize("feature", CES_INPUTS)
def test_an_unanswered_cauda_equina_question_is_never_routine(engine: Engine, feature: str) -> None:
    answers = {name: False for name in FLAG_INPUTS} | {"exam_weakest_mrc": 5}
    del answers[feature]
    rec = engine.evaluate({**ROUTINE_HISTORY, **answers}).to_record()
    assert rec["urgency"] == "review" and rec["red_flags"] == []
    assert rec["not_screened"] and set(rec["not_screened"]) <= {
        *(f for f, (tier, _) in expected_flags({}).items() if tier == "emergency")
    }


def test_everything_screened_and_clear_is_routine(engine: Engine) -> None:
    answers = {name: False for name in FLAG_INPUTS} | {"exam_weakest_mrc": 5}
    rec = engine.evaluate({**ROUTINE_HISTORY, **answers}).to_record()
    assert (rec["urgency"], rec["red_flags"], rec["not_screened"]) == ("routine", [], [])


def test_recommendations_follow_nice_ng59_cautions(engine: Engine) -> None:
    """Nerve-related outcomes carry the NG59 (2020) medicine cautions and defer to a prescriber;
    no outcome recommends a medicine NG59 advises against."""
    ruleset = engine.ruleset
    for outcome in [*ruleset.outcomes, ruleset.default]:
        assert outcome is not None
        text = " ".join(outcome.recommendations).lower()
        assert "exercise" in text or outcome.id == "unclassified"
        for word in ("gabapentin", "pregabalin", "opioid", "benzodiazepine", "corticosteroid"):
            # Named only inside a caution, never as advice to take it.
            for rec in outcome.recommendations:
                if word in rec.lower():
                    assert "advises against" in rec.lower(), rec
        if outcome.id in ("radicular_pain", "mixed", "radiculopathy", "radiculopathy_with_radicular_pain"):
            assert (
                "prescriber" in text and "gabapentinoids" in text and "opioids for chronic sciatica" in text
            )


def test_every_rule_cites_a_reference(engine: Engine) -> None:
    ruleset = engine.ruleset
    rules = [*ruleset.red_flags, *ruleset.outcomes, *ruleset.scores, ruleset.default]
    assert all(rule is not None and rule.references for rule in rules)


def test_inputs_kept_from_1_0_0_keep_their_meaning(host: PluginHost) -> None:
    old, new = load_ruleset("leg-pain@1.0.0"), load_ruleset("leg-pain@2.0.0")
    for decl in old.inputs:
        kept = new.input(decl.id)
        assert kept is not None, decl.id
        assert (kept.type, kept.question) == (decl.type, decl.question)
        assert set(decl.values) <= set(kept.values)
    assert {f.id for f in old.red_flags} <= {f.id for f in new.red_flags}


def test_bare_id_means_the_newest_active_version() -> None:
    assert load_ruleset("leg-pain").version == "2.0.0"
    assert load_ruleset("leg-pain@1.0.0").version == "1.0.0"


def test_readme_quick_start_prints_a_decided_result(invoke: Any) -> None:
    """The README's one-line example must keep printing a decided result, whatever `leg-pain`
    means now."""
    import re
    import shlex

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    line = next(x for x in readme.splitlines() if "rules evaluate" in x and "pip install" in x)
    args = shlex.split(re.sub(r"^.*?\.venv/bin/rules ", "", line))
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert "undetermined" not in first.lower() and "error" not in first.lower()
    assert "Likely nerve pain" in first


def test_migration_notes_name_every_new_input_and_red_flag() -> None:
    from tests.conftest import ROOT

    notes = (ROOT / "docs" / "integrators" / "leg-pain-migration.md").read_text("utf-8")
    old, new = load_ruleset("leg-pain@1.0.0"), load_ruleset("leg-pain@2.0.0")
    for decl in new.inputs:
        assert f"`{decl.id}`" in notes, decl.id
    for flag in new.red_flags:
        assert f"`{flag.id}`" in notes, flag.id
    for outcome in [*old.outcomes, *new.outcomes, new.default]:
        assert outcome is not None and f"`{outcome.id}`" in notes, outcome.id
