"""One schema error -> the one thing an author got wrong, where, in words they can act on.

jsonschema reports a failed `oneOf`/`anyOf` as one error whose `context` holds every branch's
errors; its `best_match` often picks a branch the author never meant (`{score: s, ge: 1, le: 2}`
"is not of type 'boolean'"). Here the branch the author evidently meant is the one whose shape
fits the value: not a type mismatch, then no discriminating key missing (`fact`, `score`,
`value`, `when`...), then the fewest keys it does not know. That branch's own error is reported,
descending through nested branches; when no branch fits, the message lists what would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

JsonPath = tuple[str | int, ...]

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}

# How badly a branch misses the value's shape: it fits, it lacks a key, it is another kind.
FITS, LACKS_KEY, OTHER_KIND = 0, 1, 2


def explain(error: Any) -> tuple[JsonPath, str, bool]:
    """(absolute JSON path, message, whether it is about the key) of the one thing wrong."""
    while error.context:
        chosen = _intended(error)
        if isinstance(chosen, str):
            return tuple(error.absolute_path), chosen, False
        error = chosen
    return _worded(error)


def _intended(error: Any) -> Any:
    """The error inside the branch the author meant, or a message naming what would fit."""
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    ranked = sorted(branches.values(), key=lambda errs: (_miss(errs), _unknown_keys(errs)))
    best = ranked[0]
    level = _miss(best)
    ties = [errs for errs in ranked if (_miss(errs), _unknown_keys(errs)) == (level, _unknown_keys(best))]
    if level == FITS or len(ties) == 1:
        return _first(best)
    if level == LACKS_KEY:
        keys = _unique(k for errs in ties for e in errs if e.validator == "required" for k in _missing(e))
        got = f"; got {', '.join(map(str, error.instance))}" if error.instance else ""
        return f"needs one of the keys {', '.join(keys)}{got}"
    wanted = _unique(w for errs in ranked for e in errs if not e.relative_path for w in _wanted(e))
    return f"expected {' or '.join(wanted)}, got {_show(error.instance)}"


def _miss(errors: list[Any]) -> int:
    top = [e for e in errors if not e.relative_path]
    if any(e.validator == "type" or _other_kind_enum(e) for e in top):
        return OTHER_KIND
    if any(e.validator == "required" for e in top):
        return LACKS_KEY
    return FITS


def _other_kind_enum(error: Any) -> bool:
    """An `enum`/`const` none of whose values is even the same kind as the value given."""
    if error.validator not in ("enum", "const"):
        return False
    allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
    return all(_kind(v) != _kind(error.instance) for v in allowed)


def _unknown_keys(errors: list[Any]) -> int:
    """Keys of the value the branch does not know: a misfit branch names many."""
    return sum(len(_extra(e)) for e in errors if not e.relative_path)


def _first(errors: list[Any]) -> Any:
    """A branch's most telling error: a wrong key or value before a key it lacks, deepest first."""
    return min(errors, key=lambda e: (e.validator == "required", -len(e.relative_path)))


def _worded(error: Any) -> tuple[JsonPath, str, bool]:
    path: JsonPath = tuple(error.absolute_path)
    instance, kind = error.instance, error.validator
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = _extra(error)
        if extra:
            listing = f"; expected one of: {', '.join(allowed)}" if allowed else ""
            return path + (extra[0],), f"unknown key {extra[0]!r}{listing}", True
    if kind == "not" and isinstance(instance, dict):
        # `{required: [value], not: {required: [weight]}}`: two keys that exclude each other.
        banned = [k for k in instance if k in _required_within(error.validator_value)]
        needed = [k for k in error.schema.get("required", []) if k in instance]
        if banned and needed:
            return path + (banned[0],), f"{banned[0]!r} cannot be used together with {needed[0]!r}", True
    if kind == "maxProperties" and isinstance(instance, dict):
        return path, _too_many(error), False
    if kind == "minProperties" and isinstance(instance, dict) and instance:
        known = [k for k in error.schema.get("properties", {}) if k not in instance]
        has = ", ".join(map(str, instance))
        return path, f"needs one more key besides {has}: one of {', '.join(known)}", False
    if kind == "type":
        return path, f"expected {' or '.join(_wanted(error))}, got {_show(instance)}", False
    return path, error.message, False


def _too_many(error: Any) -> str:
    keys = list(error.instance)
    message = f"too many keys ({', '.join(keys)}): at most {error.validator_value} here"
    props = error.schema.get("properties", {})
    if "between" in props and ("fact" in props or "score" in props):
        subject = "fact" if "fact" in props else "score"
        ops = [k for k in keys if k != subject]
        message = (
            f"a comparison takes one operator, got {' and '.join(ops)}: "
            "use `between: [low, high]` for a range, or `all:` with one comparison each"
        )
    return message


def _wanted(error: Any) -> list[str]:
    if error.validator == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [_TYPE_WORDS.get(str(t), str(t)) for t in types]
    if error.validator == "enum":
        return [f"one of {', '.join(_show(v) for v in error.validator_value)}"]
    if error.validator == "const":
        return [_show(error.validator_value)]
    return []


def _extra(error: Any) -> list[str]:
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    return sorted(k for k in error.instance if k not in error.schema.get("properties", {}))


def _missing(error: Any) -> list[str]:
    return [k for k in error.validator_value if k not in error.instance]


def _required_within(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    found = set(schema.get("required", []))
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _required_within(branch)
    return found


def _kind(value: Any) -> str:
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else _JSON_TYPES.get(type(value), "?")
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
