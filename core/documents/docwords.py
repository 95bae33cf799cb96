"""Conditions and answers in words a clinician reads, for `rules docs`.

`explain.describe` gives the compact symbolic form used in traces (`a ∧ b`); here the same
model is spelt out: "`pain_below_knee` is yes and score `neural_tests` ≥ 1".
"""

from __future__ import annotations

from typing import Any

from rulewright.core.model import ruleset as m

_SYMBOL = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def value_text(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, (list, tuple, frozenset, set)):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"`{value}`" if isinstance(value, str) else str(value)


def condition_text(node: m.Condition | None) -> str:
    if node is None:
        return "otherwise"
    if isinstance(node, m.Const):
        return "always" if node.value else "never"
    if isinstance(node, m.Answered):
        return f"`{node.name}` is answered"
    if isinstance(node, m.Not):
        inner = node.item
        if isinstance(inner, m.Answered):
            return f"`{inner.name}` is not answered"
        return f"not ({condition_text(inner)})"
    if isinstance(node, (m.All, m.AnyOf)):
        joiner = " and " if isinstance(node, m.All) else " or "
        return joiner.join(_nested(c) for c in node.items)
    if isinstance(node, m.AtLeast):
        return f"at least {node.count} of: " + "; ".join(condition_text(c) for c in node.items)
    if isinstance(node, m.Custom):
        return f"{_subject(node)} {node.op} {value_text(node.value)}"
    return _compare(node)


def _nested(node: m.Condition) -> str:
    text = condition_text(node)
    return f"({text})" if isinstance(node, (m.All, m.AnyOf, m.AtLeast)) else text


def _subject(node: m.Compare | m.Custom) -> str:
    return f"score `{node.name}`" if node.kind == "score" else f"`{node.name}`"


def _compare(node: m.Compare) -> str:
    subject = _subject(node)
    op, value = node.op, node.value
    if isinstance(value, bool) and op in ("eq", "ne"):
        return f"{subject} is {'' if op == 'eq' else 'not '}{value_text(value)}"
    if op in _SYMBOL:
        return f"{subject} {_SYMBOL[op]} {value_text(value)}"
    if op == "in":
        return f"{subject} is one of {value_text(value)}"
    if op == "not_in":
        return f"{subject} is none of {value_text(value)}"
    if op == "between":
        lo, hi = value
        if lo is None:
            return f"{subject} ≤ {value_text(hi)}"
        if hi is None:
            return f"{subject} ≥ {value_text(lo)}"
        return f"{value_text(lo)} ≤ {subject} ≤ {value_text(hi)}"
    if op == "contains":
        return f"{subject} includes {value_text(value)}"
    if op == "band":
        return f"{subject} is in band {value_text(value)}"
    return f"{subject} {op} {value_text(value)}"


def answers_text(decl: m.Input) -> str:
    """The allowed answers of a question."""
    if decl.type == "boolean":
        return "yes / no"
    if decl.type in ("enum", "set"):
        shown = [f"`{v}` {decl.labels[v]}" if v in decl.labels else f"`{v}`" for v in decl.values]
        return ("one of: " if decl.type == "enum" else "any of: ") + "; ".join(shown)
    lo = "" if decl.minimum is None else value_text(float(decl.minimum))
    hi = "" if decl.maximum is None else value_text(float(decl.maximum))
    kind = "whole number" if decl.type == "integer" else "number"
    unit = f" ({decl.unit})" if decl.unit else ""
    return f"{kind} {lo}–{hi}{unit}" if lo or hi else f"{kind}{unit}"


def missing_text(decl: m.Input) -> str:
    if decl.missing == "error":
        return "an answer is required"
    if decl.missing == "assume":
        return f"if unanswered, taken as {value_text(decl.assume)}"
    return "unknown"
