"""Find, read and check rulesets: bundled ids (`leg-pain`, `leg-pain@1.0.0`) or file paths.

`load_ruleset` returns a checked `Ruleset` or raises `RulesetError` with every problem and its
position. Bundled rulesets are read from the package's folder (through importlib.resources
when the package is not a folder, as in a zip archive), so they work from any directory.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import Diagnostic, RulesetError
from rulewright.core.model.files import read_bounded
from rulewright.core.model.fingerprint import fingerprint
from rulewright.core.model.parse import parse_ruleset

if TYPE_CHECKING:  # ruamel is imported only when a ruleset is actually read
    from importlib.resources.abc import Traversable

    from rulewright.core.model.yamlload import Document


@dataclass(frozen=True)
class Bundled:
    id: str
    version: str
    status: str
    title: str
    resource: Traversable

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    core, _, pre = version.partition("-")
    parts = [int(p) if p.isdigit() else 0 for p in core.split(".")[:3]] + [0, 0, 0]
    # A pre-release sorts before its release.
    return (parts[0], parts[1], parts[2], 0 if pre else 1, pre)


def _bundled_root() -> Traversable:
    """Where the bundled rulesets are: the package's folder, as installed from a wheel or a
    source tree; through importlib.resources only when the package is no folder (a zip
    archive), since importing it took 6 ms of every start."""
    package = importlib.import_module("rulewright.rulesets")
    if package.__file__ is not None and Path(package.__file__).parent.is_dir():
        return Path(package.__file__).parent
    from importlib.resources import files

    return files("rulewright.rulesets")


def bundled_rulesets() -> list[Bundled]:
    """Every ruleset shipped in `rulewright.rulesets`, sorted by id then version."""
    from ruamel.yaml import YAML

    out = []
    for folder in _bundled_root().iterdir():
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        for entry in folder.iterdir():
            if entry.name.endswith(".yaml") and entry.is_file():
                head = YAML(typ="safe").load(entry.read_text("utf-8")) or {}
                out.append(
                    Bundled(
                        folder.name,
                        str(head.get("version", entry.name[:-5])),
                        str(head.get("status", "")),
                        str(head.get("title", "")),
                        entry,
                    )
                )
    out.sort(key=lambda b: (b.id, semver_key(b.version)))
    return out


def resolve(ref: str, *, bundled_only: bool = False) -> tuple[str, bytes]:
    """Return (display name, bytes) for a path or a bundled `id[@version]` (only the latter with
    `bundled_only`: for a reference read from data, which must never name a file)."""
    path = Path(ref)
    if not bundled_only and (path.suffix in (".yaml", ".yml") or os.sep in ref or path.is_file()):
        return str(ref), read_bounded(path, "ruleset")
    rid, _, version = ref.partition("@")
    exact = _bundled_root().joinpath(rid, f"{version}.yaml") if version and rid else None
    if exact is not None and "/" not in version and exact.is_file():
        # `id@version` names its file: no need to read every bundled ruleset's header.
        return f"{rid}@{version} ({rid}/{version}.yaml)", exact.read_bytes()
    candidates = [b for b in bundled_rulesets() if b.id == rid]
    if not candidates:
        known = ", ".join(sorted({b.id for b in bundled_rulesets()})) or "none"
        raise RulesetError(
            [Diagnostic("not-found", f"no ruleset file or bundled ruleset {ref!r} (bundled: {known})", ref)]
        )
    if version:
        match = [b for b in candidates if b.version == version]
        if not match:
            versions = ", ".join(b.version for b in candidates)
            raise RulesetError(
                [
                    Diagnostic(
                        "not-found",
                        f"bundled ruleset {rid!r} has no version {version} (versions: {versions})",
                        ref,
                    )
                ]
            )
        chosen = match[0]
    else:
        active = [b for b in candidates if b.status == "active"]
        chosen = (active or candidates)[-1]
    return f"{chosen.ref} ({chosen.id}/{chosen.version}.yaml)", chosen.resource.read_bytes()


def check_document(
    doc: Document, operators: Iterable[str] | None = None
) -> tuple[m.Ruleset | None, list[Diagnostic]]:
    """Schema and semantic checks; the ruleset is returned when it has no error-level finding."""
    from rulewright.core.model.schemas import check as schema_check
    from rulewright.core.model.semantics import check_semantics

    problems = schema_check(doc, "ruleset")
    if problems:
        return None, problems
    ruleset = parse_ruleset(doc.data, source=doc.file, fingerprint=fingerprint(doc.data))
    problems = check_semantics(ruleset, doc, operators)
    if any(d.severity == "error" for d in problems):
        return None, problems
    return ruleset, problems


def load_document(ref: str) -> Document:
    from rulewright.core.model.yamlload import load_yaml

    name, raw = resolve(ref)
    return load_yaml(raw, name)


def load_ruleset(
    ref: str, *, operators: Iterable[str] | None = None, bundled_only: bool = False
) -> m.Ruleset:
    """Load and check a ruleset by path or bundled id; raise `RulesetError` if it has errors.

    A ruleset that checked clean before (same bytes, version and operators) comes from the
    cache in `rulecache` without parsing YAML or loading JSON Schema again.
    """
    from rulewright.core.model import rulecache

    operators = list(operators) if operators is not None else None
    name, raw = resolve(ref, bundled_only=bundled_only)
    entry = rulecache.key(raw, operators)
    data = rulecache.get(entry)
    if data is not None:
        try:  # the fingerprint is of the data that will run, whatever the entry claims
            cached = parse_ruleset(data, source=name, fingerprint=fingerprint(data))
            if _still_valid(cached, name, operators):
                return cached
        except Exception:  # an entry that passed its digest yet does not parse: rebuild it
            pass
    from rulewright.core.model.yamlload import load_yaml  # only now: the cache spares most starts YAML

    doc = load_yaml(raw, name)
    ruleset, problems = check_document(doc, operators)
    if ruleset is None:
        raise RulesetError(problems)
    rulecache.put(entry, doc.data)
    return ruleset


def _still_valid(ruleset: m.Ruleset, name: str, operators: Iterable[str] | None) -> bool:
    """Cheap checks of a cached model before it runs: an entry with a valid digest but content
    the schema would refuse (an unknown level, a dangling reference) is a miss, rebuilt from the
    YAML, never a crash later. The levels are the schema's enum the engine indexes by; the
    semantic checks are plain Python (under 10 ms a start; the JSON Schema check would cost about 75)."""
    from rulewright.core.model.semantics import check_semantics
    from rulewright.core.model.yamlload import Document

    levels = [f.level for f in ruleset.red_flags] + [e.level for e in ruleset.escalations]
    levels += [o.urgency for o in ruleset.outcomes] + ([ruleset.default.urgency] if ruleset.default else [])
    if any(level not in m.LEVEL_RANK for level in levels):
        return False
    problems = check_semantics(ruleset, Document(name, ruleset.data), operators)
    return not any(d.severity == "error" for d in problems)
