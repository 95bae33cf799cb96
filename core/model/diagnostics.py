"""Diagnostics: one problem found in a ruleset or test-suite file, with its position.

Every loader, schema and semantic check reports through `Diagnostic`, so the CLI can print
`file:line:col: CODE message` (or JSON/SARIF) without knowing who found the problem.
Lines and columns are 1-based here; ruamel's are 0-based and converted on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
JsonPath = tuple[str | int, ...]


def format_path(path: JsonPath) -> str:
    """Render a JSON path the way authors read it: `$.outcomes[1].when.all[0]`."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    file: str
    line: int = 1
    column: int = 1
    path: JsonPath = ()
    severity: Severity = "error"
    # A concrete set of answers that demonstrates the finding, when there is one.
    example: dict[str, Any] | None = field(default=None, compare=False)

    def text(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        tag = self.code if self.severity == "error" else f"{self.code} ({self.severity})"
        suffix = f" [at {format_path(self.path)}]" if self.path else ""
        return f"{where}: {tag} {self.message}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": format_path(self.path),
        }
        if self.example is not None:
            out["example"] = self.example
        return out


class RulesetError(Exception):
    """A ruleset could not be loaded; `diagnostics` says every reason with its position."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"] or diagnostics
        first = errors[0].text() if errors else "invalid ruleset"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)
