"""JSON Schema access and validation (jsonschema is imported here only, never on the hot path).

Schemas ship in `rulewright.schemas` and are read through importlib.resources. The referencing
registry knows our own schemas and refuses everything else, so a `$ref` can never reach the
network.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from importlib.resources import files
from typing import Any

from rulewright.core.model.diagnostics import Diagnostic
from rulewright.core.model.yamlload import Document

SCHEMA_FILES = {
    "ruleset": "ruleset.schema.json",
    "result": "result.schema.json",
    "test-suite": "test-suite.schema.json",
}


def schema_names() -> list[str]:
    return sorted(SCHEMA_FILES)


@cache
def schema(name: str) -> dict[str, Any]:
    if name not in SCHEMA_FILES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(schema_names())}")
    return json.loads((files("rulewright.schemas") / SCHEMA_FILES[name]).read_text("utf-8"))  # type: ignore[no-any-return]


@cache
def validator(name: str) -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    def refuse(uri: str) -> Resource:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # never fetch a remote $ref

    resources = [(schema(n)["$id"], Resource.from_contents(schema(n))) for n in SCHEMA_FILES]
    registry: Registry = Registry(retrieve=refuse).with_resources(resources)  # type: ignore[call-arg]
    return Draft202012Validator(
        schema(name), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def check(doc: Document, name: str) -> list[Diagnostic]:
    """Validate a loaded document: one diagnostic per problem, at the offending node, once.

    A value reached through several YAML aliases fails at every use but sits at one place in
    the file: it is reported once there.
    """
    from rulewright.core.model.schemaerrors import explain

    out: dict[tuple[int, int, str], Diagnostic] = {}
    for error in validator(name).iter_errors(doc.data):
        path, message, about_key = explain(error)
        if len(message) > 300:
            message = message[:297] + "..."
        found = doc.diagnostic("schema", message, path)
        if about_key and path in doc.key_positions:  # an unknown key: point at the key itself
            found = replace(found, line=doc.key_positions[path][0], column=doc.key_positions[path][1])
        out.setdefault((found.line, found.column, found.message), found)
    return sorted(out.values(), key=lambda d: (d.line, d.column))
