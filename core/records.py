"""One record read from an input source, before evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class InputRecord:
    """A record and where it came from. `error` is set (and `data` None) when it could not be read."""

    line: int | None
    data: Mapping[str, Any] | None
    error: tuple[str, str] | None = None  # (code, message)
    row: int | None = None
    id: Any = None


@dataclass
class ReadOptions:
    """What an input adapter needs to know, and the counts it reports back."""

    id_field: str | None = "id"
    blank_lines: int = 0
    link_ids: Mapping[str, str] | None = None
    """Input id -> FHIR linkId, overriding the ruleset's `fhir.link_ids` (`--link-map FILE`)."""
