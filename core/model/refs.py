"""What a condition or expression reads: used by checks, the engine's `missing` list and analysis."""

from __future__ import annotations

from collections.abc import Iterator

from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import JsonPath

Node = m.Condition | m.Expr


def iter_refs(node: Node | None) -> Iterator[tuple[str, str, JsonPath]]:
    """Yield (kind, name, path) for every fact or score a node reads."""
    if node is None:
        return
    if isinstance(node, (m.All, m.AnyOf, m.AtLeast)):
        for item in node.items:
            yield from iter_refs(item)
    elif isinstance(node, m.Not):
        yield from iter_refs(node.item)
    elif isinstance(node, (m.Compare, m.Custom)):
        yield node.kind, node.name, node.path
    elif isinstance(node, m.Answered):
        yield "fact", node.name, node.path
    elif isinstance(node, m.Ref):
        yield node.kind, node.name, node.path
    elif isinstance(node, m.CountAnswered):
        for name in node.names:
            yield "fact", name, node.path
    elif isinstance(node, m.Arith):
        for arg in node.args:
            yield from iter_refs(arg)
    elif isinstance(node, m.Round):
        yield from iter_refs(node.arg)


def score_refs(score: m.Score) -> Iterator[tuple[str, str, JsonPath]]:
    for item in score.items:
        yield from iter_refs(item.when)
        yield from iter_refs(item.value)
    yield from iter_refs(score.compute)


def score_order(ruleset: m.Ruleset) -> list[m.Score]:
    """Scores in dependency order (a derived score after the scores it reads).

    Raises ValueError naming the cycle when scores read each other in a loop.
    """
    by_id = {s.id: s for s in ruleset.scores}
    done: dict[str, bool] = {}  # False while visiting, True when placed
    order: list[m.Score] = []

    def visit(score: m.Score, chain: tuple[str, ...]) -> None:
        state = done.get(score.id)
        if state is True:
            return
        if state is False:
            raise ValueError(" -> ".join((*chain, score.id)))
        done[score.id] = False
        for kind, name, _ in score_refs(score):
            if kind == "score" and name in by_id:
                visit(by_id[name], (*chain, score.id))
        done[score.id] = True
        order.append(score)

    for s in ruleset.scores:
        visit(s, ())
    return order


def fact_deps(node: Node | None, ruleset: m.Ruleset, _seen: frozenset[str] = frozenset()) -> set[str]:
    """Every fact a node reads, directly or through the scores it reads."""
    facts: set[str] = set()
    for kind, name, _ in iter_refs(node):
        if kind == "fact":
            facts.add(name)
        elif name not in _seen:
            score = ruleset.score(name)
            if score is not None:
                for skind, sname, _p in score_refs(score):
                    if skind == "fact":
                        facts.add(sname)
                    elif sname not in _seen:
                        facts |= fact_deps(m.Ref("score", sname), ruleset, _seen | {name})
    return facts


def reads_value(node: Node | None, name: str) -> bool:
    """True if expression `node` does arithmetic with fact `name` (not just counts it as answered)."""
    if isinstance(node, m.Ref):
        return node.kind == "fact" and node.name == name
    if isinstance(node, m.Arith):
        return any(reads_value(a, name) for a in node.args)
    if isinstance(node, m.Round):
        return reads_value(node.arg, name)
    return False
