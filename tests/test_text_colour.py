"""`--format text` is coloured only on a terminal and never when NO_COLOR is set (no-color.org)."""

from __future__ import annotations

from typing import Any

import pytest

ANSI = "\033["
EMERGENCY = ("-a", "bladder_bowel_control=yes", "-a", "pain_quality=burning")


def _text(invoke: Any, monkeypatch: pytest.MonkeyPatch, *, terminal: bool, no_color: str | None) -> str:
    import rulewright.core.cli.evaluate as evaluate

    monkeypatch.setattr(evaluate, "stdout_is_terminal", lambda: terminal)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    result = invoke("evaluate", "leg-pain@1.0.0", "--format", "text", *EMERGENCY)
    return str(result.stdout)


def test_text_is_coloured_on_a_terminal(invoke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _text(invoke, monkeypatch, terminal=True, no_color=None)
    assert ANSI in out and "EMERGENCY" in out


@pytest.mark.parametrize("no_color", ["1", ""])
def test_no_color_wins_even_on_a_terminal(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, no_color: str
) -> None:
    # no-color.org: present and not empty disables colour; we treat any presence as a request.
    out = _text(invoke, monkeypatch, terminal=True, no_color=no_color)
    assert ANSI not in out and "EMERGENCY" in out


def test_text_is_plain_when_piped(invoke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _text(invoke, monkeypatch, terminal=False, no_color=None)
    assert ANSI not in out and "RED FLAG bladder_bowel" in out


def _default(invoke: Any, monkeypatch: pytest.MonkeyPatch, *args: str, terminal: bool) -> str:
    import rulewright.core.cli.evaluate as evaluate

    monkeypatch.setattr(evaluate, "stdout_is_terminal", lambda: terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    return str(invoke("evaluate", "leg-pain@1.0.0", *args).stdout)


def test_a_batch_on_a_terminal_is_a_table_and_one_case_a_block(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"id": "a", "pain_quality": "burning", "pain_pattern": "follows_path", "bladder_bowel_control": true}\n'
        '{"id": "a-very-long-identifier-indeed", "pain_quality": "dull"}\n'
        '{"id": "c", "pain_quality": "purple"}\n',
        encoding="utf-8",
    )
    table = _default(invoke, monkeypatch, str(cases), terminal=True).splitlines()
    assert table[0].split() == ["LINE", "ID", "URGENCY", "STATUS", "OUTCOME", "NOTES"]
    assert len(table) == 4  # a header, then one row per record
    first, second, third = table[1:]
    assert first.split()[:4] == ["1", "a", "emergency", "ok"]
    assert "Likely nerve pain" in first and "RED FLAG bladder_bowel (emergency)" in first
    assert "a-very-long-ide\u2026" in second and "decided by: numbness_tingling_weakness" in second
    assert "invalid_answer: pain_quality" in third and "not screened: bladder_bowel" in third
    # Columns line up: every row's status starts where the header's does.
    column = table[0].index("STATUS")
    assert all(row[column:].split()[0] in ("ok", "undetermined", "error") for row in table[1:])
    one_case = _default(invoke, monkeypatch, *EMERGENCY, terminal=True)
    assert one_case.startswith("case: EMERGENCY")
    piped = _default(invoke, monkeypatch, str(cases), terminal=False)
    assert piped.startswith('{"input":{"line":1')


def test_table_urgency_is_coloured_without_moving_columns(
    invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rulewright.core.cli.evaluate as evaluate

    monkeypatch.setattr(evaluate, "stdout_is_terminal", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    header, row = str(
        invoke("evaluate", "leg-pain@1.0.0", "--format", "table", *EMERGENCY).stdout
    ).splitlines()
    assert ANSI in row
    plain = row.replace("\033[1;31m", "").replace("\033[0m", "")
    status = header.index("STATUS")
    assert plain[status - 2 : status] == "  " and plain[status:].split()[0] == "undetermined"
