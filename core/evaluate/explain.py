"""The `--explain` trace: every condition node with its value and the answer it read.

The trace follows the model's tree so it can say *why*, but it decides nothing itself: each
node's value is what that node's compiled closure (the very one the engine runs, see
`Compiler.condition`) returns for these answers. Only the wording (`describe`) lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rulewright.core.evaluate.compiler import Compiler, OperatorError
from rulewright.core.evaluate.logic import Truth
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
        out["value"] = _decided(node, env, compiler)
        out["children"] = [explain(c, env, compiler) for c in items]
        return out
    if not isinstance(node, m.Const):
        actual = env.get(node.name)
        out["actual"] = (
            score_to_json(actual)
            if isinstance(node, (m.Compare, m.Custom)) and node.kind == "score"
            else _plain(actual)
        )
    out["value"] = _decided(node, env, compiler)
    return out


def _decided(node: m.Condition, env: Mapping[str, Any], compiler: Compiler) -> Truth:
    """What the engine's closure for `node` decides; unknown where a plugin operator failed,
    as the engine reports a red flag it could not screen."""
    try:
        return compiler.condition(node)(env)
    except OperatorError:
        return None


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value
