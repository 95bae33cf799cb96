"""Options handed to output-format plugins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FormatOptions:
    explain: bool = False
    color: bool = False
    """True only when writing to a terminal and NO_COLOR is not set."""
    ruleset: Any = None
    """The `Ruleset` being evaluated (labels, FHIR settings), or None when not known."""
    continued: bool = False
    """The writer continues an output another writer started: a `--jobs` worker rendering one
    chunk. A `concatenable` format writes no header then (CSV's column names)."""
