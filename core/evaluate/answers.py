"""Answers typed as text (`--answer key=value`, CSV cells) converted by the input's declared type.

Only the *shape* is converted here (e.g. "yes" -> True, "42" -> 42); whether the value is
allowed is still decided by the engine's input checks, so a bad value gets the same error
message whichever way it arrived.
"""

from __future__ import annotations

import math
from typing import Any

from rulewright.core.model.ruleset import Input

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


def from_text(decl: Input | None, text: str, *, set_separator: str = ";") -> Any:
    """Convert one textual answer. Unknown inputs and unparseable text stay strings."""
    if decl is None:
        return text
    if decl.type == "boolean":
        low = text.strip().lower()
        return True if low in TRUE_WORDS else False if low in FALSE_WORDS else text
    if decl.type in ("integer", "number"):
        try:
            value = float(text)
        except ValueError:
            return text
        if not math.isfinite(value):
            return text
        if decl.type == "integer" and value.is_integer():
            return int(value)
        return value
    if decl.type == "set":
        return [part.strip() for part in text.split(set_separator) if part.strip()]
    return text
