"""The behavioural diff: every region of the input space where two versions decide differently.

Both versions are encoded over one shared set of answer classes (symbolic.py). The solver
finds a case where status, outcome, urgency or red flags differ; the case is grown into a
cube on which the *same change* holds everywhere (regions.py), the cube is excluded and the
search repeats until no difference is left, so the regions cover the difference exactly.
Cubes with the same change that differ in one input are merged, and each region reports how
many combinations it adds (the counts are disjoint, so they sum to the total).

An input only one version declares is *missing* for the other (it would reject the answer as
unknown, so the comparison leaves it out there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from rulewright.core.analysis.partition import Space, build_space
from rulewright.core.analysis.regions import Cube, Prover, answers, describe, new_size
from rulewright.core.analysis.scores import use_score_axes
from rulewright.core.analysis.symbolic import (
    BAD_ANSWERS,
    OK,
    STATUS_NAMES,
    Behaviour,
    Model,
    behaviour,
    outcome_table,
)
from rulewright.core.evaluate.compiler import Operator
from rulewright.core.model import ruleset as m
from rulewright.core.model.ruleset import LEVELS

MAX_REGIONS = 200


@dataclass
class Region:
    where: str
    change: str
    changed: list[str]  # which parts differ: decision (status/outcome), urgency, red_flags
    old: Behaviour
    new: Behaviour
    example: dict[str, Any]
    count: int
    cube: Cube = field(repr=False)

    def to_dict(self, total: int) -> dict[str, Any]:
        return {
            "where": self.where,
            "change": self.change,
            "changed": self.changed,
            "old": behaviour_dict(self.old),
            "new": behaviour_dict(self.new),
            "count": self.count,
            "share": self.count / total,
            "example": self.example,
        }


@dataclass
class BehaviourDiff:
    regions: list[Region]
    total: int
    complete: bool  # False when the search stopped at max_regions
    only_old: list[str]
    only_new: list[str]

    @property
    def affected(self) -> int:
        return sum(r.count for r in self.regions)


def behaviour_dict(b: Behaviour) -> dict[str, Any]:
    return {
        "status": STATUS_NAMES[b.status].split(" ")[0],
        "error": STATUS_NAMES[b.status].partition(" ")[2].strip("()") or None,
        "outcome": b.outcome,
        "urgency": LEVELS[b.urgency],
        "red_flags": sorted(b.flags),
    }


Key = tuple[Any, Any, frozenset[tuple[str, bool, bool]]]


class _Pair:
    def __init__(self, old: m.Ruleset, new: m.Ruleset, operators: Mapping[str, Operator] | None) -> None:
        self.space: Space = build_space([old, new])
        use_score_axes(self.space, operators)
        self.prover = Prover(self.space)
        ids = outcome_table([old, new])
        self.old = Model(old, self.space, self.prover.vars, ids, operators)
        self.new = Model(new, self.space, self.prover.vars, ids, operators)
        self.prover.tie(self.old)
        self.prover.tie(self.new)
        self.flag_ids = sorted(set(self.old.observation.flags) | set(self.new.observation.flags))

    def flag(self, model: Model, fid: str) -> Any:
        return model.observation.flags.get(fid, z3.BoolVal(False))

    def differs(self) -> Any:
        a, b = self.old.observation, self.new.observation
        return z3.Or(
            a.status != b.status,
            a.outcome != b.outcome,
            a.urgency != b.urgency,
            *(self.flag(self.old, f) != self.flag(self.new, f) for f in self.flag_ids),
        )

    def key(self, old: Behaviour, new: Behaviour) -> Key:
        if (old.status == BAD_ANSWERS) != (new.status == BAD_ANSWERS):
            # One version rejects the answers: whatever the other decides, that is the change
            # (otherwise every decision the other version can take becomes a region of its own).
            return (("rejected", "old" if old.status == BAD_ANSWERS else "new"), None, frozenset())
        decision = ((old.status, old.outcome), (new.status, new.outcome))
        return (
            decision if decision[0] != decision[1] else None,
            (old.urgency, new.urgency) if old.urgency != new.urgency else None,
            frozenset((f, f in old.flags, f in new.flags) for f in old.flags ^ new.flags),
        )

    def holds(self, key: Key) -> Any:
        """Exactly the cases that show this change (and no other)."""
        a, b = self.old.observation, self.new.observation
        ids = self.old.outcome_ids
        parts: list[Any] = []
        decision, urgency, flags = key
        if decision is not None and decision[0] == "rejected":
            rejecting, accepting = (a, b) if decision[1] == "old" else (b, a)
            return z3.And(rejecting.status == BAD_ANSWERS, accepting.status != BAD_ANSWERS)
        if decision is None:
            parts += [a.status == b.status, a.outcome == b.outcome]
        else:
            for obs, (status, outcome) in zip((a, b), decision, strict=True):
                parts += [obs.status == status, obs.outcome == (ids.index(outcome) if outcome else -1)]
        parts += (
            [a.urgency == b.urgency]
            if urgency is None
            else [a.urgency == urgency[0], b.urgency == urgency[1]]
        )
        changed = {f: (o, n) for f, o, n in flags}
        for f in self.flag_ids:
            fa, fb = self.flag(self.old, f), self.flag(self.new, f)
            if f in changed:
                o, n = changed[f]
                parts += [fa == z3.BoolVal(o), fb == z3.BoolVal(n)]
            else:
                parts.append(fa == fb)
        return z3.And(parts)


def diff_behaviour(
    old: m.Ruleset,
    new: m.Ruleset,
    operators: Mapping[str, Operator] | None = None,
    max_regions: int = MAX_REGIONS,
) -> BehaviourDiff:
    """Raises `Unsupported` when either version uses something the encoding cannot model."""
    pair = _Pair(old, new, operators)
    differs = pair.differs()
    found: list[tuple[Key, Cube, Behaviour, Behaviour]] = []
    complete = True
    while True:
        point = pair.prover.find("differs", differs)
        if point is None:
            break
        if len(found) >= max_regions:
            complete = False
            break
        bo, bn = behaviour(pair.old, point), behaviour(pair.new, point)
        key = pair.key(bo, bn)
        cube = pair.prover.grow(key, pair.holds(key), point)
        pair.prover.exclude("differs", differs, cube)
        found.append((key, cube, bo, bn))
    regions = _regions(pair, found)
    declared_old, declared_new = pair.space.declared(0), pair.space.declared(1)
    return BehaviourDiff(
        regions,
        pair.space.total(),
        complete,
        sorted(declared_old - declared_new),
        sorted(declared_new - declared_old),
    )


def _regions(pair: _Pair, found: list[tuple[Key, Cube, Behaviour, Behaviour]]) -> list[Region]:
    space = pair.space
    by_key: dict[Key, list[Cube]] = {}
    for key, cube, _, _ in found:
        by_key.setdefault(key, []).append(cube)
    out: list[Region] = []
    for key, cubes in by_key.items():
        earlier: list[Cube] = []
        for cube in sorted(_merge(space, cubes), key=lambda c: (len(c), describe(space, c))):
            case = pair.prover.example(cube)
            bo, bn = behaviour(pair.old, case), behaviour(pair.new, case)
            count = new_size(space, cube, earlier)
            earlier.append(cube)
            if count:
                out.append(
                    Region(
                        describe(space, cube),
                        _rejected_text(key) or change_text(bo, bn),
                        _changed(key),
                        bo,
                        bn,
                        answers(space, case),
                        count,
                        cube,
                    )
                )
    totals: dict[str, int] = {}
    for r in out:
        totals[r.change] = totals.get(r.change, 0) + r.count
    out.sort(key=lambda r: (-totals[r.change], r.change, -r.count, r.where))
    return out


def _merge(space: Space, cubes: list[Cube]) -> list[Cube]:
    """Union cubes that differ in one input only, and drop cubes inside others, until none do."""
    full = {a.name: frozenset(range(len(a.classes))) for a in space.all_axes}

    def norm(c: Cube) -> Cube:
        return {n: s for n, s in c.items() if s != full[n]}

    cubes = [norm(c) for c in cubes]
    merged = True
    while merged:
        merged = False
        for i in range(len(cubes)):
            for j in range(len(cubes)):
                if i == j:
                    continue
                a, b = cubes[i], cubes[j]
                names = set(a) | set(b)
                differ = [n for n in names if a.get(n, full[n]) != b.get(n, full[n])]
                inside = all(a.get(n, full[n]) <= b.get(n, full[n]) for n in names)
                if inside or len(differ) == 1:
                    if not inside:
                        n = differ[0]
                        cubes[j] = norm({**b, n: a.get(n, full[n]) | b.get(n, full[n])})
                    del cubes[i]
                    merged = True
                    break
            if merged:
                break
    return cubes


def _rejected_text(key: Key) -> str | None:
    decision = key[0]
    if decision is None or decision[0] != "rejected":
        return None
    return (
        "OLD rejects these answers, NEW accepts them"
        if decision[1] == "old"
        else "NEW rejects these answers, OLD accepts them"
    )


def _changed(key: Key) -> list[str]:
    decision, urgency, flags = key
    if decision is not None and decision[0] == "rejected":
        return ["answers"]
    return [
        name for name, part in (("decision", decision), ("urgency", urgency), ("red_flags", flags)) if part
    ]


def change_text(old: Behaviour, new: Behaviour) -> str:
    """`muscle_joint → nerve`; `urgency routine → review`; `red flags +x`: only what differs."""

    def decision(b: Behaviour) -> str:
        return b.outcome if b.status == OK and b.outcome else STATUS_NAMES[b.status]

    parts = []
    if (old.status, old.outcome) != (new.status, new.outcome):
        parts.append(f"{decision(old)} → {decision(new)}")
    if old.urgency != new.urgency:
        parts.append(f"urgency {LEVELS[old.urgency]} → {LEVELS[new.urgency]}")
    if old.flags != new.flags:
        marks = [f"+{f}" for f in sorted(new.flags - old.flags)] + [
            f"-{f}" for f in sorted(old.flags - new.flags)
        ]
        parts.append("red flags " + " ".join(marks))
    return "; ".join(parts)
