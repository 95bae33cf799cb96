"""Small pieces the clinical formats (FHIR, CDS Hooks) share.

Output must be deterministic (the same case gives the same bytes), so ids are UUIDv5 derived
from the ruleset fingerprint and the case's position, never random or time-based.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, TextIO

from rulewright.core import Result

RULESET_URN = "urn:rulewright:ruleset"


def case_label(result: Result) -> str:
    """How a case is named to people and in identifiers: its id, else its line, else `case`."""
    if result.id is not None:
        return str(result.id)
    return f"line {result.line}" if result.line is not None else "case"


def stable_uuid(result: Result, *parts: str) -> str:
    """A UUID that is the same every time this case of this ruleset is written."""
    key = "/".join([result.ruleset.get("fingerprint", ""), repr(result.line), repr(result.id), *parts])
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def ruleset_system(result: Result, what: str) -> str:
    """A code system for one kind of ruleset element, e.g. `urn:rulewright:ruleset:leg-pain:red-flag`."""
    return f"{RULESET_URN}:{result.ruleset['id']}:{what}"


def write_json_line(stream: TextIO, data: dict[str, Any]) -> None:
    stream.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
