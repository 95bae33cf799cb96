"""`rules diff`: structure keyed by id, behaviour by region, corpus, version check, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

Invoke = Callable[..., Any]
OLD = str(ROOT / "rulesets" / "leg-pain" / "1.0.0.yaml")
FIXTURE = ROOT / "tests" / "fixtures" / "leg-pain-1.1.0-threshold3.yaml"
LEG_PAIN = Path(OLD).read_text("utf-8")


def variant(tmp_path: Path, version: str, *edits: tuple[str, str], name: str = "new.yaml") -> str:
    text = LEG_PAIN.replace("version: 1.0.0\ntitle", f"version: {version}\ntitle").replace(
        "  changes:\n", f'  changes:\n    - version: {version}\n      date: "2026-11-24"\n      note: test\n'
    )
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def diff_json(invoke: Invoke, *args: str) -> dict[str, Any]:
    result = invoke("diff", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def evaluate(invoke: Invoke, ruleset: str, case: dict[str, Any]) -> dict[str, Any]:
    result = invoke("evaluate", ruleset, "--format", "jsonl", "-", input=json.dumps(case) + "\n")
    record: dict[str, Any] = json.loads(result.stdout)
    return record


def test_every_region_example_reproduces_with_rules_evaluate(invoke: Invoke) -> None:
    report = diff_json(invoke, OLD, str(FIXTURE))
    beh = report["behavioural"]
    assert beh["analysed"] and beh["complete"] and beh["combinations"] == 648
    assert beh["affected"] == sum(r["count"] for r in beh["regions"]) > 0
    for region in beh["regions"]:
        for side, ruleset in (("old", OLD), ("new", str(FIXTURE))):
            got = evaluate(invoke, ruleset, region["example"])
            want = region[side]
            assert got["status"] == want["status"], region
            assert (got["outcome"] or {}).get("id") == want["outcome"]
            assert got["urgency"] == want["urgency"]
            assert sorted(f["id"] for f in got["red_flags"]) == want["red_flags"]
    assert {"nerve → muscle_joint", "nerve → undetermined", "undetermined → muscle_joint"} == {
        r["change"] for r in beh["regions"]
    }


def test_text_output_exit_code_and_structure(invoke: Invoke) -> None:
    result = invoke("diff", OLD, str(FIXTURE))
    assert result.exit_code == 0
    assert "~ outcomes[nerve].when.ge: 2 → 3" in result.stdout
    assert "nerve → muscle_joint" in result.stdout and "where pain_quality" in result.stdout
    assert "Version check: ok" in result.stdout
    assert invoke("diff", "--exit-code", OLD, str(FIXTURE)).exit_code == 1
    same = invoke("diff", "--exit-code", OLD, OLD)
    assert same.exit_code == 0 and "Behavioural changes: none" in same.stdout


def test_markdown_output(invoke: Invoke) -> None:
    result = invoke("diff", "--format", "markdown", OLD, str(FIXTURE))
    assert result.exit_code == 0
    assert "## Behavioural changes" in result.stdout
    assert "| change | where | combinations | example |" in result.stdout
    assert "| changed | `outcomes[nerve].when.ge` | `2` | `3` |" in result.stdout


def test_reordering_is_not_a_change_but_provenance_is(invoke: Invoke, tmp_path: Path) -> None:
    pattern = "  - id: pain_pattern\n    type: enum\n"
    block_start = LEG_PAIN.index(pattern)
    block_end = LEG_PAIN.index("  - id: numbness_tingling_weakness")
    block = LEG_PAIN[block_start:block_end]
    new = variant(
        tmp_path,
        "1.0.1",
        (block, ""),
        ("scores:\n", "scores:\n"),
        ("  - id: pain_severe\n", block + "  - id: pain_severe\n"),
        ("  reviewers: []", "  reviewers: [Dr Example]"),
    )
    report = diff_json(invoke, OLD, new)
    paths = {c["path"] for c in report["structural"]}
    assert not any(p.startswith("inputs") for p in paths)
    assert "provenance.reviewers" in paths and "provenance.changes[1.0.1]" in paths
    assert report["behavioural"]["regions"] == [] and report["version"]["problems"] == []


def test_version_check(invoke: Invoke, tmp_path: Path) -> None:
    patch = variant(tmp_path, "1.0.1", ("{score: nerve_signs, ge: 2}", "{score: nerve_signs, ge: 3}"))
    problems = diff_json(invoke, OLD, patch)["version"]["problems"]
    assert any("at least a minor bump" in p for p in problems)
    assert invoke("diff", "--exit-code", OLD, patch).exit_code == 1
    removed = variant(
        tmp_path,
        "1.1.0",
        ("values: [moves_around, follows_path]", "values: [follows_path]"),
        ("      moves_around: Moves around\n", ""),
        name="removed.yaml",
    )
    report = diff_json(invoke, OLD, removed)
    assert any("major" in p and "moves_around" in p for p in report["version"]["problems"])
    # The removed value is rejected by NEW: a region of error results, with its example.
    errors = [r for r in report["behavioural"]["regions"] if r["new"]["status"] == "error"]
    assert [(r["where"], r["change"]) for r in errors] == [
        ("pain_pattern=moves_around", "NEW rejects these answers, OLD accepts them")
    ]


def test_an_input_only_new_declares_is_missing_in_old(invoke: Invoke, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        "1.1.0",
        (
            "  - id: pain_severe\n",
            "  - id: saddle_numbness\n    type: boolean\n    question: Numbness around the buttocks?\n"
            "  - id: pain_severe\n",
        ),
        (
            "    when: {fact: bladder_bowel_control, eq: true}\n    message",
            "    when: {any: [{fact: bladder_bowel_control, eq: true}, {fact: saddle_numbness, eq: true}]}\n"
            "    message",
        ),
    )
    report = diff_json(invoke, OLD, new)
    beh = report["behavioural"]
    assert beh["only_in_new"] == ["saddle_numbness"] and beh["only_in_old"] == []
    flagged = [r for r in beh["regions"] if "+bladder_bowel" in r["change"]]
    assert flagged and all(r["example"].get("saddle_numbness") is True for r in flagged)
    old_view = evaluate(
        invoke, OLD, {k: v for k, v in flagged[0]["example"].items() if k != "saddle_numbness"}
    )
    assert old_view["red_flags"] == []
    assert "only NEW asks saddle_numbness" in invoke("diff", OLD, new).stdout


def test_corpus_counts_the_cases_that_change(invoke: Invoke, tmp_path: Path) -> None:
    corpus = tmp_path / "cases.jsonl"
    cases = [
        {
            "id": "same",
            "pain_quality": "sharp",
            "pain_pattern": "follows_path",
            "numbness_tingling_weakness": True,
        },
        {
            "id": "moves",
            "pain_quality": "sharp",
            "pain_pattern": "follows_path",
            "numbness_tingling_weakness": False,
        },
        {"id": "also-same", "pain_quality": "dull", "pain_pattern": "moves_around"},
    ]
    corpus.write_text("\n".join(json.dumps(c) for c in cases) + "\nnot json\n", encoding="utf-8")
    report = diff_json(invoke, "--corpus", str(corpus), OLD, str(FIXTURE))
    found = report["corpus"]
    assert (found["cases"], found["changed"], found["unreadable"]) == (3, 1, 1)
    assert found["changes"][0]["id"] == "moves" and found["changes"][0]["line"] == 2
    assert found["changes"][0]["change"] == "nerve → muscle_joint"
    text = invoke("diff", "--corpus", str(corpus), OLD, str(FIXTURE)).stdout
    assert "1 of 3 cases change" in text and "line 2 (moves): nerve → muscle_joint" in text


def test_author_guide_shows_the_real_output(invoke: Invoke, monkeypatch: Any) -> None:
    monkeypatch.chdir(ROOT)  # the guide shows the path relative to the repository
    guide = (ROOT / "docs" / "authors" / "diff.md").read_text("utf-8")
    command = "$ rules diff leg-pain@1.0.0 tests/fixtures/leg-pain-1.1.0-threshold3.yaml\n"
    shown = guide.split(command, 1)[1].split("```", 1)[0]
    assert invoke("diff", "leg-pain@1.0.0", str(FIXTURE.relative_to(ROOT))).stdout == shown


def test_behaviour_the_solver_cannot_model_is_said_not_silently_skipped(
    invoke: Invoke, tmp_path: Path
) -> None:
    # Division is not encoded (docs/decisions/0006): the diff says so; --exit-code cannot pass.
    new = variant(
        tmp_path,
        "1.1.0",
        (
            "\nred_flags:\n",
            "\n  - id: ratio\n    label: Ratio\n    compute: {div: [{score: nerve_signs}, 3]}\nred_flags:\n",
        ),
        ("when: {score: nerve_signs, ge: 2}", "when: {score: ratio, ge: 0.6}"),
    )
    report = diff_json(invoke, OLD, new)
    assert (
        report["behavioural"]["analysed"] is False and "cannot be analysed" in report["behavioural"]["reason"]
    )
    result = invoke("diff", "--exit-code", OLD, new)
    assert result.exit_code == 2 and "not analysed" in result.stdout
