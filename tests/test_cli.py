"""The `rules` command line, through click's runner and as the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rulewright.core.model.schemas import validator
from tests.conftest import MINIMAL

Invoke = Callable[..., Any]
RULES = str(Path(sys.executable).parent / "rules")
NERVE = [
    "-a",
    "pain_quality=burning",
    "-a",
    "pain_pattern=follows_path",
    "-a",
    "numbness_tingling_weakness=no",
    "-a",
    "bladder_bowel_control=no",
]


def records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_evaluate_one_case_from_answers(invoke: Invoke) -> None:
    result = invoke("evaluate", "leg-pain@1.0.0", *NERVE)
    assert result.exit_code == 0, result.output
    (rec,) = records(result.stdout)
    assert rec["outcome"]["id"] == "nerve" and rec["urgency"] == "routine"
    assert rec["ruleset"] == {
        "id": "leg-pain",
        "version": "1.0.0",
        "fingerprint": rec["ruleset"]["fingerprint"],
    }
    assert list(validator("result").iter_errors(rec)) == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("pain_quality=purple", ["purple", "dull, achy"]),
        ("bladder_bowel_control=maybe", ["maybe", "boolean"]),
        ("colour=red", ["colour"]),
    ],
)
def test_bad_answer_is_an_error_record_naming_the_input(
    invoke: Invoke, answer: str, words: list[str]
) -> None:
    result = invoke("evaluate", "leg-pain@1.0.0", "-a", answer)
    assert result.exit_code == 1
    (rec,) = records(result.stdout)
    assert rec["status"] == "error"
    for word in words:
        assert word in rec["error"]["message"]


def test_jsonl_batch_keeps_every_record_in_order(invoke: Invoke, tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "pain_quality": "sharp", "pain_pattern": "follows_path", "bladder_bowel_control": false}',
        "{not json",
        "",
        "[1, 2]",
        '{"id": "d", "bladder_bowel_control": true}',
        '{"id": "e", "pain_quality": 3}',
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = invoke("evaluate", "leg-pain@1.0.0", str(path))
    assert result.exit_code == 1
    recs = records(result.stdout)
    assert [r["input"]["line"] for r in recs] == [1, 2, 4, 5, 6]
    assert [r["input"]["id"] for r in recs] == ["a", None, None, "d", "e"]
    assert [r["status"] for r in recs] == ["ok", "error", "error", "undetermined", "error"]
    assert [r["error"]["code"] for r in recs if r["error"]] == [
        "invalid_json",
        "not_an_object",
        "invalid_answer",
    ]
    assert recs[3]["urgency"] == "emergency"
    assert (
        "evaluated 5 records" in result.stderr
        and "1 blank line skipped" in result.stderr
        and "first error at line 2" in result.stderr
    )


def test_json_array_and_csv_inputs(invoke: Invoke, tmp_path: Path) -> None:
    array = tmp_path / "cases.json"
    array.write_text(
        json.dumps([{"id": 1, "bladder_bowel_control": True}, {"id": 2, "pain_quality": "dull"}])
    )
    recs = records(invoke("evaluate", "leg-pain@1.0.0", str(array)).stdout)
    assert [r["input"]["id"] for r in recs] == [1, 2] and recs[0]["urgency"] == "emergency"
    table = tmp_path / "cases.csv"
    table.write_bytes(
        "\ufeffid,pain_quality,pain_pattern,numbness_tingling_weakness,bladder_bowel_control\n"
        "p1,burning,follows_path,YES,no\np2,dull,moves_around,,\n".encode()
    )
    recs = records(invoke("evaluate", "leg-pain@1.0.0", str(table)).stdout)
    assert [r["input"]["row"] for r in recs] == [1, 2]
    assert recs[0]["outcome"]["id"] == "nerve" and recs[0]["urgency"] == "routine"
    # An empty cell is a missing answer, never "no": the red flag is not screened.
    assert recs[1]["not_screened"] == ["bladder_bowel"] and recs[1]["urgency"] == "review"


def test_stdin_and_text_format(invoke: Invoke) -> None:
    result = invoke(
        "evaluate",
        "leg-pain@1.0.0",
        "-",
        "--format",
        "text",
        "--explain",
        input='{"id": "x", "bladder_bowel_control": true, "pain_quality": "dull"}\n',
    )
    assert "EMERGENCY" in result.stdout and "bladder_bowel" in result.stdout and "trace:" in result.stdout


def test_output_file_is_written_whole_or_not_at_all(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"pain_quality": "dull"}\n{"pain_quality": "purple"}\n{}\n')
    out = tmp_path / "out.jsonl"
    assert invoke("evaluate", "leg-pain@1.0.0", str(cases), "-o", str(out)).exit_code == 1
    assert len(out.read_text().splitlines()) == 3
    out.unlink()
    assert (
        invoke("evaluate", "leg-pain@1.0.0", str(cases), "-o", str(out), "--on-error", "fail").exit_code == 2
    )
    assert not out.exists() and not list(tmp_path.glob(".rules-*"))


def test_fail_on_gives_exit_3_only_when_asked(invoke: Invoke) -> None:
    args = ["evaluate", "leg-pain@1.0.0", "-a", "bladder_bowel_control=yes"]
    assert invoke(*args).exit_code == 0
    assert invoke(*args, "--fail-on", "emergency").exit_code == 3
    assert invoke("evaluate", "leg-pain@1.0.0", *NERVE, "--fail-on", "review").exit_code == 0


def test_usage_errors_exit_2(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("evaluate", "leg-pain", "--format", "nope", *NERVE).exit_code == 2
    assert invoke("evaluate", "leg-pain", "x.jsonl", *NERVE).exit_code == 2
    assert invoke("evaluate", "leg-pain", "-a", "novalue").exit_code == 2
    assert invoke("evaluate", "leg-pain", str(tmp_path / "missing.jsonl")).exit_code == 2


def test_invalid_ruleset_exits_1_with_positions(invoke: Invoke, write_ruleset: Callable[..., Path]) -> None:
    text = MINIMAL.replace("when: {fact: n, ge: 5}", "when: {fact: nn, ge: 5}")
    path = write_ruleset(text)
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "fact: nn" in t)
    assert (
        f"{path}:{line}:18:" in result.stdout
        and "unknown-input" in result.stdout
        and "did you mean 'n'" in result.stdout
    )
    result = invoke("evaluate", str(path), "-a", "n=1")  # it cannot be loaded: the run never starts
    assert result.exit_code == 2 and "unknown-input" in result.stderr


def test_validate_json_and_bundled(invoke: Invoke) -> None:
    result = invoke("validate", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] and report["format"] == 1
    assert any(f["ruleset"]["id"] == "leg-pain" for f in report["files"])


def test_list_plugins_and_schema(invoke: Invoke) -> None:
    listed = json.loads(invoke("list", "--format", "json").stdout)
    assert listed["format"] == 1
    assert {"id": "leg-pain", "version": "1.0.0"}.items() <= next(
        r for r in listed["rulesets"] if r["version"] == "1.0.0"
    ).items()
    plugins = json.loads(invoke("plugins", "--format", "json").stdout)
    provides = {p["name"]: p["provides"] for p in plugins["plugins"]}
    assert "weighted-sum" in provides["rulewright.plugins.scoring"]["scorers"]
    assert {"json", "jsonl", "text"} <= set(provides["rulewright.plugins.formats"]["formats"])
    schema = json.loads(invoke("schema", "result").stdout)
    assert schema["$id"].endswith("/result/1.json")
    assert invoke("schema", "nope").exit_code == 2


@pytest.mark.slow
def test_installed_console_script_runs_from_any_directory(tmp_path: Path) -> None:
    rules = RULES
    assert Path(rules).exists(), "the `rules` console script is installed with the package"
    proc = subprocess.run(
        [rules, "evaluate", "leg-pain@1.0.0", *NERVE], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outcome"]["id"] == "nerve"


@pytest.mark.slow
def test_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    cases = tmp_path / "many.jsonl"
    cases.write_text('{"pain_quality": "dull"}\n' * 20000)
    proc = subprocess.run(
        f"{RULES} evaluate leg-pain@1.0.0 {cases} | head -n 3", shell=True, capture_output=True, text=True
    )
    assert len(proc.stdout.splitlines()) == 3
    assert proc.stderr == ""  # no traceback, and no complaint about the closed pipe


def test_an_unknown_ruleset_exits_2_naming_what_is_bundled(invoke: Invoke) -> None:
    result = invoke("evaluate", "no-such-rule", "--answer", "x=1")
    assert result.exit_code == 2
    assert "not-found" in result.stderr and "leg-pain" in result.stderr
    assert result.stdout == ""
