"""One record read from an input source, before evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class InputRecord:
    """A record and where it came from. `error` is set when it could not be read; `data` is then
    None, or the answers that could be read (red flags are still screened on them)."""

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
    first_line: int = 1
    """Line number of the stream's first line (a chunk of a larger file starts later)."""
    max_line_bytes: int = 16 * 1024 * 1024
    """A longer line becomes a `line_too_long` error record; memory stays bounded."""
    link_ids: Mapping[str, str] | None = None
    """Input id -> FHIR linkId, overriding the ruleset's `fhir.link_ids` (`--link-map FILE`)."""
