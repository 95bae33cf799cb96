"""`--format fhir`: each result as a FHIR R4 Bundle (one per line, NDJSON as in FHIR bulk data).

The Bundle (`type: collection`) holds a `GuidanceResponse` — its outcome, urgency and scores in
a contained `Parameters` named by `outputParameters` — or a `RiskAssessment` when the
ruleset sets `fhir.resource: RiskAssessment` — and one `DetectedIssue` per red flag, whose
`evidence` points back at it. Urgency maps to DetectedIssue severity as in `SEVERITY`; the
ruleset id and version are the module reference and its fingerprint an extension. The
mapping is documented in docs/integrators/fhir.md. Plain dicts only: no FHIR library is needed
at run time (tests validate the output with `fhir.resources`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from rulewright.core import FormatOptions, Result, hookimpl, score_text
from rulewright.plugins.interop import (
    RULESET_URN,
    case_label,
    ruleset_system,
    stable_uuid,
    write_json_line,
)

SEVERITY = {"emergency": "high", "urgent": "moderate", "review": "low"}
"""Red-flag level -> DetectedIssue.severity (http://hl7.org/fhir/detectedissue-severity)."""

GUIDANCE_STATUS = {"ok": "success", "undetermined": "data-required", "error": "failure"}
RISK_STATUS = {"ok": "final", "undetermined": "preliminary", "error": "unknown"}

EXT_FINGERPRINT = "urn:rulewright:fhir:ruleset-fingerprint"
EXT_URGENCY = "urn:rulewright:fhir:urgency"
EXT_SOURCE = "urn:rulewright:fhir:source"
INPUT_SYSTEM = "urn:rulewright:input"
URGENCY_SYSTEM = "urn:rulewright:urgency"


class FhirBundleWriter:
    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        self.ruleset = options.ruleset

    def write(self, result: Result) -> None:
        write_json_line(self.stream, bundle(result, self.ruleset))

    def close(self) -> None:
        pass


def bundle(result: Result, ruleset: Any = None) -> dict[str, Any]:
    """The FHIR Bundle for one result. `ruleset` (optional) supplies linkIds and the resource kind."""
    kind = ruleset.fhir.resource if ruleset is not None else "GuidanceResponse"
    main_id = stable_uuid(result, kind)
    main = (risk_assessment if kind == "RiskAssessment" else guidance_response)(result, ruleset, main_id)
    entries = [main] + [
        detected_issue(result, flag, f"urn:uuid:{main_id}") for flag in result.to_record()["red_flags"]
    ]
    return {
        "resourceType": "Bundle",
        "id": stable_uuid(result, "Bundle"),
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries],
    }


def _common(result: Result) -> list[dict[str, Any]]:
    return [
        {"url": EXT_FINGERPRINT, "valueString": result.ruleset["fingerprint"]},
        {"url": EXT_URGENCY, "valueCode": result.urgency},
    ]


def _identifier(result: Result) -> dict[str, Any]:
    return {"system": INPUT_SYSTEM, "value": case_label(result)}


def _outcome(result: Result) -> dict[str, Any] | None:
    if result.outcome is None:
        return None
    return {
        "coding": [
            {
                "system": ruleset_system(result, "outcome"),
                "code": result.outcome.id,
                "display": result.outcome.label,
            }
        ],
        "text": result.outcome.label,
    }


def _notes(result: Result) -> list[dict[str, str]]:
    rec = result.to_record()
    notes = [f"Urgency: {result.urgency}."]
    if rec["not_screened"]:
        notes.append("Not screened (answer missing): " + ", ".join(rec["not_screened"]) + ".")
    if result.error is not None:
        notes.append(f"Error [{result.error.code}]: {result.error.message}")
    notes.extend(rec["recommendations"])
    return [{"text": n} for n in notes]


def _missing(result: Result, ruleset: Any) -> list[dict[str, Any]]:
    if not result.missing:
        return []
    links = [ruleset.fhir.link_id(name) if ruleset is not None else name for name in result.missing]
    return [
        {
            "type": "QuestionnaireResponse",
            "mustSupport": [f"item.where(linkId='{link}').answer" for link in links],
        }
    ]


def _output(result: Result) -> dict[str, Any]:
    """The evaluation's outputs as a Parameters resource: outcome, urgency, scores, not screened."""
    rec = result.to_record()
    params: list[dict[str, Any]] = []
    outcome = _outcome(result)
    if outcome:
        params.append({"name": "outcome", "valueCoding": outcome["coding"][0]})
    params.append({"name": "urgency", "valueCode": result.urgency})
    for name, value in rec["scores"].items():
        if isinstance(value, dict):  # an interval: unknown items could still move it
            parts = [
                {"name": "min", "valueDecimal": value["min"]},
                {"name": "max", "valueDecimal": value["max"]},
            ]
            params.append({"name": f"score:{name}", "part": parts})
        elif value is not None:
            params.append({"name": f"score:{name}", "valueDecimal": value})
    params.extend({"name": "not-screened", "valueCode": flag} for flag in rec["not_screened"])
    return {"resourceType": "Parameters", "id": "output", "parameter": params}


def guidance_response(result: Result, ruleset: Any, id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "id": id,
        "contained": [_output(result)],
        "extension": _common(result),
        "requestIdentifier": _identifier(result),
        "moduleCanonical": f"{RULESET_URN}:{result.ruleset['id']}|{result.ruleset['version']}",
        "status": GUIDANCE_STATUS[result.status],
        "note": _notes(result),
        "outputParameters": {"reference": "#output"},
    }
    missing = _missing(result, ruleset)
    if missing:
        resource["dataRequirement"] = missing
    return resource


def risk_assessment(result: Result, ruleset: Any, id: str) -> dict[str, Any]:
    rec = result.to_record()
    prediction: dict[str, Any] = {
        "qualitativeRisk": {"coding": [{"system": URGENCY_SYSTEM, "code": result.urgency}]},
    }
    outcome = _outcome(result)
    if outcome:
        prediction["outcome"] = outcome
    if rec["scores"]:
        prediction["rationale"] = "; ".join(f"{k} = {score_text(v)}" for k, v in rec["scores"].items())
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": id,
        "extension": _common(result),
        "identifier": [_identifier(result)],
        "status": RISK_STATUS[result.status],
        "method": {
            "coding": [
                {
                    "system": RULESET_URN,
                    "code": result.ruleset["id"],
                    "version": result.ruleset["version"],
                }
            ]
        },
        # R4 requires a subject; rulewright knows the case, not the patient record.
        "subject": {"identifier": _identifier(result), "display": case_label(result)},
        "prediction": [prediction],
        "note": _notes(result),
    }
    if rec["recommendations"]:
        resource["mitigation"] = " ".join(rec["recommendations"])
    return resource


def detected_issue(result: Result, flag: dict[str, Any], evidence: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": stable_uuid(result, "DetectedIssue", flag["id"]),
        "extension": [
            {"url": EXT_URGENCY, "valueCode": flag["level"]},
            {"url": EXT_SOURCE, "valueString": flag["source"]},
        ],
        "status": "final",
        "code": {
            "coding": [{"system": ruleset_system(result, "red-flag"), "code": flag["id"]}],
            "text": flag["message"],
        },
        "severity": SEVERITY.get(flag["level"], "low"),
        "evidence": [{"detail": [{"reference": evidence}]}],
        "detail": flag["message"],
    }
    if flag["action"]:
        resource["mitigation"] = [{"action": {"text": flag["action"]}}]
    return resource


@hookimpl
def rulewright_register_formats(register: Callable[[str, Any], None]) -> None:
    register("fhir", FhirBundleWriter)
