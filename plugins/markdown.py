"""`--format markdown`: a CommonMark/GFM report, one section per case, for tickets, wikis and
pull requests. Text that comes from input data or rulesets is escaped, so an id such as
`a|b*` cannot break a table or start emphasis."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TextIO

from rulewright.core import FormatOptions, Result, hookimpl, score_text
from rulewright.plugins.formats import terminal_safe
from rulewright.plugins.interop import case_label

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def escape(text: str) -> str:
    """Backslash-escape every ASCII punctuation character Markdown could read as syntax, on one
    line, with control characters shown as escapes (the report is often read in a terminal)."""
    return _SPECIAL.sub(r"\\\1", terminal_safe(" ".join(str(text).split())))


class MarkdownWriter:
    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        self.count = 0

    def write(self, result: Result) -> None:
        self.stream.write(("\n" if self.count else "") + "\n".join(section(result)) + "\n")
        self.count += 1

    def close(self) -> None:
        pass


def section(result: Result) -> list[str]:
    rec = result.to_record()
    title = escape(rec["outcome"]["label"]) if rec["outcome"] else rec["status"].capitalize()
    ruleset = rec["ruleset"]
    out = [
        f"## {escape(case_label(result))}: {title}",
        "",
        "| field | value |",
        "|---|---|",
        f"| status | {rec['status']} |",
        f"| urgency | **{rec['urgency']}** |",
    ]
    if rec["outcome"]:
        out.append(f"| outcome | {escape(rec['outcome']['id'])} |")
        if rec["outcome"]["confidence"]:
            out.append(f"| confidence | {escape(rec['outcome']['confidence'])} |")
    out.extend(f"| score {escape(k)} | {escape(score_text(v))} |" for k, v in rec["scores"].items())
    out.append(
        f"| ruleset | {escape(ruleset['id'])} {escape(ruleset['version'])} `{ruleset['fingerprint']}` |"
    )
    if rec["red_flags"]:
        out += ["", "### Red flags", ""]
        out.extend(
            f"- **{f['level']}** {escape(f['id'])}: {escape(f['message'])} {escape(f['action'])}".rstrip()
            for f in rec["red_flags"]
        )
    if rec["not_screened"]:
        out += ["", "### Not screened (answer missing)", ""]
        out.extend(f"- {escape(flag)}" for flag in rec["not_screened"])
    if rec["missing"]:
        out += ["", "### Would be decided by", ""]
        out.extend(f"- {escape(name)}" for name in rec["missing"])
    if rec["error"]:
        out += ["", "### Error", "", f"{escape(rec['error']['code'])}: {escape(rec['error']['message'])}"]
    if rec["recommendations"]:
        out += ["", "### Recommendations", ""]
        out.extend(f"- {escape(text)}" for text in rec["recommendations"])
    return out


@hookimpl
def rulewright_register_formats(register: Callable[[str, Any], None]) -> None:
    register("markdown", MarkdownWriter)
