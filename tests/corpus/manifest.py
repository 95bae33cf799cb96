"""Read the corpus manifests and generate the cases too big to keep as files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
RULESETS = CORPUS / "rulesets"


@dataclass(frozen=True)
class RulesetCase:
    name: str
    code: str
    line: int
    column: int
    # Stored cases are files in RULESETS; generated ones are written to a temporary folder.
    make: Callable[[], bytes] | None = None

    def path(self, tmp: Path) -> Path:
        if self.make is None:
            return RULESETS / self.name
        target = tmp / self.name
        target.write_bytes(self.make())
        return target


def _rows(manifest: Path) -> list[list[str]]:
    rows = []
    for raw in manifest.read_text("utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            rows.append(raw.split("\t"))
    return rows


def _at(text: str) -> tuple[int, int]:
    line, col = text.split(":")
    return int(line), int(col)


# Generated: each is bigger than we want in git, and each hits a different loader bound.
# (The node limit is reached by the alias cases, which are cheap to parse; a plain document big
# enough to pass it takes ruamel tens of seconds to compose, so it is not run on every commit.)
GENERATED_RULESETS = [
    RulesetCase("gen-file-3mb.yaml", "file-too-large", 1, 1, lambda: b"# padding\n" * 300_000),
    RulesetCase(
        "gen-1mb-string.yaml", "string-too-long", 1, 8, lambda: b"title: " + b"x" * 1_000_000 + b"\n"
    ),
]


def ruleset_cases() -> list[RulesetCase]:
    """Every hostile ruleset: the stored files in the manifest, then the generated ones."""
    cases = []
    for name, code, at in _rows(RULESETS / "expected.tsv"):
        line, col = _at(at)
        cases.append(RulesetCase(name, code, line, col))
    return cases + GENERATED_RULESETS
