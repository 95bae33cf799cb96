"""`rules fmt`: canonical key order and layout, comments kept, idempotent, fingerprint unchanged."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from rulewright.core.authoring.formatting import format_text
from rulewright.core.model.fingerprint import fingerprint
from tests.conftest import MINIMAL, ROOT

Invoke = Callable[..., Any]

SCRAMBLED = textwrap.dedent(
    """\
    # yaml-language-server: $schema=../schemas/ruleset.schema.json
    # A ruleset written in no particular order.
    outcomes:
        -   label: High      # shown to clinicians
            when: {ge: 5, fact: n}
            id: high
        -   id: low
            label: Low
            when: {fact: n, lt: 5}
    version: 1.0.0
    id: mini
    rulewright: 1
    title: Minimal
    status: draft
    description: >-
      Folded text stays folded
      and keeps its line breaks.
    provenance:
        changes: [{note: first, version: 1.0.0}]
        references: [{citation: A citation, id: ref}]
        authors: [tests]
    inputs:
        -   question: How many?
            type: integer
            id: n
            maximum: 10
            minimum: 0
        -   id: a
            type: boolean
            question: A?
    red_flags:
        -   message: A is true.
            id: flag
            level: urgent
            when: {fact: a, eq: true}
            action: Act.
            references: [ref]
    """
)


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_canonical_order_and_layout() -> None:
    out = format_text(SCRAMBLED)
    top = [line.split(":")[0] for line in out.splitlines() if re.match(r"^[a-z_]+:", line)]
    assert top == [
        "rulewright",
        "id",
        "version",
        "title",
        "status",
        "description",
        "provenance",
        "inputs",
        "red_flags",
        "outcomes",
    ]
    # An end-of-line comment stays on its line (at its old column).
    assert re.search(
        r"  - id: high\n    label: High +# shown to clinicians\n    when: \{fact: n, ge: 5\}\n", out
    )
    assert "  - id: n\n    type: integer\n    question: How many?\n    minimum: 0\n    maximum: 10\n" in out
    assert "  references: [{id: ref, citation: A citation}]" in out
    assert out.startswith(
        "# yaml-language-server: $schema=../schemas/ruleset.schema.json\n# A ruleset written"
    )
    assert "description: >-\n  Folded text stays folded\n  and keeps its line breaks.\n" in out


def test_formatting_changes_no_value_and_no_fingerprint() -> None:
    out = format_text(SCRAMBLED)
    assert _load(out) == _load(SCRAMBLED)
    assert fingerprint(_load(out)) == fingerprint(_load(SCRAMBLED))
    comments = [line.strip() for line in SCRAMBLED.splitlines() if "#" in line]
    assert all(any(c.split("#", 1)[1] in line for line in out.splitlines()) for c in comments)


def test_formatting_is_idempotent() -> None:
    once = format_text(SCRAMBLED)
    assert format_text(once) == once


@settings(max_examples=30, deadline=None)
@given(st.permutations(list(_load(MINIMAL))), st.permutations(["id", "label", "when"]))
def test_key_order_in_the_input_does_not_matter(top: list[str], outcome_keys: list[str]) -> None:
    data = _load(MINIMAL)
    shuffled = {k: data[k] for k in top}
    shuffled["outcomes"] = [{k: o[k] for k in outcome_keys} for o in data["outcomes"]]
    import io

    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    stream = io.StringIO()
    yaml.dump(shuffled, stream)
    plain = io.StringIO()
    yaml.dump(data, plain)
    assert format_text(stream.getvalue()) == format_text(plain.getvalue())


def test_cli_check_shows_a_diff_and_fmt_rewrites(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "scrambled.yaml"
    path.write_text(SCRAMBLED, encoding="utf-8")
    check = invoke("fmt", "--check", str(tmp_path))
    assert check.exit_code == 1
    assert f"--- {path}\n+++ {path} (formatted)" in check.stdout and "+rulewright: 1" in check.stdout
    assert path.read_text("utf-8") == SCRAMBLED  # --check changes nothing
    done = invoke("fmt", str(path))
    assert done.exit_code == 0 and "reformatted 1 of 1 file" in done.stderr
    assert path.read_text("utf-8") == format_text(SCRAMBLED)
    assert invoke("fmt", "--check", str(path)).exit_code == 0


def test_cli_reports_unreadable_files(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\n  bad: [\n", encoding="utf-8")
    result = invoke("fmt", "--check", str(path))
    assert result.exit_code == 1 and re.search(rf"{re.escape(str(path))}:\d+:\d+: yaml-syntax", result.stderr)
    assert invoke("fmt", str(tmp_path / "missing.yaml")).exit_code == 2


def test_bundled_files_are_formatted(invoke: Invoke) -> None:
    result = invoke("fmt", "--check", str(ROOT / "rulesets"))
    assert result.exit_code == 0, "run `rules fmt rulesets/` and commit the result:\n" + result.stdout


def test_unknown_keys_stay_where_they_are_and_flow_style_is_kept() -> None:
    text = textwrap.dedent(
        """\
        id: x
        version: 1.0.0
        inputs: []
        red_flags:
          - level: urgent
            id: flag
            plugin_note: kept here
            when:
              any: [{answered: a}, {fact: a, eq: true}]
        """
    )
    out = format_text(text)
    assert out == textwrap.dedent(
        """\
        id: x
        version: 1.0.0
        inputs: []
        red_flags:
          - id: flag
            level: urgent
            plugin_note: kept here
            when:
              any: [{answered: a}, {fact: a, eq: true}]
        """
    )
