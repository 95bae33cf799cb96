"""Each schema mistake is reported once, naming the one thing wrong, at the place it is wrong.

Reproductions from issue 20 (a `oneOf`/`anyOf` failure reported through a branch the author
never meant, one aliased value reported at every use) and a few ordinary mistakes, each checked
as the exact single line `rules validate` prints: `file:line:col: schema message [at path]`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MINIMAL

Invoke = Callable[..., Any]

SCORED = MINIMAL.replace(
    "outcomes:\n",
    "scores:\n  - id: total\n    items:\n"
    "      - {id: one, when: {fact: a, eq: true}, weight: 2}\n"
    "      - {id: two, value: {fact: n}}\n"
    "outcomes:\n",
)
EXTRA_INPUT = "    maximum: 10\n"
CONDITION = "when: {fact: n, ge: 5}"


def at(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of `needle` (plus `offset` characters) in `text`, first match."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1 + offset
    raise AssertionError(f"{needle!r} not in the ruleset")


def validate(invoke: Invoke, tmp_path: Path, text: str) -> tuple[str, list[str]]:
    path = tmp_path / "ruleset.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 1, result.output
    return str(path), result.stdout.splitlines()


CASES = [
    pytest.param(
        SCORED.replace("{id: two, value: {fact: n}}", "{id: two, value: {fact: n}, weight: 2}"),
        ("{fact: n}, weight", 11),
        "'weight' cannot be used together with 'value' [at $.scores[0].items[1].weight]",
        id="value-with-weight",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {score: total, ge: 12, le: 24}"),
        ("{score: total, ge: 12", 0),
        "a comparison takes one operator, got ge and le: use `between: [low, high]` for a range,"
        " or `all:` with one comparison each [at $.outcomes[0].when]",
        id="two-operators",
    ),
    pytest.param(
        SCORED.replace(
            EXTRA_INPUT,
            EXTRA_INPUT
            + "    missing: &m {default: maybe}\n"
            + "".join(f"  - {{id: q{i}, type: boolean, question: Q?, missing: *m}}\n" for i in range(6)),
        ),
        ("default: maybe", 0),
        "unknown key 'default'; expected one of: assume [at $.inputs[1].missing.default]",
        id="aliased-value-once",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {fact: n, gte: 5}"),
        ("gte: 5", 0),
        "unknown key 'gte'; expected one of: between, contains, eq, fact, ge, gt, in, le, lt, ne,"
        " not_in [at $.outcomes[0].when.gte]",
        id="misspelt-operator",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {all: [{fact: n, ge: 5}, {fact: a, eqq: true}]}"),
        ("eqq: true", 0),
        "unknown key 'eqq'; expected one of: between, contains, eq, fact, ge, gt, in, le, lt, ne,"
        " not_in [at $.outcomes[0].when.all[1].eqq]",
        id="misspelt-operator-nested",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {fact: n, ge: five}"),
        ("five}", 0),
        'expected a number, got "five" [at $.outcomes[0].when.ge]',
        id="text-for-a-number",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {facts: n, ge: 5}"),
        ("{facts", 0),
        "needs one of the keys all, any, not, at_least, answered, fact, score; got facts, ge"
        " [at $.outcomes[0].when]",
        id="misspelt-fact",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: n >= 5"),
        ("n >= 5", 0),
        'expected true or false or a mapping, got "n >= 5" [at $.outcomes[0].when]',
        id="condition-as-text",
    ),
    pytest.param(
        SCORED.replace("{id: two, value: {fact: n}}", "{id: two, weight: 2}"),
        ("{id: two, weight", 0),
        "needs one of the keys when, value; got id, weight [at $.scores[0].items[1]]",
        id="item-without-when-or-value",
    ),
    pytest.param(
        SCORED.replace(
            "      - {id: two, value: {fact: n}}\n",
            "      - {id: two, value: {fact: n}}\n    compute: {fact: n}\n",
        ),
        ("compute:", 0),
        "'compute' cannot be used together with 'items' [at $.scores[0].compute]",
        id="items-and-compute",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {fact: n}"),
        ("when: {fact: n}", 6),
        "needs one more key besides fact: one of eq, ne, lt, le, gt, ge, in, not_in, between,"
        " contains [at $.outcomes[0].when]",
        id="comparison-without-operator",
    ),
    pytest.param(
        SCORED.replace(CONDITION, "when: {any: {fact: n, ge: 5}}"),
        ("{fact: n, ge: 5}}", 0),
        'expected a list, got {"fact": "n", "ge": 5} [at $.outcomes[0].when.any]',
        id="any-given-a-mapping",
    ),
    pytest.param(
        SCORED.replace("{id: two, value: {fact: n}}", '{id: two, value: "n"}'),
        ('"n"}', 0),
        'expected a number or a mapping, got "n" [at $.scores[0].items[1].value]',
        id="value-given-text",
    ),
    pytest.param(
        SCORED.replace("level: urgent", "level: critical"),
        ("critical", 0),
        "'critical' is not one of ['emergency', 'urgent', 'review'] [at $.red_flags[0].level]",
        id="wrong-level",
    ),
]


@pytest.mark.parametrize(("text", "where", "message"), CASES)
def test_one_message_at_the_place_it_is_wrong(
    invoke: Invoke, tmp_path: Path, text: str, where: tuple[str, int], message: str
) -> None:
    path, lines = validate(invoke, tmp_path, text)
    line, column = at(text, *where)
    assert lines == [f"{path}:{line}:{column}: schema {message}"]
