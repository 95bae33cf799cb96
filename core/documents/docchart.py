"""The decision as a Mermaid flowchart (GitHub renders it): red-flag screen, scores, outcomes.

Every label is quoted and stripped of the characters Mermaid gives a meaning inside quotes, so
wording from a ruleset can never break the chart. Node ids are generated (`o1`, `o2`, ...),
never taken from the ruleset.
"""

from __future__ import annotations

from collections.abc import Callable

from rulewright.core.documents.docwords import condition_text
from rulewright.core.model import ruleset as m

Emit = Callable[[str], None]

_TIERS = (("emergency", "Emergency"), ("urgent", "Urgent"), ("review", "Review"))


def label(text: str) -> str:
    """A quoted Mermaid label: no backticks, quotes and angle brackets as Mermaid's entity codes
    (so no renderer, however loosely configured, reads HTML in it), one line."""
    clean = text.replace("`", "").replace('"', "#quot;").replace("<", "#60;").replace(">", "#62;")
    clean = " ".join(clean.split())
    return f'"{clean}"'


def outcome_text(outcome: m.Outcome) -> str:
    confidence = outcome.confidence or "no stated"
    raised = sorted({r.confidence for r in outcome.confidence_when})
    if raised:
        confidence += " (raised to " + " or ".join(raised) + " by evidence)"
    return f"{outcome.label} — confidence {confidence}"


def flowchart(ruleset: m.Ruleset) -> str:
    lines = ["flowchart TD", f"  case([{label('Answers for one case')}])"]
    add = lines.append
    add(f"  result([{label('Result: outcome, highest urgency, red flags, scores')}])")
    previous = "case"
    if ruleset.red_flags:
        add(f"  screen[{label(f'1. Red-flag screen, before anything else: {len(ruleset.red_flags)} flags')}]")
        add("  case --> screen")
        for level, name in _TIERS:
            flags = [f.id for f in ruleset.red_flags if f.level == level]
            if flags:
                add(f"  {level}[[{label(f'Urgency {name.lower()}: ' + ', '.join(flags))}]]")
                add(f"  screen -->|{label(f'any {name.lower()} flag fires')}| {level}")
                add(f"  {level} --> result")
        if any(f.level == "emergency" for f in ruleset.red_flags):
            add(f"  unscreened[[{label('Urgency at least review')}]]")
            add(f"  screen -.->|{label('an emergency flag not screened (answer missing)')}| unscreened")
            add("  unscreened --> result")
        previous = "screen"
    step = 2 if ruleset.red_flags else 1
    if ruleset.scores:
        names = ", ".join(s.id for s in ruleset.scores)
        add(f"  scores[{label(f'{step}. Scores: {names}')}]")
        add(f"  {previous} --> scores")
        previous = "scores"
        step += 1
    add(f"  undetermined[{label('Undetermined: lists the answers that would decide it')}]")
    add(f"  {previous} -.->|{label('a missing answer could change the outcome')}| undetermined")
    add("  undetermined --> result")
    if ruleset.hit_policy == "first":
        _first(ruleset, previous, step, add)
    else:
        _unique(ruleset, previous, step, add)
    return "\n".join(lines) + "\n"


def _first(ruleset: m.Ruleset, previous: str, step: int, add: Emit) -> None:
    for n, outcome in enumerate(ruleset.outcomes, 1):
        node = f"o{n}"
        intro = f"{step}. Outcomes in order, first match: " if n == 1 else ""
        add(f"  {node}{{{label(intro + condition_text(outcome.when))}}}")
        add(f"  {previous} -->{'|' + label('no') + '|' if n > 1 else ''} {node}")
        add(f"  r{n}[{label(outcome_text(outcome))}]")
        add(f"  {node} -->|{label('yes')}| r{n}")
        add(f"  r{n} --> result")
        previous = node
    _otherwise(ruleset, previous, add, "no")


def _unique(ruleset: m.Ruleset, previous: str, step: int, add: Emit) -> None:
    add(f"  decide{{{label(f'{step}. Exactly one outcome matches')}}}")
    add(f"  {previous} --> decide")
    for n, outcome in enumerate(ruleset.outcomes, 1):
        add(f"  r{n}[{label(outcome_text(outcome))}]")
        add(f"  decide -->|{label(condition_text(outcome.when))}| r{n}")
        add(f"  r{n} --> result")
    _otherwise(ruleset, "decide", add, "none matches")


def _otherwise(ruleset: m.Ruleset, previous: str, add: Emit, edge: str) -> None:
    if ruleset.default is not None:
        add(f"  default[{label(outcome_text(ruleset.default))}]")
    else:
        add(f"  default[{label('No outcome: an error result (no_outcome)')}]")
    add(f"  {previous} -->|{label(edge)}| default")
    add("  default --> result")
