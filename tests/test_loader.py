"""Loading and checking rulesets: every problem at the right file:line:col, safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rulewright.core import RulesetError, load_ruleset
from rulewright.core.model.fingerprint import fingerprint
from tests.conftest import MINIMAL

Write = Callable[..., Path]


def problems(path: Path) -> list[tuple[int, int, str]]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(path))
    return [(d.line, d.column, d.code) for d in info.value.diagnostics]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_minimal_ruleset_loads(write_ruleset: Write) -> None:
    rs = load_ruleset(str(write_ruleset(MINIMAL)))
    assert rs.id == "mini" and [i.id for i in rs.inputs] == ["a", "n"]
    assert rs.fingerprint.startswith("sha256:") and len(rs.fingerprint) == 71


def test_unknown_input_is_reported_at_the_condition(write_ruleset: Write) -> None:
    text = MINIMAL.replace("when: {fact: n, ge: 5}", "when: {fact: m, ge: 5}")
    found = problems(write_ruleset(text))
    line = line_of(text, "fact: m")
    assert (line, text.splitlines()[line - 1].index("m, ge") + 1, "unknown-input") in found


def test_schema_error_points_at_the_bad_value(write_ruleset: Write) -> None:
    text = MINIMAL.replace("level: urgent", "level: critical")
    found = problems(write_ruleset(text))
    assert [(line, code) for line, _, code in found] == [(line_of(text, "level: critical"), "schema")]


def test_unknown_key_is_named_with_the_allowed_ones(write_ruleset: Write) -> None:
    text = MINIMAL.replace("    question: A?", "    question: A?\n    qustion: typo")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(write_ruleset(text)))
    diag = info.value.diagnostics[0]
    assert (
        diag.line == line_of(text, "qustion") and "'qustion'" in diag.message and "question" in diag.message
    )


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("when: {fact: n, ge: 5}", "when: {fact: n, ge: 50}", "out-of-range"),
        ("when: {fact: a, eq: true}", "when: {fact: a, eq: yes_please}", "value-type"),
        ("when: {fact: n, lt: 5}", "when: {fact: n, contains: x}", "operator-type"),
        ("  - id: low\n", "  - id: high\n", "duplicate-id"),
        ("when: {fact: a, eq: true}", "when: {score: s, ge: 1}", "score-in-red-flag"),
        ("references: [ref]", "references: [nope]", "unknown-reference"),
    ],
)
def test_semantic_problems(write_ruleset: Write, old: str, new: str, code: str) -> None:
    text = MINIMAL.replace(old, new)
    assert text != MINIMAL
    found = problems(write_ruleset(text))
    assert code in [c for _, _, c in found]
    line = next(line for line, _, c in found if c == code)
    needle = new.strip().splitlines()[0].strip()
    # A duplicate is reported at its second occurrence.
    expected = max(i for i, t in enumerate(text.splitlines(), 1) if needle in t)
    assert line == expected


def test_enum_value_not_declared(write_ruleset: Write) -> None:
    text = MINIMAL.replace(
        "  - id: n\n",
        "  - id: colour\n    type: enum\n    question: Colour?\n    values: [red, blue]\n  - id: n\n",
    ).replace("when: {fact: n, ge: 5}", "when: {fact: colour, in: [red, green]}")
    found = problems(write_ruleset(text))
    assert ("unknown-value" in [c for _, _, c in found]) and found[0][0] == line_of(text, "green")


def test_score_cycle_is_reported(write_ruleset: Write) -> None:
    text = (
        MINIMAL
        + "scores:\n  - id: s1\n    compute: {score: s2}\n  - id: s2\n    compute: {sum: [{score: s1}, 1]}\n"
    )
    assert "score-cycle" in [c for _, _, c in problems(write_ruleset(text))]


def test_yaml_syntax_error_position(write_ruleset: Write) -> None:
    text = MINIMAL.replace("title: Minimal", "title: [unclosed")
    (line, _, code), *_ = problems(write_ruleset(text))
    assert code == "yaml-syntax" and line >= line_of(text, "[unclosed")


def test_duplicate_key(write_ruleset: Write) -> None:
    text = MINIMAL.replace("title: Minimal", "title: Minimal\ntitle: Again")
    (line, _, code), *_ = problems(write_ruleset(text))
    assert code == "duplicate-key" and line == line_of(text, "title: Again")


def test_object_building_tags_are_refused_and_nothing_runs(write_ruleset: Write, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = MINIMAL.replace("title: Minimal", f"title: !!python/object/apply:os.system ['touch {marker}']")
    found = problems(write_ruleset(text))
    assert found[0][2] == "forbidden-tag"
    assert not marker.exists()


def test_alias_expansion_is_bounded(write_ruleset: Write) -> None:
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    found = problems(write_ruleset("\n".join(bomb) + "\n"))
    assert found[0][2] == "too-many-nodes"


def test_non_utf8_file_names_the_position(write_ruleset: Write) -> None:
    path = write_ruleset(MINIMAL)
    path.write_bytes(MINIMAL.encode() + b"description: caf\xe9\n")
    (line, _, code), *_ = problems(path)
    assert code == "encoding" and line == MINIMAL.count("\n") + 1


def test_bom_is_accepted(write_ruleset: Write) -> None:
    path = write_ruleset(MINIMAL)
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_ruleset(str(path)).id == "mini"


def test_dates_stay_strings(write_ruleset: Write) -> None:
    text = MINIMAL.replace("  authors: [tests]", "  authors: [tests]\n  approved: 2026-01-31")
    rs = load_ruleset(str(write_ruleset(text)))
    assert rs.data["provenance"]["approved"] == "2026-01-31"


def test_fingerprint_ignores_layout_and_key_order_but_not_meaning(write_ruleset: Write) -> None:
    base = load_ruleset(str(write_ruleset(MINIMAL, "a.yaml"))).fingerprint
    reordered = MINIMAL.replace("id: mini\nversion: 1.0.0\n", "version: 1.0.0\nid: mini   # comment\n")
    swapped_inputs = MINIMAL.replace("  - id: a\n    type: boolean\n    question: A?\n", "").replace(
        "red_flags:", "  - {id: a, type: boolean, question: A?}\nred_flags:"
    )
    assert load_ruleset(str(write_ruleset(reordered, "b.yaml"))).fingerprint == base
    assert load_ruleset(str(write_ruleset(swapped_inputs, "c.yaml"))).fingerprint == base
    changed = MINIMAL.replace("ge: 5", "ge: 6").replace("lt: 5", "lt: 6")
    assert load_ruleset(str(write_ruleset(changed, "d.yaml"))).fingerprint != base


def test_fingerprint_keeps_outcome_order() -> None:
    a = {"outcomes": [{"id": "x"}, {"id": "y"}]}
    b = {"outcomes": [{"id": "y"}, {"id": "x"}]}
    assert fingerprint(a) != fingerprint(b)


def test_bundled_references() -> None:
    assert load_ruleset("leg-pain@1.0.0").version == "1.0.0"
    with pytest.raises(RulesetError, match=r"no version 9\.9\.9"):
        load_ruleset("leg-pain@9.9.9")
    with pytest.raises(RulesetError, match="bundled"):
        load_ruleset("no-such-ruleset")


def test_incomplete_outcomes_are_found_with_an_example(
    write_ruleset: Write, invoke: Callable[..., object]
) -> None:
    text = MINIMAL.replace("when: {fact: n, lt: 5}", "when: {fact: n, lt: 3}")
    result = invoke("validate", str(write_ruleset(text)))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "incomplete" in result.output and "n=3" in result.output  # type: ignore[attr-defined]


def test_shadowed_outcome_is_found(write_ruleset: Write, invoke: Callable[..., object]) -> None:
    text = MINIMAL.replace("when: {fact: n, lt: 5}", "when: {fact: n, ge: 7}")
    text = text.replace(
        "    when: {fact: n, ge: 5}\n",
        "    when: {fact: n, ge: 5}\n  - id: rest\n    label: Rest\n    when: {fact: n, lt: 5}\n",
    )
    result = invoke("validate", str(write_ruleset(text)))
    assert "unreachable-outcome" in result.output and "'low'" in result.output  # type: ignore[attr-defined]
