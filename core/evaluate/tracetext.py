"""Plain-text rendering of an `--explain` trace, shared by the text output format and `rules test`.

Each condition node prints with its three-valued value and the answer it read, indented under
its parent, so a reader sees which sub-condition decided a result (as OPA's `--var-values`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def score_text(value: Any) -> str:
    """A score as people read it: `2`, `1..3` for an interval, `undefined` for none."""
    if isinstance(value, dict):
        return f"{score_text(value['min'])}..{score_text(value['max'])}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "undefined" if value is None else str(value)


def truth_text(value: Any) -> str:
    return "unknown" if value is None else str(value).lower()


def _condition_lines(node: dict[str, Any], depth: int, indent: str) -> list[str]:
    actual = ""
    if "actual" in node:
        shown = (
            "no answer"
            if node["actual"] is None
            else score_text(node["actual"])
            if isinstance(node["actual"], (dict, int, float)) and not isinstance(node["actual"], bool)
            else truth_text(node["actual"])
        )
        actual = f"  (value: {shown})"
    out = [indent + "  " * depth + f"{truth_text(node['value']):>7}  {node['expr']}{actual}"]
    for child in node.get("children", ()):
        out.extend(_condition_lines(child, depth + 1, indent))
    return out


def trace_lines(trace: Sequence[Mapping[str, Any]], indent: str = "    ") -> list[str]:
    """One line per step and per condition node of a result record's `trace`."""
    out = []
    for step in trace:
        if step["step"] == "confidence":  # evidence that raises the chosen outcome's confidence
            head = f"confidence {step['outcome']} -> {step['confidence']}"
            out.append(f"{indent}{head}: {truth_text(step['value'])}")
            out.extend(_condition_lines(step["condition"], 1, indent))
        elif "condition" in step:
            out.append(f"{indent}{step['step']} {step['id']}: {truth_text(step['value'])}")
            out.extend(_condition_lines(step["condition"], 1, indent))
        elif step["step"] == "score":
            out.append(f"{indent}score {step['id']} = {score_text(step['value'])}")
            for c in step["contributions"]:
                out.append(
                    f"{indent}    {c['item']}: {truth_text(c['matched'])} -> {score_text(c['points'])}"
                )
        elif step["step"] == "decision":
            out.append(
                f"{indent}decision ({step['policy']}): {step['outcome']}"
                + (" (default)" if step["default"] else "")
            )
        else:
            out.append(indent + ", ".join(f"{k}={v}" for k, v in step.items()))
    return out
