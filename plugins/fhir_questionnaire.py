"""`--input-format fhir-qr`: FHIR R4 QuestionnaireResponse in (one resource, or a Bundle of them).

Answers become facts through an explicit linkId map: the ruleset's `fhir.link_ids` (or the
`--link-map` side file), an unmapped input keeping its id as its linkId. Each response is one
record (`line` = its position in the Bundle, `id` = its resource id); a response that cannot be
used — an answer to an unmapped linkId, an answer of the wrong FHIR type, a code outside the
input's values, a response for another questionnaire — becomes an error record in place. An
unanswered item stays missing: it is never read as false.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

from rulewright.core import InputRecord, ReadOptions, Ruleset, hookimpl

# The FHIR answer value[x] each input type accepts, in order of preference.
ACCEPTS = {
    "boolean": ("valueBoolean",),
    "enum": ("valueCoding",),
    "set": ("valueCoding",),
    "integer": ("valueInteger",),
    "number": ("valueDecimal", "valueInteger", "valueQuantity"),
}


class AnswerProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.facts: dict[str, Any] | None = None  # the answers read before and after the problem


class QuestionnaireResponseAdapter:
    extensions: tuple[str, ...] = ()  # `.json` belongs to the json adapter: choose this by name

    def read(self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions) -> Iterator[InputRecord]:
        try:
            data = json.loads(stream.read().decode("utf-8-sig"))
        except (ValueError, RecursionError) as exc:
            yield InputRecord(1, None, ("invalid_json", f"invalid JSON: {exc}"))
            return
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            resources = [e.get("resource") if isinstance(e, dict) else e for e in data.get("entry") or ()]
        else:
            resources = [data]
        links = {**ruleset.fhir.link_ids, **(options.link_ids or {})}
        by_link = {links.get(decl.id, decl.id): decl for decl in ruleset.inputs}
        for position, resource in enumerate(resources, 1):
            if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
                kind = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
                yield InputRecord(
                    position,
                    None,
                    ("not_a_questionnaire_response", f"expected a QuestionnaireResponse, got {kind}"),
                )
                continue
            try:
                facts = response_facts(resource, ruleset, by_link)
            except AnswerProblem as problem:
                yield InputRecord(
                    position, problem.facts, (problem.code, str(problem)), None, resource.get("id")
                )
                continue
            if options.id_field and resource.get("id") is not None:
                facts[options.id_field] = resource["id"]  # carried into the result, never read as an answer
            yield InputRecord(position, facts, None, None, resource.get("id"))


def _answered_items(items: Any) -> Iterator[dict[str, Any]]:
    """Every item with answers, nested groups and answers' child items included."""
    for item in items or ():
        if not isinstance(item, dict):
            raise AnswerProblem("invalid_fhir", f"an item must be an object, not {type(item).__name__}")
        if item.get("answer"):
            yield item
        yield from _answered_items(item.get("item"))
        for answer in item.get("answer") or ():
            if isinstance(answer, dict):
                yield from _answered_items(answer.get("item"))


def response_facts(
    resource: Mapping[str, Any], ruleset: Ruleset, by_link: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts in one QuestionnaireResponse, keyed by input id; raises AnswerProblem."""
    if resource.get("status") == "entered-in-error":
        raise AnswerProblem("entered_in_error", "the QuestionnaireResponse has status entered-in-error")
    expected = ruleset.fhir.questionnaire
    named = str(resource.get("questionnaire") or "").split("|")[0]
    if expected and named and named != expected:
        raise AnswerProblem(
            "wrong_questionnaire", f"response is for questionnaire {named!r}, not {expected!r}"
        )
    facts: dict[str, Any] = {}
    first: AnswerProblem | None = None
    twice: set[str] = set()
    try:
        for item in _answered_items(resource.get("item")):
            link = str(item.get("linkId"))
            decl = by_link.get(link)
            try:
                if decl is None:
                    raise AnswerProblem(
                        "unmapped_link_id",
                        f"linkId {link!r} is answered but maps to no input of {ruleset.ref}; "
                        "map it in the ruleset's fhir.link_ids or a --link-map file",
                    )
                if decl.id in facts or decl.id in twice:
                    twice.add(decl.id)
                    raise AnswerProblem(
                        "duplicate_answer", f"linkId {link!r} (input {decl.id!r}) is answered twice"
                    )
                facts[decl.id] = _value(item["answer"], decl, ruleset, link)
            except AnswerProblem as problem:
                first = first or problem  # keep reading: the other answers may raise a red flag
    except AnswerProblem as problem:
        first = first or problem
    if first is not None:
        # The answers that were read (an ambiguous one dropped) go with the error, so the
        # engine still screens red flags on them.
        first.facts = {k: v for k, v in facts.items() if k not in twice}
        raise first
    return facts


def _value(answers: list[Any], decl: Any, ruleset: Ruleset, link: str) -> Any:
    where = f"linkId {link!r} (input {decl.id!r}, {decl.type})"
    if decl.type != "set" and len(answers) > 1:
        raise AnswerProblem("fhir_answer_type", f"{where}: expected one answer, got {len(answers)}")
    values = [_one(answer, decl, ruleset, where) for answer in answers]
    return values if decl.type == "set" else values[0]


def _one(answer: Any, decl: Any, ruleset: Ruleset, where: str) -> Any:
    keys = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
    accepted = ACCEPTS[decl.type]
    if len(keys) != 1 or keys[0] not in accepted:
        got = ", ".join(keys) or "no value"
        raise AnswerProblem("fhir_answer_type", f"{where}: expected {' or '.join(accepted)}, got {got}")
    key, value = keys[0], answer[keys[0]]
    if key == "valueCoding":
        system = ruleset.fhir.system(ruleset.id, decl.id)
        if not isinstance(value, dict) or value.get("code") not in decl.values:
            code = value.get("code") if isinstance(value, dict) else value
            raise AnswerProblem(
                "fhir_answer_code", f"{where}: code {code!r} is not one of {', '.join(decl.values)}"
            )
        if value.get("system") not in (None, system):
            raise AnswerProblem(
                "fhir_answer_code", f"{where}: code system {value['system']!r} is not {system!r}"
            )
        return value["code"]
    if key == "valueQuantity":
        unit = value.get("unit") or value.get("code") if isinstance(value, dict) else None
        if decl.unit and unit and unit != decl.unit:
            raise AnswerProblem("fhir_answer_unit", f"{where}: unit {unit!r} is not {decl.unit!r}")
        value = value.get("value") if isinstance(value, dict) else None
    # The engine type-checks the plain value (range, integer-ness) like any other input.
    return value


@hookimpl
def rulewright_register_input_adapters(register: Callable[[str, Any], None]) -> None:
    register("fhir-qr", QuestionnaireResponseAdapter())
