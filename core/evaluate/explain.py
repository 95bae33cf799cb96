"""The `--explain` trace: every condition node with its value and the answer it read.

This walks the model rather than the compiled closures so it can say *why*; it shares the
operator semantics (`fact_op`, `compare_interval`, Kleene tables) with the compiler, and a
property test checks that both always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rulewright.core.evaluate.compiler import Compiler, fact_op
from rulewright.core.evaluate.logic import and3, at_least3, compare_interval, not3, or3
from rulewright.core.evaluate.result import score_to_json
from rulewright.core.model import ruleset as m

_SYMBOL = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in"}


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple, frozenset)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if value is True or value is False:
        return str(value).lower()
    return str(value)


def describe(node: m.Condition) -> str:
    """A compact, readable form of a condition, e.g. `pain_pattern = follows_path`."""
    if isinstance(node, m.Compare):
        if node.op == "between":
            lo, hi = node.value
            return f"{_show(lo)} ≤ {node.name} ≤ {_show(hi)}"
        if node.op == "contains":
            return f"{_show(node.value)} ∈ {node.name}"
        if node.op == "band":
            return f"{node.name} in band {node.value}"
        return f"{node.name} {_SYMBOL[node.op]} {_show(node.value)}"
    if isinstance(node, m.Custom):
        return f"{node.name} {node.op} {_show(node.value)}"
    if isinstance(node, m.Answered):
        return f"{node.name} answered"
    if isinstance(node, m.All):
        return " ∧ ".join(f"({describe(c)})" if _compound(c) else describe(c) for c in node.items)
    if isinstance(node, m.AnyOf):
        return " ∨ ".join(f"({describe(c)})" if _compound(c) else describe(c) for c in node.items)
    if isinstance(node, m.Not):
        return f"¬({describe(node.item)})"
    if isinstance(node, m.AtLeast):
        return f"at least {node.count} of [" + "; ".join(describe(c) for c in node.items) + "]"
    if isinstance(node, m.Const):
        return "always" if node.value else "never"
    return repr(node)


def _compound(node: m.Condition) -> bool:
    return isinstance(node, (m.All, m.AnyOf, m.AtLeast))


def explain(node: m.Condition, env: Mapping[str, Any], compiler: Compiler) -> dict[str, Any]:
    """Evaluate `node` over `env`, returning a tree of `{expr, value, children | actual}`."""
    out: dict[str, Any] = {"expr": describe(node)}
    if isinstance(node, (m.All, m.AnyOf, m.AtLeast, m.Not)):
        items = (node.item,) if isinstance(node, m.Not) else node.items
        children = [explain(c, env, compiler) for c in items]
        values = [c["value"] for c in children]
        if isinstance(node, m.All):
            value = and3(values)
        elif isinstance(node, m.AnyOf):
            value = or3(values)
        elif isinstance(node, m.Not):
            value = not3(values[0])
        else:
            value = at_least3(node.count, values)
        out["value"] = value
        out["children"] = children
        return out
    if isinstance(node, m.Const):
        out["value"] = node.value
        return out
    actual = env.get(node.name)
    out["actual"] = (
        score_to_json(actual)
        if isinstance(node, (m.Compare, m.Custom)) and node.kind == "score"
        else _plain(actual)
    )
    if isinstance(node, m.Answered):
        out["value"] = actual is not None
    elif isinstance(node, m.Custom):
        blocked = actual is None or (node.kind == "score" and type(actual) is tuple)
        try:  # read as the engine reads it, which names the plugin when this fails
            value = None if blocked else compiler.operators[node.op](actual, node.value)
        except Exception:
            value = None
        out["value"] = value if value is True or value is False else None
    elif node.kind == "score":
        op, arg = node.op, node.value
        if op == "band":
            band = compiler.band(node.name, node.value)
            op, arg = "between", (band.minimum, band.maximum)
        out["value"] = compare_interval(op, actual, arg)
    else:
        out["value"] = None if actual is None else fact_op(node.op, node.value)(actual)
    return out


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value
