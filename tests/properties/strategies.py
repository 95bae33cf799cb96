"""Hypothesis strategies: answers for a ruleset, and small generated rulesets.

Generated rulesets are built as plain data (always schema-valid and semantically valid by
construction), then loaded through the real loader from their YAML text, so the properties
exercise the same path `rules evaluate` takes.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from rulewright.core import Engine, PluginHost, Ruleset, make_plugin_host
from rulewright.core.model.diagnostics import RulesetError
from rulewright.core.model.fingerprint import fingerprint
from rulewright.core.model.loader import check_document
from rulewright.core.model.yamlload import load_yaml_text

LEVELS = ["review", "urgent", "emergency"]
ENUM_VALUES = ["v0", "v1", "v2"]
SET_VALUES = ["s0", "s1", "s2"]
INT_MAX = 10

# -- answers ---------------------------------------------------------------------------------


def valid_answer(decl: Any) -> st.SearchStrategy[Any]:
    """A strategy for one valid answer to input `decl` (a model Input)."""
    if decl.type == "boolean":
        return st.booleans()
    if decl.type in ("enum",):
        return st.sampled_from(list(decl.values))
    if decl.type == "set":
        return st.lists(st.sampled_from(list(decl.values)), unique=True)
    lo = -1000 if decl.minimum is None else decl.minimum
    hi = 1000 if decl.maximum is None else decl.maximum
    if decl.type == "integer":
        return st.integers(min_value=int(lo), max_value=int(hi))
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def answers(draw: st.DrawFn, ruleset: Ruleset, *, junk: bool = False) -> dict[str, Any]:
    """Partial answers: most inputs answered, some left out or null; with `junk`, also bad
    values and unknown keys."""
    kinds = ["answer", "answer", "answer", "absent", "null"] + (["junk"] if junk else [])
    out: dict[str, Any] = {}
    if junk:
        out.update(draw(st.dictionaries(st.text(min_size=1, max_size=6), JUNK, max_size=2)))
    for decl in ruleset.inputs:
        kind = draw(st.sampled_from(kinds))
        if kind == "answer":
            out[decl.id] = draw(valid_answer(decl))
        elif kind == "null":
            out[decl.id] = None
        elif kind == "junk":
            out[decl.id] = draw(JUNK)
        else:
            out.pop(decl.id, None)
    return out


# -- generated rulesets ----------------------------------------------------------------------


@st.composite
def _input_decls(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = draw(st.lists(st.sampled_from(["boolean", "enum", "integer", "set"]), min_size=1, max_size=4))
    decls = []
    for i, kind in enumerate(kinds):
        decl: dict[str, Any] = {"id": f"i{i}", "type": kind, "question": f"Question {i}?"}
        if kind == "enum":
            decl["values"] = ENUM_VALUES
        elif kind == "set":
            decl["values"] = SET_VALUES
        elif kind == "integer":
            decl.update(minimum=0, maximum=INT_MAX)
        decls.append(decl)
    return decls


def _leaf(decl: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fid = decl["id"]
    kind = decl["type"]
    if kind == "boolean":
        return st.builds(lambda op, v: {"fact": fid, op: v}, st.sampled_from(["eq", "ne"]), st.booleans())
    if kind == "enum":
        return st.one_of(
            st.builds(
                lambda op, v: {"fact": fid, op: v},
                st.sampled_from(["eq", "ne"]),
                st.sampled_from(ENUM_VALUES),
            ),
            st.builds(
                lambda op, v: {"fact": fid, op: v},
                st.sampled_from(["in", "not_in"]),
                st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=2, unique=True),
            ),
        )
    if kind == "set":
        return st.builds(lambda v: {"fact": fid, "contains": v}, st.sampled_from(SET_VALUES))
    num = st.integers(min_value=0, max_value=INT_MAX)
    return st.one_of(
        st.builds(
            lambda op, v: {"fact": fid, op: v}, st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), num
        ),
        st.builds(lambda a, b: {"fact": fid, "between": sorted([a, b])}, num, num),
    )


def conditions(decls: list[dict[str, Any]], score: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    leaves = [_leaf(d) for d in decls]
    if score is not None:
        leaves.append(
            st.builds(
                lambda op, v: {"score": score, op: v},
                st.sampled_from(["ge", "gt", "le", "lt", "eq"]),
                st.integers(min_value=0, max_value=6),
            )
        )
    leaf = st.one_of(*leaves)

    def compound(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        items = st.lists(inner, min_size=1, max_size=3)
        return st.one_of(
            items.map(lambda xs: {"all": xs}),
            items.map(lambda xs: {"any": xs}),
            inner.map(lambda x: {"not": x}),
            items.flatmap(
                lambda xs: st.integers(min_value=1, max_value=len(xs)).map(
                    lambda n: {"at_least": n, "of": xs}
                )
            ),
        )

    return st.recursive(leaf, compound, max_leaves=6)


@st.composite
def ruleset_data(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid ruleset as plain data."""
    decls = draw(_input_decls())
    has_score = draw(st.booleans())
    data: dict[str, Any] = {
        "rulewright": 1,
        "id": "generated",
        "version": "1.0.0",
        "title": "Generated",
        "status": "draft",
        "provenance": {
            "authors": ["hypothesis"],
            "references": [{"id": "ref", "citation": "Generated for a property test."}],
            "changes": [{"version": "1.0.0", "note": "generated"}],
        },
        "inputs": decls,
    }
    if has_score:
        items = draw(st.lists(conditions(decls), min_size=1, max_size=3))
        data["scores"] = [
            {
                "id": "total",
                "items": [
                    {"id": f"item{k}", "when": c, "weight": draw(st.integers(min_value=1, max_value=2))}
                    for k, c in enumerate(items)
                ],
            }
        ]
    flags = draw(st.lists(conditions(decls), min_size=0, max_size=2))
    data["red_flags"] = [
        {
            "id": f"flag{k}",
            "level": draw(st.sampled_from(LEVELS)),
            "when": c,
            "message": f"Flag {k}.",
            "action": "Act.",
            "references": ["ref"],
        }
        for k, c in enumerate(flags)
    ]
    outcomes = draw(st.lists(conditions(decls, "total" if has_score else None), min_size=1, max_size=3))
    data["hit_policy"] = "first"
    data["outcomes"] = [
        {
            "id": f"out{k}",
            "label": f"Outcome {k}",
            "when": c,
            "urgency": draw(st.sampled_from(["routine", *LEVELS])),
        }
        for k, c in enumerate(outcomes)
    ]
    if draw(st.booleans()):
        data["default"] = {"id": "other", "label": "Other"}
    return data


def load_data(data: dict[str, Any], name: str = "generated.yaml") -> Ruleset:
    """Load plain ruleset data through the real loader (JSON text is YAML)."""
    return load_text(json.dumps(data, indent=1), name)


@cache
def _host() -> PluginHost:
    # Built-in plugins keep no per-ruleset state outside the Engine, so one host serves all.
    return make_plugin_host(entrypoints=False)


def load_text(text: str, name: str = "generated.yaml") -> Ruleset:
    ruleset, problems = check_document(load_yaml_text(text, name), _host().registry.items["operators"])
    if ruleset is None:
        raise RulesetError(problems)
    return ruleset


def engine_for(ruleset: Ruleset) -> Engine:
    return Engine(ruleset, host=_host())


def fingerprint_of(text: str) -> str:
    """The fingerprint the loader gives `text` (without the schema and semantic checks)."""
    return fingerprint(load_yaml_text(text, "fp.yaml").data)
