"""`--input-format fhir-qr`: FHIR R4 QuestionnaireResponse in (one resource, or a Bundle of them).

Answers become facts through an explicit linkId map: the ruleset's `fhir.link_ids` (or the
`--link-map` side file), an unmapped input keeping its id as its linkId. Each response is one
record (`line` = its position in the Bundle, `id` = its resource id); a response that cannot be
used — an answer to an unmapped linkId, an answer of the wrong FHIR type or shape, a code
outside the input's values, a key twice in one object, a response for another questionnaire —
becomes an error record in place, the other responses of the Bundle read as usual. An entry
marked `search.mode: outcome` whose resource names another type (an OperationOutcome about a
search) is not a response and gives no record; a QuestionnaireResponse, or a resource of no
stated type, is read (or is an error record) whatever its mark. An unanswered item stays
missing: it is never read as false.

Fail-safe reading (docs/integrators/fhir.md): the error record of a response keeps every
answer that could be read, so its red flags are screened. An answer given twice (a key twice,
a question answered twice, two answers to a one-answer question, an item with two linkIds)
keeps every copy (`answers_from_copies`): a red flag that any copy raises is raised.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from itertools import islice, product
from typing import Any, BinaryIO

from rulewright.core import InputRecord, ReadOptions, Ruleset, answers_from_copies, clipped, hookimpl
from rulewright.plugins.salvage import bad_id

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


class _Copies(list[Any]):
    """Every value one key was given in one JSON object, when it was given more than once."""


def _keeping_copies(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key not in out:
            out[key] = value
        elif type(out[key]) is _Copies:
            out[key].append(value)
        else:
            out[key] = _Copies([out[key], value])
    return out


def _each(value: Any) -> list[Any]:
    """The copies of a value (one, unless its key was given more than once)."""
    return list(value) if type(value) is _Copies else [value]


def _first_copies(value: Any, path: str = "") -> str | None:
    """Where in `value` a key was first given twice (walked with a list: no recursion limit)."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, inner in reversed(item.items()):
                here = f"{where}.{key}" if where else str(key)
                if type(inner) is _Copies:
                    return here
                stack.append((inner, here))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{n}]") for n, inner in reversed(list(enumerate(item))))
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


class QuestionnaireResponseAdapter:
    extensions: tuple[str, ...] = ()  # `.json` belongs to the json adapter: choose this by name

    def read(self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions) -> Iterator[InputRecord]:
        try:
            text = stream.read().decode("utf-8-sig")
            data = json.loads(text, object_pairs_hook=_keeping_copies, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            yield InputRecord(1, None, ("invalid_json", f"invalid JSON: {exc}"))
            return
        links = {**ruleset.fhir.link_ids, **(options.link_ids or {})}
        by_link = {links.get(decl.id, decl.id): decl for decl in ruleset.inputs}
        if not (isinstance(data, dict) and "Bundle" in _each(data.get("resourceType"))):
            yield _response_record(1, data, ruleset, by_link, options.id_field)
            return
        copies = [c for c in _each(data.get("entry")) if c is not None]  # no entry: an empty Bundle
        if not all(isinstance(c, list) for c in copies):
            yield InputRecord(1, None, ("invalid_fhir", "Bundle.entry must be a list"))
            return
        entries = [entry for copy in copies for entry in copy]
        twice = _first_copies({k: v for k, v in data.items() if k != "entry"}) or (
            "entry" if type(data.get("entry")) is _Copies else None
        )
        for position, entry in enumerate(entries, 1):
            resource = entry.get("resource") if isinstance(entry, dict) else entry
            if _about_the_search(entry, resource):
                continue  # an OperationOutcome about the search, not a response
            record = _response_record(position, resource, ruleset, by_link, options.id_field)
            if twice and record.error is None:
                problem = ("duplicate_key", f"key {clipped(twice)} of the Bundle is given twice")
                record = InputRecord(position, record.data, problem, None, record.id)
            yield record


def _about_the_search(entry: Any, resource: Any) -> bool:
    """True for a `search.mode: outcome` entry whose resource says it is some other type: only
    such an entry is skipped. A response marked `outcome` is still a response (its red flags are
    read), and a resource that does not say what it is may be one, so it is read too."""
    search = entry.get("search") if isinstance(entry, dict) else None
    if not (isinstance(search, dict) and search.get("mode") == "outcome") or not isinstance(resource, dict):
        return False
    kinds = _each(resource.get("resourceType"))
    return all(isinstance(k, str) and k != "QuestionnaireResponse" for k in kinds)


def _response_record(
    position: int, resource: Any, ruleset: Ruleset, by_link: Mapping[str, Any], id_field: str | None
) -> InputRecord:
    if not isinstance(resource, dict) or "QuestionnaireResponse" not in _each(resource.get("resourceType")):
        kind = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
        problem = (
            "not_a_questionnaire_response",
            f"expected a QuestionnaireResponse, got {clipped(str(kind))}",
        )
        return InputRecord(position, None, problem)
    ids = _each(resource.get("id"))
    record_id = ids[0] if len({repr(i) for i in ids}) == 1 and not isinstance(ids[0], (dict, list)) else None
    if bad_id(record_id):
        record_id = None  # and the record is an error, below
    try:
        facts = response_facts(resource, ruleset, by_link)
    except AnswerProblem as problem:
        return InputRecord(position, None, (problem.code, str(problem)), None, record_id)
    except _Unusable as unusable:
        return InputRecord(position, unusable.facts, unusable.problem, None, record_id, unusable.readings)
    if bad_id(ids[0]):
        return InputRecord(position, facts, ("invalid_id", "the resource id is not a finite number"))
    if id_field and record_id is not None:
        facts[id_field] = record_id  # carried into the result, never read as an answer
    return InputRecord(position, facts, None, None, record_id)


class _Unusable(Exception):
    """A response with a problem, and the answers that could still be read from it."""

    def __init__(self, problem: tuple[str, str], facts: dict[str, Any], readings: tuple[dict[str, Any], ...]):
        super().__init__(problem[1])
        self.problem, self.facts, self.readings = problem, facts, readings


def response_facts(
    resource: Mapping[str, Any], ruleset: Ruleset, by_link: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts in one QuestionnaireResponse, keyed by input id. Raises AnswerProblem for a
    response that must not be screened at all (entered in error, for another questionnaire), and
    `_Unusable`, with the answers that could be read, for one with any other problem."""
    statuses = _each(resource.get("status"))
    if all(s == "entered-in-error" for s in statuses):
        raise AnswerProblem("entered_in_error", "the QuestionnaireResponse has status entered-in-error")
    expected = ruleset.fhir.questionnaire
    for named in _each(resource.get("questionnaire")):
        named = str(named or "").split("|")[0]
        if expected and named and named != expected:
            raise AnswerProblem(
                "wrong_questionnaire", f"response is for questionnaire {clipped(named)}, not {expected!r}"
            )
    reading = _Reading(ruleset, by_link)
    reading.items(resource.get("item"), "item")
    twice = _first_copies(resource)
    if twice:
        reading.problem("duplicate_key", f"key {clipped(twice)} is given twice in one object")
    for input_id, count in reading.answered.items():
        if count > 1:
            reading.problem("duplicate_answer", f"input {input_id!r} is answered {count} times")
    facts, readings = answers_from_copies(reading.copies)
    if reading.problems:
        first = reading.problems[0]
        raise _Unusable((first.code, str(first)), facts, readings)
    return facts


class _Reading:
    """The answers of one response: every candidate value per input, and every problem met."""

    def __init__(self, ruleset: Ruleset, by_link: Mapping[str, Any]) -> None:
        self.ruleset, self.by_link = ruleset, by_link
        self.copies: dict[str, list[Any]] = {}
        self.answered: Counter[str] = Counter()
        self.problems: list[AnswerProblem] = []

    def problem(self, code: str, message: str) -> None:
        # A path into deeply nested items can be long: an error record stays small.
        self.problems.append(AnswerProblem(code, message if len(message) <= 1024 else message[:1000] + "..."))

    def items(self, items: Any, where: str) -> None:
        """Every item with answers, nested groups and answers' child items included."""
        for copy in _each(items):
            if copy is None:
                continue
            if not isinstance(copy, list):
                self.problem("invalid_fhir", f"{where} must be a list of items, not {type(copy).__name__}")
                continue
            for n, item in enumerate(copy):
                self.item(item, f"{where}[{n}]")

    def item(self, item: Any, where: str) -> None:
        if not isinstance(item, dict):
            self.problem("invalid_fhir", f"{where}: an item must be an object, not {type(item).__name__}")
            return
        for answers in _each(item.get("answer")):
            if not answers:
                continue
            if not isinstance(answers, list):
                self.problem("invalid_fhir", f"{where}.answer must be a list, not {type(answers).__name__}")
                continue
            for link in dict.fromkeys(str(k) for k in _each(item.get("linkId"))):
                self.answer(answers, link)
            for n, answer in enumerate(answers):
                if isinstance(answer, dict):
                    self.items(answer.get("item"), f"{where}.answer[{n}].item")
        self.items(item.get("item"), f"{where}.item")

    def answer(self, answers: list[Any], link: str) -> None:
        decl = self.by_link.get(link)
        if decl is None:
            self.problem(
                "unmapped_link_id",
                f"linkId {clipped(link)} is answered but maps to no input of {self.ruleset.ref}; "
                "map it in the ruleset's fhir.link_ids or a --link-map file",
            )
            return
        self.answered[decl.id] += 1
        where = f"linkId {clipped(link)} (input {decl.id!r}, {decl.type})"
        each = [self.one(answer, decl, where) for answer in answers]
        if decl.type == "set":
            values = [list(combo) for combo in islice(product(*each), 64)]
        else:
            if len(answers) > 1:  # which one is meant? Every one is screened.
                self.problem("fhir_answer_type", f"{where}: expected one answer, got {len(answers)}")
            values = [v for candidates in each for v in candidates]
        self.copies.setdefault(decl.id, []).extend(values)

    def one(self, answer: Any, decl: Any, where: str) -> list[Any]:
        """The values one answer may hold (one, unless a key in it was given twice)."""
        keys = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
        accepted = ACCEPTS[decl.type]
        if len(keys) != 1 or keys[0] not in accepted:
            got = ", ".join(keys) or "no value"
            self.problem("fhir_answer_type", f"{where}: expected {' or '.join(accepted)}, got {got}")
        values = []
        for key in keys:
            if key in accepted:
                for value in _each(answer[key]):
                    try:
                        values.append(_value(key, value, decl, self.ruleset, where))
                    except AnswerProblem as problem:
                        self.problems.append(problem)
        return values


def _value(key: str, value: Any, decl: Any, ruleset: Ruleset, where: str) -> Any:
    if key == "valueCoding":
        system = ruleset.fhir.system(ruleset.id, decl.id)
        code = value.get("code") if isinstance(value, dict) else value
        if not isinstance(value, dict) or type(code) is not str or code not in decl.values:
            raise AnswerProblem(
                "fhir_answer_code",
                f"{where}: code {clipped(repr(code))} is not one of {', '.join(decl.values)}",
            )
        if value.get("system") not in (None, system):
            raise AnswerProblem(
                "fhir_answer_code", f"{where}: code system {clipped(repr(value['system']))} is not {system!r}"
            )
        return code
    if key == "valueQuantity":
        if not isinstance(value, dict):
            raise AnswerProblem("fhir_answer_type", f"{where}: valueQuantity must be an object")
        unit = value.get("unit") or value.get("code")
        if decl.unit and unit and unit != decl.unit:
            raise AnswerProblem(
                "fhir_answer_unit", f"{where}: unit {clipped(repr(unit))} is not {decl.unit!r}"
            )
        value = value.get("value")
    # The engine type-checks the plain value (range, integer-ness) like any other input.
    return value


@hookimpl
def rulewright_register_input_adapters(register: Callable[[str, Any], None]) -> None:
    register("fhir-qr", QuestionnaireResponseAdapter())
