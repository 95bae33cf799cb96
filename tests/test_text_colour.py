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
