"""`rules docs`: the sign-off document, its Mermaid flowchart, and the committed copies."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from rulewright.core import load_ruleset
from rulewright.core.documents.docchart import flowchart
from rulewright.core.model.loader import bundled_rulesets
from tests import mermaid
from tests.conftest import MINIMAL, ROOT

Invoke = Callable[..., Any]
BUNDLED = [b.ref for b in bundled_rulesets()]


def test_committed_docs_are_current(invoke: Invoke, tmp_path: Path) -> None:
    """docs/rulesets/ is generated; regenerate with `rules docs --bundled docs/rulesets`."""
    result = invoke("docs", "--bundled", str(tmp_path))
    assert result.exit_code == 0, result.output
    fresh = {p.name: p.read_text("utf-8") for p in tmp_path.glob("*.md")}
    committed = {p.name: p.read_text("utf-8") for p in (ROOT / "docs" / "rulesets").glob("*.md")}
    assert {f"{ref.replace('@', '-')}.md" for ref in BUNDLED} == set(fresh)
    stale = sorted(name for name in fresh if committed.get(name) != fresh[name])
    assert stale == [], f"stale: {stale}; run `rules docs --bundled docs/rulesets` and commit the result"


# -- the Mermaid flowchart, checked structurally ------------------------------------------------

NODE = re.compile(
    r'^  (?P<id>[a-z][a-z0-9]*)(?P<open>\(\[|\[\[|\[|\{)"(?P<label>[^"]*)"(?P<close>\]\)|\]\]|\]|\})$'
)
EDGE = re.compile(
    r'^  (?P<a>[a-z][a-z0-9]*) (?P<arrow>-->|-\.->)(?:\|"(?P<label>[^"]*)"\|)? (?P<b>[a-z][a-z0-9]*)$'
)
PAIRS = {"([": "])", "[[": "]]", "[": "]", "{": "}"}


def parse_flowchart(text: str) -> tuple[dict[str, str], list[tuple[str, str, str | None]]]:
    """A strict reading of the subset of Mermaid flowchart syntax the generator may emit."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str | None]] = []
    for line in lines[1:]:
        if node := NODE.match(line):
            assert PAIRS[node["open"]] == node["close"], line
            assert node["id"] not in nodes, f"node defined twice: {line}"
            assert "`" not in node["label"] and node["label"].strip(), line
            nodes[node["id"]] = node["label"]
        elif edge := EDGE.match(line):
            edges.append((edge["a"], edge["b"], edge["label"]))
        else:
            pytest.fail(f"not a node or edge: {line!r}")
    for a, b, _ in edges:
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


def reachable(start: str, edges: list[tuple[str, str, str | None]], reverse: bool = False) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        here = todo.pop()
        for a, b, _ in edges:
            src, dst = (b, a) if reverse else (a, b)
            if src == here and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    return seen


@pytest.mark.parametrize("ref", BUNDLED)
def test_flowchart_is_a_well_formed_graph_of_the_decision(ref: str) -> None:
    ruleset = load_ruleset(ref)
    nodes, edges = parse_flowchart(flowchart(ruleset))
    # Every node lies on a path from the case to the result.
    assert reachable("case", edges) == set(nodes)
    assert reachable("result", edges, reverse=True) == set(nodes)
    labels = " | ".join(nodes.values())
    for outcome in [*ruleset.outcomes, *([ruleset.default] if ruleset.default else [])]:
        assert outcome.label in labels
    for flag in ruleset.red_flags:
        tier = next(label for nid, label in nodes.items() if nid == flag.level)
        assert re.search(rf"\b{flag.id}\b", tier), flag.id
    if ruleset.red_flags:
        # The red-flag screen comes before the scores and every outcome.
        assert "scores" not in reachable("case", [e for e in edges if e[0] != "screen"])
    if ruleset.hit_policy == "first":
        # Outcomes are tried in order: o1 -no-> o2 -no-> ... -no-> default.
        chain = [f"o{n}" for n in range(1, len(ruleset.outcomes) + 1)] + ["default"]
        for a, b in itertools.pairwise(chain):
            assert (a, b, "no") in edges


def test_labels_from_the_ruleset_cannot_break_the_chart(write_ruleset: Callable[..., Path]) -> None:
    text = MINIMAL.replace("label: High", 'label: "High \\"risk\\" `x` [a]{b}"')
    nodes, _ = parse_flowchart(flowchart(load_ruleset(str(write_ruleset(text)))))
    assert any("#quot;risk#quot;" in label for label in nodes.values())


# -- content ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leg_pain_doc() -> str:
    return (ROOT / "docs" / "rulesets" / "leg-pain-2.0.0.md").read_text("utf-8")


def section(doc: str, title: str) -> str:
    start = doc.index(f"\n{title}\n")
    level = title.split(" ")[0]
    rest = doc[start + len(title) + 2 :]
    end = re.search(rf"\n{level} ", rest)
    return rest[: end.start()] if end else rest


def test_document_covers_what_a_clinician_signs_off(leg_pain_doc: str) -> None:
    ruleset = load_ruleset("leg-pain@2.0.0")
    questions = section(leg_pain_doc, "## Questions")
    for decl in ruleset.inputs:
        assert f"`{decl.id}`" in questions and decl.question in questions
    assert "`positive_neural` Reproduces the leg pain" in questions
    for level in ("emergency", "urgent"):
        tier = section(
            leg_pain_doc, f"### {level.capitalize()} ({sum(f.level == level for f in ruleset.red_flags)})"
        )
        for flag in ruleset.red_flags:
            assert (f"| `{flag.id}` |" in tier) == (flag.level == level), flag.id
            if flag.level == level:
                assert flag.message in tier and flag.action in tier
    outcomes = section(leg_pain_doc, "## Outcomes and recommendations")
    for outcome in [*ruleset.outcomes, ruleset.default]:
        assert outcome is not None and f"(`{outcome.id}`)" in outcomes
        assert all(rec in outcomes for rec in outcome.recommendations)
    assert "Confidence: low; moderate when score `neural_tests` ≥ 1." in outcomes
    assert "[doi:10.2519/jospt.2023.11320](https://doi.org/10.2519/jospt.2023.11320)" in leg_pain_doc
    assert "no answered" not in leg_pain_doc
    assert "| Approved | not yet approved |" in leg_pain_doc
    props = section(leg_pain_doc, "## Safety properties")
    assert "Any cauda equina feature answered yes makes the case an emergency." in props


def test_worked_examples_show_the_result_this_version_gives(leg_pain_doc: str) -> None:
    examples = section(leg_pain_doc, "## Worked examples")
    row = next(line for line in examples.splitlines() if line.startswith("| signs_and_concordant_imaging"))
    assert "**Radiculopathy with radicular pain** (high confidence)" in row
    row = next(line for line in examples.splitlines() if line.startswith("| nothing_answered"))
    assert "undetermined (ask:" in row and "urgency review" in row


def test_changes_since_the_previous_version(leg_pain_doc: str) -> None:
    changes = section(leg_pain_doc, "## Changes since 1.0.0")
    assert "Questions added:" in changes and "`exam_weakest_mrc`" in changes
    assert "Outcomes removed: `nerve`, `muscle_joint`" in changes
    assert "Red flags added:" in changes and "Red flags removed" not in changes
    # A 1.0.0 suite case read by 2.0.0: burning pain along a path, no numbness.
    row = next(line for line in changes.splitlines() if line.startswith("| burning_follows_path (basic)"))
    assert "**Likely nerve pain**" in row and "undetermined" in row.split("|")[4]


def test_markdown_and_html_say_the_same(invoke: Invoke) -> None:
    markdown = invoke("docs", "start-back").stdout
    page = invoke("docs", "start-back", "--format", "html").stdout

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.text: list[str] = []
            self.tags: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            assert tag not in ("script", "link", "img", "iframe"), "the page must be self-contained"

        def handle_data(self, data: str) -> None:
            self.text.append(data)

    parser = Collect()
    parser.feed(page)
    text = "".join(parser.text)
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    for line in (
        "Low risk",
        "Psychosocial subscale (items 5-9, 0-5)",
        "flowchart TD",
        "psychological approach",
    ):
        assert line in markdown and line in text


def test_html_escapes_text_from_the_ruleset(invoke: Invoke, write_ruleset: Callable[..., Path]) -> None:
    path = write_ruleset(MINIMAL.replace("title: Minimal", "title: <script>alert(1)</script>"))
    page = invoke("docs", str(path), "--format", "html").stdout
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_output_file_since_a_path_and_usage_errors(
    invoke: Invoke, write_ruleset: Callable[..., Path], tmp_path: Path
) -> None:
    write_ruleset(MINIMAL, "1.0.0.yaml")
    changed = (
        MINIMAL.replace(
            "changes: [{version: 1.0.0, note: first}]",
            "changes: [{version: 2.0.0, note: second}, {version: 1.0.0, note: first}]",
        )
        .replace("version: 1.0.0\ntitle", "version: 2.0.0\ntitle")
        .replace("ge: 5}", "ge: 6}")
        .replace("lt: 5}", "lt: 6}")
    )
    new = write_ruleset(changed, "2.0.0.yaml")
    out = tmp_path / "doc.md"
    result = invoke("docs", str(new), "--since", "1.0.0", "--max-regions", "0", "-o", str(out))
    assert result.exit_code == 0, result.output
    doc = out.read_text("utf-8")
    assert "## Changes since 1.0.0" in doc and "- 2.0.0: second" in doc
    assert "Outcomes changed: `high`, `low`" in doc
    assert invoke("docs").exit_code == 2
    assert invoke("docs", "leg-pain", "--bundled", str(tmp_path)).exit_code == 2
    assert invoke("docs", "leg-pain@9.9.9").exit_code == 2


@pytest.mark.slow
def test_since_lists_behavioural_regions(invoke: Invoke) -> None:
    doc = invoke("docs", "leg-pain@2.0.0", "--since", "1.0.0", "--max-regions", "3").stdout
    regions = section(doc, "### Regions of the input space that behave differently")
    rows = [line for line in regions.splitlines() if line.startswith("| ") and "change" not in line]
    assert 1 <= len(rows) <= 3
    assert "the search stopped there" in regions


# -- the Mermaid flowchart, checked by Mermaid itself (Node) -------------------------------------

mermaid_dir = mermaid.mermaid_dir  # the fixture that installs Mermaid once per machine


@pytest.mark.slow
def test_mermaid_itself_parses_every_bundled_flowchart(mermaid_dir: Path, tmp_path: Path) -> None:
    charts = {ref: flowchart(load_ruleset(ref)) for ref in BUNDLED}
    found = mermaid.parse(mermaid_dir, tmp_path, {**charts, "broken": 'flowchart TD\n  a["x"] -->|"y| b\n'})
    # The parser is real: it rejects the broken chart, and accepts every generated one.
    assert found.pop("broken").startswith("FAIL")
    assert found == dict.fromkeys(BUNDLED, "flowchart-v2")
