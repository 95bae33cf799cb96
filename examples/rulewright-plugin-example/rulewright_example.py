"""An example rulewright plugin: one output format and one escalation rule.

- `--format triage-line`: one tab-separated line per case — case, urgency, outcome, red flag
  ids — for a ward whiteboard or a pager gateway.
- Escalation `severe_pain_review`: severe pain asks for at least a clinical review. It only acts
  on rulesets that ask `pain_severe`, and a missing answer never triggers it.

The escalation is illustrative, not clinical advice: it shows the mechanics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from rulewright.core import Engine, Escalation, FormatOptions, RegisterFormat, Result, Ruleset, hookimpl


class TriageLineWriter:
    """`case<TAB>urgency<TAB>outcome<TAB>flag,flag` per result; `-` for none."""

    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream

    def write(self, result: Result) -> None:
        case = result.id if result.id is not None else f"line {result.line}" if result.line else "case"
        outcome = result.outcome.id if result.outcome else result.status
        flags = ",".join(flag.id for flag in result.red_flags) or "-"
        cells = [str(case), result.urgency, outcome, flags]
        self.stream.write("\t".join(" ".join(c.split()) for c in cells) + "\n")

    def close(self) -> None:
        pass


@hookimpl
def rulewright_register_formats(register: RegisterFormat) -> None:
    register("triage-line", TriageLineWriter)


@hookimpl
def rulewright_escalate(
    engine: Engine, ruleset: Ruleset, facts: Mapping[str, Any], result: Result
) -> list[Escalation] | None:
    if ruleset.input("pain_severe") is None or facts.get("pain_severe") is not True:
        return None
    return [Escalation("severe_pain_review", "review", "Severe leg pain: arrange a clinical review.")]
