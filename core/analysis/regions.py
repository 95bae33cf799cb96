"""Regions of the input space: cubes of answer classes, grown from one solver model.

A `Cube` maps some inputs to the answer classes they may take; inputs it does not name are
free. From one case where a property holds, `Prover.grow` finds a cube around it on which the
property holds *everywhere*: it drops every input the property does not depend on (an unsat
core, then one check per input) and widens each remaining input to every class that keeps the
property. The result reads as a short conjunction and counts exactly (a product of sizes).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import z3  # type: ignore[import-untyped]

from rulewright.core.analysis.partition import Space
from rulewright.core.analysis.scores import count, link
from rulewright.core.analysis.symbolic import class_vars, domain_constraints

Cube = dict[str, frozenset[int]]


class Prover:
    """One incremental solver over a space, for `find`, `proves` and `grow`."""

    def __init__(self, space: Space, vars: Mapping[str, Any] | None = None) -> None:
        self.space = space
        self.vars = dict(vars) if vars is not None else class_vars(space)
        self.solver = z3.Solver()
        self.solver.add(*domain_constraints(space, self.vars))
        for sa in space.score_axes:
            var = self.vars[sa.axis.name] = z3.Int(f"score_{sa.axis.name}")
            self.solver.add(var >= 0, var < len(sa.axis.classes))
        self.sel: dict[tuple[str, int], Any] = {}
        for axis in space.all_axes:
            for k in range(len(axis.classes)):
                b = z3.Bool(f"is_{axis.name}_{k}")
                self.sel[axis.name, k] = b
                self.solver.add(b == (self.vars[axis.name] == k))
        self._guards: dict[Hashable, Any] = {}

    def tie(self, model: Any) -> None:
        """Tie each score axis to one version's score formulas (see scores.py)."""
        for sa in self.space.score_axes:
            self.solver.add(*link(sa, self.vars[sa.axis.name], *model.scores[sa.score_id]))

    def _rank(self, name: str) -> tuple[int, str]:
        """Order of dropping literals: answers a score axis covers, then score axes, then the rest."""
        covered = {n for sa in self.space.score_axes for n in sa.inputs}
        derived = {sa.axis.name for sa in self.space.score_axes}
        return (0 if name in covered else 1 if name in derived else 2, name)

    def _guard(self, key: Hashable, prop: Any, negate: bool) -> Any:
        full = (key, negate)
        if full not in self._guards:
            g = z3.Bool(f"guard_{len(self._guards)}")
            self.solver.add(z3.Implies(g, z3.Not(prop) if negate else prop))
            self._guards[full] = g
        return self._guards[full]

    def _core(self, guard: Any, cube: Cube) -> set[str] | None:
        """The inputs a proof that `cube` keeps the property needed, or None if it does not."""
        owner: dict[Any, str] = {}
        for name, allowed in cube.items():
            for lit in self._excluding({name: allowed}):
                owner[lit] = name
        if self.solver.check(guard, *owner) != z3.unsat:
            return None
        return {owner[c] for c in self.solver.unsat_core() if c in owner}

    def _excluding(self, cube: Cube) -> list[Any]:
        lits = []
        for name, allowed in cube.items():
            n = len(self.space.by_name[name].classes)
            if len(allowed) == 1:
                lits.append(self.sel[name, next(iter(allowed))])
            else:
                lits += [z3.Not(self.sel[name, k]) for k in range(n) if k not in allowed]
        return lits

    def find(self, key: Hashable, prop: Any, within: Cube | None = None) -> dict[str, int] | None:
        """A case (class index per input) where `prop` holds, or None if there is none."""
        g = self._guard(key, prop, negate=False)
        if self.solver.check(g, *self._excluding(within or {})) != z3.sat:
            return None
        model = self.solver.model()
        return {
            a.name: model.eval(self.vars[a.name], model_completion=True).as_long() for a in self.space.axes
        }

    def grow(self, key: Hashable, prop: Any, point: Mapping[str, int]) -> Cube:
        """The largest cube found around `point` on which `prop` holds everywhere."""
        g = self._guard(key, prop, negate=True)
        point = dict(point)
        if self.space.score_axes:
            point.update(self._score_values(point))
        lits = {self.sel[name, k]: name for name, k in point.items()}
        covered = {n for sa in self.space.score_axes for n in sa.inputs}
        # Prefer a core that speaks of scores rather than of their items' answers.
        preferred = [c for c, n in lits.items() if n not in covered]
        if self.solver.check(g, *preferred) == z3.unsat or self.solver.check(g, *lits) == z3.unsat:
            core = self.solver.unsat_core()
        else:
            return {name: frozenset({k}) for name, k in point.items() if name in self.space.by_name}
        needed = [lits[c] for c in core if c in lits]
        cube: Cube = {name: frozenset({point[name]}) for name in needed}
        for name in sorted(needed, key=self._rank):
            if name not in cube:
                continue
            trial = {n: s for n, s in cube.items() if n != name}
            kept = self._core(g, trial)
            if kept is not None:  # still holds: keep only what this proof used
                cube = {n: s for n, s in trial.items() if n in kept}
        for name in sorted(cube):
            cube[name] = self._widen(g, cube, name)
        return {n: s for n, s in cube.items() if len(s) < len(self.space.by_name[n].classes)}

    def _widen(self, guard: Any, cube: Cube, name: str) -> frozenset[int]:
        """Classes of `name` that keep the property, given the rest of the cube.

        A cube holds iff each of its cases does, so start from every class and drop the class
        of each counterexample: one check per failing class, plus one. On a score axis the
        whole group of values every comparison treats alike is dropped with it (it almost
        always fails as a whole; dropping too much only makes the region smaller, never wrong).
        """
        rest = self._excluding({n: s for n, s in cube.items() if n != name})
        n = len(self.space.by_name[name].classes)
        groups = next((sa.groups for sa in self.space.score_axes if sa.axis.name == name), None)
        group_of = {k: g for g in groups for k in g} if groups else {k: [k] for k in range(n)}
        candidates = set(range(n))
        while True:
            out = [z3.Not(self.sel[name, k]) for k in range(n) if k not in candidates]
            if self.solver.check(guard, *rest, *out) != z3.sat:
                return frozenset(candidates | cube[name])
            bad = self.solver.model().eval(self.vars[name], model_completion=True).as_long()
            candidates -= set(group_of[bad]) - set(cube[name]) or {bad}

    def _score_values(self, point: Mapping[str, int]) -> dict[str, int]:
        """The score-axis classes a case falls in."""
        if self.solver.check(*(self.sel[n, k] for n, k in point.items() if (n, k) in self.sel)) != z3.sat:
            return {}
        model = self.solver.model()
        return {
            sa.axis.name: model.eval(self.vars[sa.axis.name], model_completion=True).as_long()
            for sa in self.space.score_axes
        }

    def example(self, cube: Cube) -> dict[str, int]:
        """One case in the cube, with as many answers missing as the cube allows."""
        derived = {sa.axis.name for sa in self.space.score_axes}
        if not derived & set(cube):
            return example(self.space, cube)
        fixed = self._excluding(cube)
        prefer = {self.sel[a.name, 0]: a.name for a in self.space.axes if a.name not in cube}
        while self.solver.check(*fixed, *prefer) != z3.sat:
            core = [c for c in self.solver.unsat_core() if c in prefer]
            if not core:
                prefer = {}
                continue
            for c in core:
                del prefer[c]
        model = self.solver.model()
        return {
            a.name: model.eval(self.vars[a.name], model_completion=True).as_long() for a in self.space.axes
        }

    def exclude(self, key: Hashable, prop: Any, cube: Cube) -> None:
        """Leave `cube` out of later `find(key, ...)` calls (and only those)."""
        self.solver.add(z3.Implies(self._guard(key, prop, negate=False), z3.Not(in_cube(self.vars, cube))))


def in_cube(vars: Mapping[str, Any], cube: Cube) -> Any:
    return z3.And([z3.Or([vars[name] == k for k in sorted(allowed)]) for name, allowed in cube.items()])


def size(space: Space, cube: Cube) -> int:
    if space.score_axes:
        return count(space, space.score_axes, cube)
    return math.prod(len(cube[a.name]) if a.name in cube else len(a.classes) for a in space.axes)


def subtract(space: Space, cube: Cube, other: Cube) -> list[Cube]:
    """`cube` minus `other`, as disjoint cubes."""
    full = {a.name: frozenset(range(len(a.classes))) for a in space.all_axes}
    names = set(cube) | set(other)
    if any(not (cube.get(n, full[n]) & other.get(n, full[n])) for n in names):
        return [cube]
    out: list[Cube] = []
    rest = dict(cube)
    for name in sorted(other):
        mine = rest.get(name, full[name])
        outside = mine - other[name]
        if outside:
            out.append({**rest, name: outside})
        rest[name] = mine & other[name]
    return out


def new_size(space: Space, cube: Cube, earlier: Iterable[Cube]) -> int:
    """How many combinations of `cube` no earlier cube already covers."""
    pieces = [cube]
    for e in earlier:
        pieces = [p for piece in pieces for p in subtract(space, piece, e)]
    return sum(size(space, p) for p in pieces)


def example(space: Space, cube: Cube) -> dict[str, int]:
    """One case in the cube: its first answered class per named input; free inputs missing."""
    out = {}
    for name, allowed in cube.items():
        answered = sorted(k for k in allowed if k)
        if answered:
            out[name] = answered[0]
    return out


def answers(space: Space, case: Mapping[str, int]) -> dict[str, Any]:
    """A case as an answers object (missing answers left out)."""
    return {a.name: a.classes[case[a.name]].json for a in space.axes if case.get(a.name)}


def describe(space: Space, cube: Cube) -> str:
    """`a=x ∧ b∈{y,z}`: the conditions that define a cube (`true` for the whole space)."""
    parts = []
    for axis in space.all_axes:
        allowed = cube.get(axis.name)
        if allowed is None:
            continue
        labels = [axis.classes[k].label for k in sorted(allowed)]
        others = [axis.classes[k].label for k in range(len(axis.classes)) if k not in allowed]
        if len(labels) == 1:
            parts.append(f"{axis.name}={labels[0]}")
        elif others == ["(missing)"]:
            parts.append(f"{axis.name} answered")
        elif len(others) + 2 <= len(labels):
            parts.append(f"{axis.name}∉{{{','.join(others)}}}")
        else:
            parts.append(f"{axis.name}∈{{{','.join(labels)}}}")
    return " ∧ ".join(parts) or "every case"
