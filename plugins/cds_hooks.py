"""`--format cds-hooks`: each result as a CDS Hooks service response (`{"cards": [...]}`), one per line.

Cards, most urgent first: one per red flag (summary = the flag's message, detail = its action),
one per red flag that could not be screened because an answer is missing, and one for the
outcome (or for the undetermined/error state) whose suggestions are the recommendations.
`indicator` comes from urgency (`INDICATOR`); `source.label` names the ruleset and version.
Shape per the CDS Hooks 2.0 specification, "CDS Service Response" / "Card Attributes".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from rulewright.core import LEVEL_RANK, FormatOptions, Result, hookimpl, score_text
from rulewright.plugins.interop import case_label, ruleset_system, stable_uuid, write_json_line

INDICATOR = {"emergency": "critical", "urgent": "critical", "review": "warning", "routine": "info"}
"""Urgency -> card indicator. `urgent` is critical too: it asks for action today, not later."""

SUMMARY_MAX = 139  # the specification: `summary` is under 140 characters


class CdsHooksWriter:
    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream

    def write(self, result: Result) -> None:
        write_json_line(self.stream, response(result))

    def close(self) -> None:
        pass


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


def response(result: Result) -> dict[str, Any]:
    rec = result.to_record()
    source = {"label": f"rulewright {rec['ruleset']['id']} {rec['ruleset']['version']}"}
    cards: list[dict[str, Any]] = []
    flags = sorted(rec["red_flags"], key=lambda f: -LEVEL_RANK[f["level"]])
    for flag in flags:
        detail = f"**{flag['level'].capitalize()}** red flag `{flag['id']}`: {flag['message']}"
        if flag["action"]:
            detail += f"\n\n{flag['action']}"
        cards.append(
            {
                "uuid": stable_uuid(result, "card", "red-flag", flag["id"]),
                "summary": _summary(flag["message"]),
                "detail": detail,
                "indicator": INDICATOR[flag["level"]],
                "source": {
                    **source,
                    "topic": {"system": ruleset_system(result, "red-flag"), "code": flag["id"]},
                },
            }
        )
    for flag_id in rec["not_screened"]:
        cards.append(
            {
                "uuid": stable_uuid(result, "card", "not-screened", flag_id),
                "summary": _summary(f"Red flag {flag_id} not screened: an answer is missing"),
                "detail": f"Red flag `{flag_id}` could not be screened because an answer it needs is missing. "
                "Ask the question before relying on this result.",
                "indicator": "warning",
                "source": source,
            }
        )
    cards.append(_outcome_card(result, rec, source))
    return {"cards": cards}


def _outcome_card(result: Result, rec: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    who = case_label(result)
    if rec["outcome"]:
        confidence = rec["outcome"]["confidence"]
        summary = rec["outcome"]["label"] + (f" ({confidence} confidence)" if confidence else "")
    elif rec["status"] == "undetermined":
        summary = "Undetermined: more answers needed"
    else:
        summary = "Could not evaluate this case"
    lines = [f"Case {who}: urgency **{rec['urgency']}**."]
    if rec["missing"]:
        lines.append("Would be decided by: " + ", ".join(f"`{m}`" for m in rec["missing"]) + ".")
    if rec["error"]:
        lines.append(f"Error `{rec['error']['code']}`: {rec['error']['message']}")
    if rec["scores"]:
        lines.append("Scores: " + ", ".join(f"{k} = {score_text(v)}" for k, v in rec["scores"].items()) + ".")
    card: dict[str, Any] = {
        "uuid": stable_uuid(result, "card", "outcome"),
        "summary": _summary(summary),
        "detail": "\n\n".join(lines),
        "indicator": INDICATOR[rec["urgency"]] if rec["status"] != "error" else "warning",
        "source": source,
    }
    if rec["recommendations"]:
        card["suggestions"] = [
            {"label": text, "uuid": stable_uuid(result, "suggestion", str(i))}
            for i, text in enumerate(rec["recommendations"])
        ]
        card["selectionBehavior"] = "any"
    return card


@hookimpl
def rulewright_register_formats(register: Callable[[str, Any], None]) -> None:
    register("cds-hooks", CdsHooksWriter)
