"""`--format fhir`, `cds-hooks` and `markdown`, each checked against its own specification:
FHIR with the `fhir.resources` R4B models plus the R4 value sets, CDS Hooks against the response
schema in tests/data, Markdown with a CommonMark/GFM parser."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from markdown_it import MarkdownIt

from rulewright.core import Engine
from tests.conftest import MINIMAL

DATA = Path(__file__).parent / "data"

EMERGENCY = {
    "id": "p-1",
    "pain_quality": "burning",
    "pain_pattern": "follows_path",
    "numbness_tingling_weakness": True,
    "bladder_bowel_control": True,
}
PARTIAL = {"id": "p-2", "pain_quality": "dull"}
ROUTINE = {
    "id": "p-3",
    "pain_quality": "dull",
    "pain_pattern": "moves_around",
    "numbness_tingling_weakness": False,
    "bladder_bowel_control": False,
}
BAD = {"id": "p-4", "pain_quality": "banana"}
CASES = [EMERGENCY, PARTIAL, ROUTINE, BAD]

Invoke = Callable[..., Any]


def _evaluate(invoke: Invoke, fmt: str, cases: list[dict[str, Any]], ruleset: str = "leg-pain@1.0.0") -> str:
    data = "\n".join(json.dumps(c) for c in cases) + "\n"
    result = invoke("evaluate", ruleset, "-", "--format", fmt, "-q", input=data)
    return str(result.stdout)


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# --- FHIR ---------------------------------------------------------------------------------------

# Value sets of the R4 elements we fill (hl7.org/fhir/R4: guidance-response-status,
# detectedissue-severity, observation-status). The models check structure, not code values.
GUIDANCE_STATUS = {"success", "data-requested", "data-required", "in-progress", "failure", "entered-in-error"}
SEVERITY = {"high", "moderate", "low"}
OBSERVATION_STATUS = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}


def _validated(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate a Bundle and each resource in it with the R4B models; return the resources."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class("Bundle").model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    for entry, resource in zip(bundle["entry"], resources, strict=True):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    return resources


def test_fhir_output_is_valid_r4_with_one_detected_issue_per_red_flag(invoke: Invoke) -> None:
    bundles = _lines(_evaluate(invoke, "fhir", CASES))
    assert len(bundles) == len(CASES)
    records = _lines(_evaluate(invoke, "jsonl", CASES))
    for bundle, record in zip(bundles, records, strict=True):
        guidance, *issues = _validated(bundle)
        assert guidance["resourceType"] == "GuidanceResponse"
        assert guidance["status"] in GUIDANCE_STATUS
        assert guidance["moduleCanonical"].endswith(":leg-pain|1.0.0")
        assert {
            "url": "urn:rulewright:fhir:ruleset-fingerprint",
            "valueString": record["ruleset"]["fingerprint"],
        } in (guidance["extension"])
        assert guidance["requestIdentifier"]["value"] == record["input"]["id"]
        assert [i["code"]["coding"][0]["code"] for i in issues] == [f["id"] for f in record["red_flags"]]
        for issue in issues:
            assert issue["severity"] in SEVERITY and issue["status"] in OBSERVATION_STATUS
            assert issue["evidence"][0]["detail"][0]["reference"] == f"urn:uuid:{guidance['id']}"


def test_fhir_maps_status_urgency_and_outputs(invoke: Invoke) -> None:
    emergency, partial, routine, bad = (_validated(b) for b in _lines(_evaluate(invoke, "fhir", CASES)))
    guidance, issue = emergency
    assert guidance["status"] == "success" and issue["severity"] == "high"
    assert issue["mitigation"][0]["action"]["text"] == "Seek emergency medical attention now."
    params = {p["name"]: p for p in guidance["contained"][0]["parameter"]}
    assert params["outcome"]["valueCoding"]["code"] == "nerve"
    assert params["urgency"]["valueCode"] == "emergency"
    assert params["score:nerve_signs"]["valueDecimal"] == 3
    assert guidance["outputParameters"]["reference"] == "#" + guidance["contained"][0]["id"]

    [undetermined] = partial
    assert undetermined["status"] == "data-required"
    wanted = undetermined["dataRequirement"][0]["mustSupport"]
    assert wanted == [
        "item.where(linkId='numbness_tingling_weakness').answer",
        "item.where(linkId='pain_pattern').answer",
    ]
    params = {p["name"]: p for p in undetermined["contained"][0]["parameter"]}
    assert params["not-screened"]["valueCode"] == "bladder_bowel"
    assert [p["valueDecimal"] for p in params["score:nerve_signs"]["part"]] == [0, 2]

    assert routine[0]["status"] == "success" and len(routine) == 1
    assert bad[0]["status"] == "failure"
    assert any("banana" in note["text"] for note in bad[0]["note"])


def test_fhir_output_is_deterministic_and_ids_differ_between_cases(invoke: Invoke) -> None:
    first = _evaluate(invoke, "fhir", [EMERGENCY, ROUTINE])
    assert first == _evaluate(invoke, "fhir", [EMERGENCY, ROUTINE])
    ids = [b["entry"][0]["resource"]["id"] for b in _lines(first)]
    assert len(set(ids)) == 2


def test_fhir_risk_assessment_for_a_score_type_ruleset(invoke: Invoke, write_ruleset: Any) -> None:
    path = write_ruleset(MINIMAL + "fhir:\n  resource: RiskAssessment\n")
    bundles = _lines(_evaluate(invoke, "fhir", [{"id": "r1", "a": True, "n": 7}], ruleset=str(path)))
    risk, issue = _validated(bundles[0])
    assert risk["resourceType"] == "RiskAssessment" and risk["status"] in OBSERVATION_STATUS
    assert risk["method"]["coding"][0] == {
        "system": "urn:rulewright:ruleset",
        "code": "mini",
        "version": "1.0.0",
    }
    assert risk["prediction"][0]["outcome"]["coding"][0]["code"] == "high"
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "urgent"
    assert issue["severity"] == "moderate"  # urgent


def test_undetermined_fhir_names_mapped_link_ids(invoke: Invoke, write_ruleset: Any) -> None:
    path = write_ruleset(MINIMAL + 'fhir:\n  link_ids: {n: "q-2"}\n')
    [bundle] = _lines(_evaluate(invoke, "fhir", [{"a": False}], ruleset=str(path)))
    [guidance] = _validated(bundle)
    assert guidance["dataRequirement"][0]["mustSupport"] == ["item.where(linkId='q-2').answer"]


# --- CDS Hooks ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cds_schema() -> Draft202012Validator:
    schema = json.loads((DATA / "cds-hooks-response.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_cds_hooks_responses_match_the_card_schema(invoke: Invoke, cds_schema: Draft202012Validator) -> None:
    responses = _lines(_evaluate(invoke, "cds-hooks", CASES))
    assert len(responses) == len(CASES)
    for response in responses:
        errors = [e.message for e in cds_schema.iter_errors(response)]
        assert errors == []


def test_cds_hooks_schema_rejects_what_the_spec_forbids(cds_schema: Draft202012Validator) -> None:
    card = {"summary": "x" * 140, "indicator": "urgent", "source": {}, "suggestions": [{"label": "a"}]}
    messages = " ".join(e.message for e in cds_schema.iter_errors({"cards": [card]}))
    for problem in ("is too long", "'urgent' is not one of", "'label' is a required", "'selectionBehavior'"):
        assert problem in messages


def test_cds_hooks_cards_for_a_red_flag_case(invoke: Invoke) -> None:
    [response] = _lines(_evaluate(invoke, "cds-hooks", [EMERGENCY]))
    flag, outcome = response["cards"]
    assert flag["indicator"] == "critical" and flag["source"]["label"] == "rulewright leg-pain 1.0.0"
    assert flag["source"]["topic"]["code"] == "bladder_bowel"
    assert "cauda equina" in flag["summary"] and "Seek emergency medical attention now." in flag["detail"]
    assert outcome["summary"] == "Likely nerve pain (moderate confidence)"
    assert outcome["indicator"] == "critical"  # the case's urgency is emergency
    assert [s["label"] for s in outcome["suggestions"]] == [
        "Nerve-specific exercises, guided by a physiotherapist.",
        "Discuss pain relief with a prescriber; in severe cases a specialist may consider injections or surgery.",
    ]


def test_cds_hooks_warns_when_a_red_flag_was_not_screened(invoke: Invoke) -> None:
    [partial, routine] = _lines(_evaluate(invoke, "cds-hooks", [PARTIAL, ROUTINE]))
    not_screened, outcome = partial["cards"]
    assert not_screened["indicator"] == "warning" and "bladder_bowel" in not_screened["summary"]
    assert outcome["summary"].startswith("Undetermined") and "`pain_pattern`" in outcome["detail"]
    [only] = routine["cards"]
    assert only["indicator"] == "info" and only["selectionBehavior"] == "any"


def test_cds_hooks_summary_is_cut_below_140_characters(leg_pain: Engine) -> None:
    from rulewright.core import RedFlagHit
    from rulewright.plugins.cds_hooks import response

    result = leg_pain.evaluate(ROUTINE)
    result = result._replace(red_flags=(*result.red_flags, RedFlagHit("long", "review", "word " * 60)))
    card = response(result)["cards"][0]
    assert len(card["summary"]) < 140 and card["summary"].endswith("…")


# --- Markdown -----------------------------------------------------------------------------------


def _tokens(text: str) -> list[Any]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def _inline_texts(tokens: list[Any], kind: str) -> list[str]:
    """Plain text of each block of `kind` (heading, td, list item paragraph), as a reader sees it."""
    out, inside = [], False
    for tok in tokens:
        if tok.type == f"{kind}_open":
            inside = True
        elif tok.type == f"{kind}_close":
            inside = False
        elif inside and tok.type == "inline":
            out.append("".join(c.content for c in tok.children if c.type in ("text", "code_inline")))
    return out


def test_markdown_report_parses_as_headings_tables_and_lists(invoke: Invoke) -> None:
    text = _evaluate(invoke, "markdown", [EMERGENCY, PARTIAL])
    tokens = _tokens(text)
    assert _inline_texts(tokens, "heading") == [
        "p-1: Likely nerve pain",
        "Red flags",
        "Recommendations",
        "p-2: Undetermined",
        "Not screened (answer missing)",
        "Would be decided by",
    ]
    cells = _inline_texts(tokens, "td")
    rows = list(zip(cells[0::2], cells[1::2], strict=True))
    assert ("urgency", "emergency") in rows and ("outcome", "nerve") in rows and ("urgency", "review") in rows
    items = _inline_texts(tokens, "list_item")
    assert (
        "emergency bladder_bowel: Difficulty controlling bladder or bowel can be a sign of cauda equina "
        "syndrome. Seek emergency medical attention now."
    ) in items
    assert "bladder_bowel" in items and "pain_pattern" in items


def test_markdown_escapes_text_from_input_data(invoke: Invoke) -> None:
    text = _evaluate(invoke, "markdown", [{**ROUTINE, "id": "a|b *c* _d_ [e](f) # <g>"}])
    tokens = _tokens(text)
    assert _inline_texts(tokens, "heading")[0] == "a|b *c* _d_ [e](f) # <g>: Likely muscle or joint pain"
    assert not [t for t in tokens if t.type in ("em_open", "link_open", "html_inline")]
    cells = _inline_texts(tokens, "td")
    assert len(cells) % 2 == 0 and "status" in cells
