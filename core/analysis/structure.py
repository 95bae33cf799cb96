"""The structural diff of two ruleset versions, keyed by id, and the version-bump check.

Lists of objects with an `id` (inputs, items, bands, red flags, outcomes, references, ...) are
matched by id, so moving an entry is not a change; lists of plain values (allowed values,
authors) are compared as sets. The one order that means something, outcomes under hit policy
`first`, is reported when it changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rulewright.core.model import ruleset as m

IDENTITY = ("rulewright", "id", "version")  # reported apart (the version check), not as changes
_KEYS = ("id", "version")  # what identifies an entry of a list (`version` for change notes)


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed | reordered
    path: tuple[str, ...]
    old: Any = None
    new: Any = None

    @property
    def where(self) -> str:
        """`outcomes[nerve].when.ge`: entries matched by id are shown in brackets."""
        return "".join(p if p.startswith("[") or i == 0 else "." + p for i, p in enumerate(self.path))

    def text(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~", "reordered": "↕"}[self.kind]
        if self.kind == "added":
            return f"{mark} {self.where}: {_show(self.new)}"
        if self.kind == "removed":
            return f"{mark} {self.where}: {_show(self.old)}"
        return f"{mark} {self.where}: {_show(self.old)} → {_show(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.where, "old": self.old, "new": self.new}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= 120 else text[:117] + "..."


def diff_structure(old: m.Ruleset, new: m.Ruleset) -> list[Change]:
    out: list[Change] = []
    for key in [*old.data, *(k for k in new.data if k not in old.data)]:
        if key not in IDENTITY:
            _diff(out, (key,), old.data.get(key), new.data.get(key))
    if old.hit_policy == new.hit_policy == "first":
        a = [o.id for o in old.outcomes]
        b = [o.id for o in new.outcomes]
        common = [x for x in a if x in b]
        if common != [x for x in b if x in a]:
            out.append(Change("reordered", ("outcomes",), a, b))
    return out


def _keyed(items: Any) -> str | None:
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _KEYS:
        if all(key in i for i in items):
            return key
    return None


def _diff(out: list[Change], path: tuple[str, ...], a: Any, b: Any) -> None:
    if a == b:
        return
    if a is None:
        out.append(Change("added", path, None, b))
    elif b is None:
        out.append(Change("removed", path, a, None))
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in [*a, *(k for k in b if k not in a)]:
            _diff(out, (*path, str(k)), a.get(k), b.get(k))
    elif (
        isinstance(a, list)
        and isinstance(b, list)
        and (key := _keyed(a) or _keyed(b))
        and _keyed(a + b) == key
    ):
        old = {str(i[key]): i for i in a}
        new = {str(i[key]): i for i in b}
        for k in [*old, *(k for k in new if k not in old)]:
            _diff(out, (*path, f"[{k}]"), old.get(k), new.get(k))
    elif isinstance(a, list) and isinstance(b, list) and all(_plain(x) for x in a + b):
        removed = [x for x in a if x not in b]
        added = [x for x in b if x not in a]
        out += [Change("removed", path, x, None) for x in removed]
        out += [Change("added", path, None, x) for x in added]
    else:
        out.append(Change("changed", path, a, b))


def _plain(x: Any) -> bool:
    return x is None or isinstance(x, (str, int, float, bool))


# -- the version-bump check -----------------------------------------------------------------------


def bump(old: str, new: str) -> str:
    """major | minor | patch | none | downgrade (pre-release tags are ignored)."""
    a, b = _parts(old), _parts(new)
    if b < a:
        return "downgrade"
    if b == a:
        return "none"
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


def _parts(version: str) -> tuple[int, int, int]:
    core = version.partition("-")[0].partition("+")[0]
    nums = [int(p) if p.isdigit() else 0 for p in core.split(".")[:3]]
    return (nums + [0, 0, 0])[0], (nums + [0, 0, 0])[1], (nums + [0, 0, 0])[2]


def breaking_input_changes(old: m.Ruleset, new: m.Ruleset) -> list[str]:
    """Changes that make a record valid for OLD invalid for NEW (or read differently)."""
    out: list[str] = []
    for a in old.inputs:
        b = new.input(a.id)
        if b is None:
            out.append(f"input {a.id!r} removed")
            continue
        if a.type != b.type:
            out.append(f"input {a.id!r} changes type {a.type} → {b.type}")
        gone = [v for v in a.values if v not in b.values]
        if gone:
            out.append(f"input {a.id!r} no longer allows {', '.join(gone)}")
        if (b.minimum is not None and (a.minimum is None or b.minimum > a.minimum)) or (
            b.maximum is not None and (a.maximum is None or b.maximum < a.maximum)
        ):
            out.append(
                f"input {a.id!r} narrows its range {a.minimum}..{a.maximum} → {b.minimum}..{b.maximum}"
            )
        if b.missing == "error" and a.missing != "error":
            out.append(f"input {a.id!r} becomes required")
        if a.unit != b.unit:
            out.append(f"input {a.id!r} changes unit {a.unit} → {b.unit}")
    for b in new.inputs:
        if old.input(b.id) is None and b.missing == "error":
            out.append(f"new input {b.id!r} is required")
    return out


def version_problems(
    old: m.Ruleset, new: m.Ruleset, behaviour_changed: bool, structure_changed: bool = True
) -> list[str]:
    """What the version bump fails to say: semver for rulesets (docs/authors/diff.md)."""
    kind = bump(old.version, new.version)
    problems = []
    if kind == "downgrade" or (kind == "none" and (structure_changed or behaviour_changed)):
        problems.append(f"version {old.version} → {new.version} does not increase")
    breaking = breaking_input_changes(old, new)
    if breaking and kind != "major" and kind not in ("none", "downgrade"):
        problems.append(f"breaking input changes need a major bump, not {kind}: " + "; ".join(breaking))
    if behaviour_changed and kind == "patch":
        problems.append("behaviour changes need at least a minor bump, not patch")
    return problems
