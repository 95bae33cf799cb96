"""Turn a schema-valid ruleset document (plain data) into the `Ruleset` model.

The JSON Schema has already checked shapes, so this module only maps them to nodes; semantic
problems (unknown names, wrong types, cycles) are found afterwards by `semantics.py`.
"""

from __future__ import annotations

from typing import Any, Literal

from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import JsonPath

_ARITH = ("sum", "sub", "mul", "div", "min", "max")


def parse_condition(data: Any, path: JsonPath) -> m.Condition:
    if isinstance(data, bool):
        return m.Const(data, path)
    if "all" in data:
        return m.All(tuple(parse_condition(c, path + ("all", i)) for i, c in enumerate(data["all"])), path)
    if "any" in data:
        return m.AnyOf(tuple(parse_condition(c, path + ("any", i)) for i, c in enumerate(data["any"])), path)
    if "not" in data:
        return m.Not(parse_condition(data["not"], path + ("not",)), path)
    if "at_least" in data:
        items = tuple(parse_condition(c, path + ("of", i)) for i, c in enumerate(data["of"]))
        return m.AtLeast(int(data["at_least"]), items, path)
    if "answered" in data:
        return m.Answered(data["answered"], path)
    kind: Literal["fact", "score"] = "fact" if "fact" in data else "score"
    name = data[kind]
    if "op" in data:
        return m.Custom(kind, name, data["op"], data.get("value"), path)
    if "band" in data:
        return m.Compare(kind, name, "band", data["band"], path)
    for op in m.COMPARISONS:
        if op in data:
            value = data[op]
            if isinstance(value, list):
                value = tuple(value)
            return m.Compare(kind, name, op, value, path)
    raise ValueError(f"unrecognised condition at {path}: {data!r}")  # the schema prevents this


def parse_expr(data: Any, path: JsonPath) -> m.Expr:
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return m.Num(float(data), path)
    if "fact" in data:
        return m.Ref("fact", data["fact"], path)
    if "score" in data:
        return m.Ref("score", data["score"], path)
    if "count_answered" in data:
        return m.CountAnswered(tuple(data["count_answered"]), path)
    if "round" in data:
        return m.Round(parse_expr(data["round"], path + ("round",)), int(data.get("digits", 0)), path)
    for op in _ARITH:
        if op in data:
            args = tuple(parse_expr(a, path + (op, i)) for i, a in enumerate(data[op]))
            return m.Arith(op, args, path)  # type: ignore[arg-type]
    raise ValueError(f"unrecognised expression at {path}: {data!r}")


def _input(data: dict[str, Any], path: JsonPath) -> m.Input:
    missing = data.get("missing", "unknown")
    assume = None
    if isinstance(missing, dict):
        assume = missing["assume"]
        missing = "assume"
    return m.Input(
        id=data["id"],
        type=data["type"],
        question=data["question"],
        values=tuple(data.get("values", ())),
        minimum=data.get("minimum"),
        maximum=data.get("maximum"),
        unit=data.get("unit"),
        missing=missing,
        assume=assume,
        labels=dict(data.get("labels", {})),
        help=data.get("help"),
        path=path,
    )


def _score(data: dict[str, Any], path: JsonPath) -> m.Score:
    items = []
    for i, item in enumerate(data.get("items", ())):
        ipath = path + ("items", i)
        items.append(
            m.ScoreItem(
                id=item["id"],
                when=parse_condition(item["when"], ipath + ("when",)) if "when" in item else None,
                weight=float(item.get("weight", 1)),
                value=parse_expr(item["value"], ipath + ("value",)) if "value" in item else None,
                label=item.get("label"),
                path=ipath,
            )
        )
    bands = tuple(
        m.Band(b["id"], b.get("label", b["id"]), b.get("minimum"), b.get("maximum"), path + ("bands", i))
        for i, b in enumerate(data.get("bands", ()))
    )
    return m.Score(
        id=data["id"],
        label=data.get("label", data["id"]),
        items=tuple(items),
        compute=parse_expr(data["compute"], path + ("compute",)) if "compute" in data else None,
        missing=data.get("missing", "unknown"),
        bands=bands,
        description=data.get("description", ""),
        references=tuple(data.get("references", ())),
        rationale=data.get("rationale", ""),
        path=path,
    )


def _outcome(data: dict[str, Any], path: JsonPath, *, default: bool = False) -> m.Outcome:
    return m.Outcome(
        id=data["id"],
        label=data["label"],
        when=None if default else parse_condition(data["when"], path + ("when",)),
        confidence=data.get("confidence"),
        urgency=data.get("urgency", "routine"),
        recommendations=tuple(data.get("recommendations", ())),
        confidence_when=tuple(
            m.ConfidenceRaise(
                c["confidence"],
                parse_condition(c["when"], path + ("confidence_when", i, "when")),
                path + ("confidence_when", i),
            )
            for i, c in enumerate(data.get("confidence_when", ()))
        ),
        references=tuple(data.get("references", ())),
        rationale=data.get("rationale", ""),
        path=path,
    )


def _fhir(data: dict[str, Any]) -> m.FhirSettings:
    return m.FhirSettings(
        questionnaire=data.get("questionnaire"),
        link_ids=dict(data.get("link_ids", {})),
        code_system=data.get("code_system"),
        resource=data.get("resource", "GuidanceResponse"),
    )


def parse_ruleset(data: dict[str, Any], *, source: str, fingerprint: str) -> m.Ruleset:
    prov = data.get("provenance", {})
    refs = tuple(
        m.Reference(r["id"], r["citation"], r.get("doi"), r.get("url"), r.get("note"))
        for r in prov.get("references", ())
    )
    return m.Ruleset(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        status=data["status"],
        description=data.get("description", ""),
        inputs=tuple(_input(d, ("inputs", i)) for i, d in enumerate(data["inputs"])),
        scores=tuple(_score(d, ("scores", i)) for i, d in enumerate(data.get("scores", ()))),
        red_flags=tuple(
            m.RedFlag(
                id=d["id"],
                level=d["level"],
                when=parse_condition(d["when"], ("red_flags", i, "when")),
                message=d["message"],
                action=d["action"],
                references=tuple(d.get("references", ())),
                rationale=d.get("rationale", ""),
                path=("red_flags", i),
            )
            for i, d in enumerate(data.get("red_flags", ()))
        ),
        outcomes=tuple(_outcome(d, ("outcomes", i)) for i, d in enumerate(data["outcomes"])),
        hit_policy=data.get("hit_policy", "first"),
        default=_outcome(data["default"], ("default",), default=True) if "default" in data else None,
        escalations=tuple(
            m.Escalation(
                id=d["id"],
                level=d["level"],
                when=parse_condition(d["when"], ("escalations", i, "when")),
                message=d["message"],
                action=d.get("action", ""),
                path=("escalations", i),
            )
            for i, d in enumerate(data.get("escalations", ()))
        ),
        invariants=tuple(
            m.Invariant(
                id=d["id"],
                description=d.get("description", ""),
                when=parse_condition(d["when"], ("invariants", i, "when")),
                expect=dict(d["expect"]),
                path=("invariants", i),
            )
            for i, d in enumerate(data.get("invariants", ()))
        ),
        references=refs,
        scorer=data.get("scoring", "weighted-sum"),
        fhir=_fhir(data.get("fhir", {})),
        fingerprint=fingerprint,
        source=source,
        data=data,
    )
