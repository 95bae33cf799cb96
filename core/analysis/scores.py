"""Score axes: describe and count regions by a score's value instead of by its items' answers.

"Exactly 3 of these 5 items" written over answers is a disjunction of 10 cubes (more with
missing answers), and a chain of such scores multiplies them. So a score with many items
becomes an axis of its own: its classes are the (low, high) values it can take, a solver
variable is tied to its formulas, and a region can say `s0=3`. Counting such a region is a
small dynamic programme over the score's items (items that share an answer are taken
together), restricted by whatever the region says about those answers.

A score qualifies when it is a plain weighted sum of conditions over answers, has at least
`MIN_ITEMS` items, and shares no answer with another score; its definition and its answers'
declarations must be the same in every version compared (then one axis serves all of them).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3  # type: ignore[import-untyped]

from rulewright.core.analysis.partition import AnswerClass, Axis, Space
from rulewright.core.analysis.space import conditions, leaves
from rulewright.core.analysis.symbolic import real
from rulewright.core.evaluate.compiler import Compiler, Operator, score_test
from rulewright.core.evaluate.logic import compare_interval, tidy
from rulewright.core.model import ruleset as m
from rulewright.core.model.refs import iter_refs

MIN_ITEMS = 4
MAX_BLOCK = 10_000  # joint answer classes of items that share answers, enumerated per block

Pair = tuple[float, float]


@dataclass
class ScoreAxis:
    axis: Axis
    score_id: str
    inputs: list[str]
    blocks: list[tuple[list[str], list[tuple[Any, float, bool]]]]  # (inputs, [(cond fn, weight, ignore)])
    pairs: list[Pair]
    groups: list[list[int]]  # pair indices every comparison in the rulesets treats alike


def use_score_axes(space: Space, operators: Mapping[str, Operator] | None = None) -> None:
    """Give `space` its score axes, so regions may name a score's value."""
    space.score_axes = score_axes(space, operators)
    space.by_name.update({sa.axis.name: sa.axis for sa in space.score_axes})


def score_axes(space: Space, operators: Mapping[str, Operator] | None = None) -> list[ScoreAxis]:
    """The score axes for the rulesets of `space` (shared by all its versions)."""
    first = space.rulesets[0]
    readers: dict[str, int] = {}
    for rs in space.rulesets:
        for s in rs.scores:
            for name in {n for i in s.items for k, n, _ in iter_refs(i.when) if k == "fact"}:
                readers[name] = readers.get(name, 0) + 1
    out = []
    for score in first.scores:
        same = [rs.score(score.id) for rs in space.rulesets]
        if not _eligible(score) or any(
            s is None or _data(rs, s.id) != _data(first, score.id)
            for rs, s in zip(space.rulesets, same, strict=True)
        ):
            continue
        names = sorted({n for i in score.items for k, n, _ in iter_refs(i.when) if k == "fact"})
        if any(readers[n] != len(space.rulesets) for n in names):
            continue  # another score reads one of its answers: counts would not be independent
        if any(_input_data(rs, n) != _input_data(first, n) for rs in space.rulesets for n in names):
            continue
        blocks = _blocks(space, first, score, operators)
        if blocks is None:
            continue
        pairs = sorted(_distribution(space, first, blocks, {}))
        labels = [AnswerClass(p, _label(p)) for p in pairs]
        axis = Axis(f"{score.id}", labels, [frozenset(range(len(labels)))] * len(space.rulesets))
        out.append(ScoreAxis(axis, score.id, names, blocks, pairs, _groups(space.rulesets, score.id, pairs)))
    return out


def _groups(rulesets: Sequence[m.Ruleset], sid: str, pairs: list[Pair]) -> list[list[int]]:
    tests: list[tuple[str, Any]] = []
    for rs in rulesets:
        for leaf in (x for node in conditions(rs) for x in leaves(node)):
            if isinstance(leaf, m.Compare) and leaf.kind == "score" and leaf.name == sid:
                tests.append(score_test(rs, leaf))
    by_key: dict[tuple[Any, ...], list[int]] = {}
    for j, p in enumerate(pairs):
        key = tuple(compare_interval(op, p if p[0] != p[1] else p[0], arg) for op, arg in tests)
        by_key.setdefault(key, []).append(j)
    return list(by_key.values())


def _eligible(score: m.Score) -> bool:
    return (
        score.compute is None
        and len(score.items) >= MIN_ITEMS
        and all(i.when is not None and all(k == "fact" for k, _, _ in iter_refs(i.when)) for i in score.items)
    )


def _data(rs: m.Ruleset, sid: str) -> Any:
    return next((s for s in rs.data.get("scores", []) if s.get("id") == sid), None)


def _input_data(rs: m.Ruleset, name: str) -> Any:
    return next((i for i in rs.data.get("inputs", []) if i.get("id") == name), None)


def _blocks(
    space: Space, rs: m.Ruleset, score: m.Score, operators: Mapping[str, Operator] | None
) -> list[tuple[list[str], list[tuple[Any, float, bool]]]] | None:
    compiler = Compiler(rs, operators)
    items = [
        ({n for k, n, _ in iter_refs(i.when) if k == "fact"}, compiler.condition(i.when), i.weight)
        for i in score.items
        if i.when is not None  # every item has one: _eligible checked
    ]
    ignore = score.missing == "ignore"
    groups: list[tuple[set[str], list[tuple[Any, float, bool]]]] = []
    for used, fn, weight in items:
        joined = [g for g in groups if g[0] & used]
        merged = (
            used.union(*(g[0] for g in joined)),
            [x for g in joined for x in g[1]] + [(fn, weight, ignore)],
        )
        groups = [g for g in groups if g not in joined] + [merged]
    out = []
    for block, fns in groups:
        if math.prod(len(space.by_name[n].classes) for n in block) > MAX_BLOCK:
            return None
        out.append((sorted(block), fns))
    return out


def _label(p: Pair) -> str:
    return str(tidy(p[0])) if p[0] == p[1] else f"{tidy(p[0])}~{tidy(p[1])}"


def _effective(space: Space, rs: m.Ruleset, name: str, k: int) -> Any:
    axis = space.by_name[name]
    index = space.rulesets.index(rs)
    if k not in axis.valid[index]:
        k = 0
    decl = rs.input(name)
    if k == 0 and decl is not None and decl.missing == "assume":
        return decl.assume
    return axis.classes[k].value


def _distribution(
    space: Space,
    rs: m.Ruleset,
    blocks: Sequence[tuple[list[str], list[tuple[Any, float, bool]]]],
    allowed: Mapping[str, frozenset[int]],
) -> dict[Pair, int]:
    """How many answer combinations of the score's inputs give each (low, high) value."""
    dist: dict[Pair, int] = {(0.0, 0.0): 1}
    for names, fns in blocks:
        local: dict[Pair, int] = {}
        choices = [sorted(allowed.get(n, range(len(space.by_name[n].classes)))) for n in names]
        for combo in itertools.product(*choices):
            env = {}
            for n, k in zip(names, combo, strict=True):
                v = _effective(space, rs, n, k)
                if v is not None:
                    env[n] = v
            lo = hi = 0.0
            for fn, w, ignore in fns:
                t = fn(env)
                if t is True:
                    lo, hi = lo + w, hi + w
                elif t is None and not ignore:
                    lo, hi = lo + min(0.0, w), hi + max(0.0, w)
            local[(lo, hi)] = local.get((lo, hi), 0) + 1
        merged: dict[Pair, int] = {}
        for (a, b), x in dist.items():
            for (c, d), y in local.items():
                key = (a + c, b + d)
                merged[key] = merged.get(key, 0) + x * y
        dist = merged
    return dist


def link(axis: ScoreAxis, var: Any, lo: Any, hi: Any) -> list[Any]:
    """Tie the axis variable to one version's (low, high) formulas."""
    return [(var == j) == z3.And(lo == real(p[0]), hi == real(p[1])) for j, p in enumerate(axis.pairs)]


def count(space: Space, axes: Sequence[ScoreAxis], cube: Mapping[str, frozenset[int]]) -> int:
    """Answer combinations in a cube that may name score axes as well as inputs."""
    covered: set[str] = set()
    total = 1
    for sa in axes:
        covered |= set(sa.inputs)
        dist = _distribution(
            space, space.rulesets[0], sa.blocks, {n: cube[n] for n in sa.inputs if n in cube}
        )
        allowed = cube.get(sa.axis.name)
        total *= sum(c for p, c in dist.items() if allowed is None or sa.pairs.index(p) in allowed)
    for a in space.axes:
        if a.name not in covered:
            total *= len(cube[a.name]) if a.name in cube else len(a.classes)
    return total
