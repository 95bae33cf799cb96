"""FHIR Questionnaire export and QuestionnaireResponse input: export -> fill -> evaluate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rulewright.core import load_ruleset
from tests.conftest import MINIMAL

Invoke = Callable[..., Any]


def _validate(resource: dict[str, Any]) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def _export(invoke: Invoke, ruleset: str) -> dict[str, Any]:
    result = invoke("export", "questionnaire", ruleset)
    assert result.exit_code == 0, result.stderr
    questionnaire: dict[str, Any] = json.loads(result.stdout)
    _validate(questionnaire)
    return questionnaire


def test_exported_questionnaire_mirrors_the_inputs(invoke: Invoke) -> None:
    q = _export(invoke, "leg-pain@1.0.0")
    rs = load_ruleset("leg-pain@1.0.0")
    assert (q["url"], q["version"], q["status"]) == (
        "urn:rulewright:questionnaire:leg-pain",
        "1.0.0",
        "active",
    )
    assert [i["linkId"] for i in q["item"]] == [i.id for i in rs.inputs]
    assert [i["text"] for i in q["item"]] == [i.question for i in rs.inputs]
    items = {i["linkId"]: i for i in q["item"]}
    assert items["bladder_bowel_control"]["type"] == "boolean"
    quality = items["pain_quality"]
    assert quality["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in quality["answerOption"]] == list(
        rs.input("pain_quality").values
    )
    assert quality["answerOption"][0]["valueCoding"] == {
        "system": "urn:rulewright:leg-pain:pain_quality",
        "code": "dull",
        "display": "Dull",
    }
    assert items["pain_severe"]["item"][0]["type"] == "display"  # the input's help text


def test_export_uses_the_ruleset_link_ids_ranges_and_code_system(invoke: Invoke, write_ruleset: Any) -> None:
    path = write_ruleset(
        MINIMAL + 'fhir:\n  questionnaire: http://example.org/Q/mini\n  link_ids: {n: "2.1"}\n'
    )
    q = _export(invoke, str(path))
    assert q["url"] == "http://example.org/Q/mini" and q["status"] == "draft"
    assert [i["linkId"] for i in q["item"]] == ["a", "2.1"]
    count = q["item"][1]
    assert count["type"] == "integer"
    assert {e["url"].rsplit("/", 1)[1]: e["valueInteger"] for e in count["extension"]} == {
        "minValue": 0,
        "maxValue": 10,
    }


def _fill(questionnaire: dict[str, Any], answers: dict[str, Any], id: str) -> dict[str, Any]:
    """What a form filler does: answer the questionnaire's items by linkId, leaving others blank."""
    items = []
    for item in questionnaire["item"]:
        if item["linkId"] not in answers:
            continue
        value = answers[item["linkId"]]
        if item["type"] == "boolean":
            answer = [{"valueBoolean": value}]
        elif item["type"] == "choice":
            [option] = [o for o in item["answerOption"] if o["valueCoding"]["code"] == value]
            answer = [{"valueCoding": option["valueCoding"]}]
        else:
            answer = [{"valueInteger": value}]
        items.append({"linkId": item["linkId"], "text": item["text"], "answer": answer})
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": id,
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "status": "completed",
        "item": items,
    }
    _validate(response)
    return response


CASES = {
    "emergency": {
        "pain_quality": "burning",
        "pain_pattern": "follows_path",
        "numbness_tingling_weakness": True,
        "bladder_bowel_control": True,
    },
    "muscle": {
        "pain_quality": "achy",
        "pain_pattern": "moves_around",
        "numbness_tingling_weakness": False,
        "bladder_bowel_control": False,
        "pain_severe": True,
    },
    "partial": {"pain_quality": "electric"},
}


def _evaluate(invoke: Invoke, ruleset: str, data: Any, *extra: str) -> list[dict[str, Any]]:
    text = "\n".join(map(json.dumps, data)) if isinstance(data, list) else json.dumps(data)  # JSON Lines
    result = invoke("evaluate", ruleset, "-", "-q", "--format", "jsonl", *extra, input=text)
    return [json.loads(line) for line in result.stdout.splitlines()]


def _decision(record: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("status", "outcome", "urgency", "red_flags", "not_screened", "scores", "missing", "error")
    return tuple(json.dumps(record[k], sort_keys=True) for k in keys)


def test_round_trip_export_fill_evaluate_matches_plain_answers(invoke: Invoke, tmp_path: Path) -> None:
    q = _export(invoke, "leg-pain@1.0.0")
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": _fill(q, answers, name)} for name, answers in CASES.items()],
    }
    _validate(bundle)
    via_fhir = _evaluate(invoke, "leg-pain@1.0.0", bundle, "--input-format", "fhir-qr")
    direct = _evaluate(invoke, "leg-pain@1.0.0", [{"id": k, **v} for k, v in CASES.items()])
    assert [r["input"] for r in via_fhir] == [{"line": i, "id": k} for i, k in enumerate(CASES, 1)]
    assert [_decision(r) for r in via_fhir] == [_decision(r) for r in direct]
    emergency, _, partial = via_fhir
    assert emergency["urgency"] == "emergency" and emergency["red_flags"][0]["id"] == "bladder_bowel"
    # Unanswered items stay missing: not screened, never read as "no".
    assert partial["status"] == "undetermined" and partial["not_screened"] == ["bladder_bowel"]


def _response(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(items), **extra}


def test_bad_responses_become_error_records_in_place(invoke: Invoke) -> None:
    good = {"linkId": "pain_quality", "answer": [{"valueCoding": {"code": "dull"}}]}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": _response({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]})},
            {"resource": _response({"linkId": "bladder_bowel_control", "answer": [{"valueString": "no"}]})},
            {
                "resource": _response(
                    {"linkId": "pain_quality", "answer": [{"valueCoding": {"code": "itchy"}}]}
                )
            },
            {"resource": _response(good, questionnaire="http://elsewhere/Q")},
            {"resource": {"resourceType": "Patient"}},
            {"resource": _response(good, id="ok")},
            {
                "resource": _response(
                    {"linkId": "group", "item": [good]},
                    {"linkId": "pain_quality", "answer": [{"valueCoding": {"code": "sore"}}]},
                )
            },
        ],
    }
    records = _evaluate(invoke, "leg-pain@1.0.0", bundle, "--input-format", "fhir-qr")
    assert [r["input"]["line"] for r in records] == [1, 2, 3, 4, 5, 6, 7]
    errors = [(r["error"] or {}).get("code") for r in records]
    assert errors == [
        "unmapped_link_id",
        "fhir_answer_type",
        "fhir_answer_code",
        None,  # leg-pain declares no questionnaire URL, so any questionnaire is accepted
        "not_a_questionnaire_response",
        None,
        "duplicate_answer",  # a nested group answer and a top-level one for the same input
    ]
    assert "'shoe_size'" in records[0]["error"]["message"]
    assert (
        "valueBoolean" in records[1]["error"]["message"] and "valueString" in records[1]["error"]["message"]
    )
    assert records[5]["input"]["id"] == "ok" and records[5]["status"] == "undetermined"


def test_ruleset_questionnaire_url_and_link_ids_are_enforced(
    invoke: Invoke, write_ruleset: Any, tmp_path: Path
) -> None:
    path = str(
        write_ruleset(MINIMAL + 'fhir:\n  questionnaire: http://example.org/Q/mini\n  link_ids: {n: "2.1"}\n')
    )
    answers = [
        {"linkId": "a", "answer": [{"valueBoolean": False}]},
        {"linkId": "2.1", "answer": [{"valueInteger": 7}]},
    ]
    right = _response(*answers, questionnaire="http://example.org/Q/mini|1.0.0")
    wrong = _response(*answers, questionnaire="http://example.org/Q/other")
    ok, refused = _evaluate(
        invoke,
        path,
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": right}, {"resource": wrong}]},
        "--input-format",
        "fhir-qr",
    )
    assert ok["outcome"]["id"] == "high" and ok["urgency"] == "routine"
    assert refused["error"]["code"] == "wrong_questionnaire"

    side = tmp_path / "links.yaml"
    side.write_text("n: count\n", encoding="utf-8")
    renamed = _response({"linkId": "count", "answer": [{"valueInteger": 1}]})
    [low] = _evaluate(invoke, path, renamed, "--input-format", "fhir-qr", "--link-map", str(side))
    assert low["outcome"]["id"] == "low"
    [unmapped] = _evaluate(invoke, path, renamed, "--input-format", "fhir-qr")
    assert unmapped["error"]["code"] == "unmapped_link_id"


def test_link_map_naming_an_unknown_input_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    side = tmp_path / "links.yaml"
    side.write_text("shoe_size: q9\n", encoding="utf-8")
    result = invoke(
        "evaluate", "leg-pain@1.0.0", "-", "--input-format", "fhir-qr", "--link-map", str(side), input="{}"
    )
    assert result.exit_code == 2 and "'shoe_size'" in result.stderr
