"""A FHIR R4 Questionnaire generated from a ruleset's inputs, so data capture and rules stay in step.

Each input becomes one item: linkId = the input id unless the ruleset's `fhir.link_ids` maps it,
text = the question, and a type from `ITEM_TYPE`. Enum and set inputs list their values as
`answerOption.valueCoding` (code = the value, display = its label); a set input `repeats`.
Numeric ranges use the core `minValue`/`maxValue` extensions, units `questionnaire-unit`.
Plain dicts: no FHIR library is needed.
"""

from __future__ import annotations

from typing import Any

from rulewright.core.model.ruleset import Input, Ruleset

ITEM_TYPE = {
    "boolean": "boolean",
    "enum": "choice",
    "set": "choice",
    "integer": "integer",
    "number": "decimal",
}
STATUS = {"draft": "draft", "active": "active", "retired": "retired"}
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"


def questionnaire_url(ruleset: Ruleset) -> str:
    return ruleset.fhir.questionnaire or f"urn:rulewright:questionnaire:{ruleset.id}"


def _item(ruleset: Ruleset, decl: Input) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": ruleset.fhir.link_id(decl.id),
        "text": decl.question,
        "type": ITEM_TYPE[decl.type],
    }
    extensions: list[dict[str, Any]] = []
    value_key = "valueInteger" if decl.type == "integer" else "valueDecimal"
    if decl.minimum is not None:
        extensions.append({"url": EXT_MIN, value_key: _number(decl.minimum, decl.type)})
    if decl.maximum is not None:
        extensions.append({"url": EXT_MAX, value_key: _number(decl.maximum, decl.type)})
    if decl.unit:
        extensions.append({"url": EXT_UNIT, "valueCoding": {"display": decl.unit}})
    if extensions:
        item = {"extension": extensions, **item}
    if decl.type == "set":
        item["repeats"] = True
    if decl.values:
        system = ruleset.fhir.system(ruleset.id, decl.id)
        item["answerOption"] = [
            {"valueCoding": {"system": system, "code": value, "display": decl.labels.get(value, value)}}
            for value in decl.values
        ]
    if decl.help:
        item["item"] = [{"linkId": f"{item['linkId']}.help", "text": decl.help, "type": "display"}]
    return item


def _number(value: float, kind: str) -> float | int:
    return int(value) if kind == "integer" or float(value).is_integer() else value


def questionnaire(ruleset: Ruleset) -> dict[str, Any]:
    """The Questionnaire resource (a JSON-ready dict) for `ruleset`."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": ruleset.id,
        "url": questionnaire_url(ruleset),
        "version": ruleset.version,
        "name": "".join(part.capitalize() for part in ruleset.id.replace("-", "_").split("_")),
        "title": ruleset.title,
        "status": STATUS[ruleset.status],
    }
    if ruleset.description:
        resource["description"] = ruleset.description
    resource["item"] = [_item(ruleset, decl) for decl in ruleset.inputs]
    return resource
