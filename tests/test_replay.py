"""`rules replay`: recorded decisions are reproduced exactly, and every difference is reported."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rulewright.core.cli import cli
from rulewright.core.model.schemas import validator
from tests.corpus.manifest import CORPUS

TYPED = CORPUS / "records" / "typed.ruleset.yaml"
LEG_PAIN_CASES = [
    {"id": "a", "bladder_bowel_control": True},
    {"id": "b", "pain_quality": "sharp", "pain_pattern": "follows_path", "numbness_tingling_weakness": True},
    {"id": "c", "pain_quality": "dull"},
    {"id": "d", "pain_quality": "purple"},
]


def invoke(*args: str, input: bytes | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def record_results(tmp_path: Path, ruleset: str, cases: Path, name: str = "results.jsonl") -> Path:
    out = tmp_path / name
    invoke("evaluate", ruleset, str(cases), "--record-input", "-o", str(out))
    assert out.exists()
    return out


def write_cases(tmp_path: Path, cases: list[dict[str, object]] | bytes) -> Path:
    path = tmp_path / "cases.jsonl"
    if isinstance(cases, bytes):
        path.write_bytes(cases)
    else:
        path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


def test_recorded_results_validate_and_carry_the_record(tmp_path: Path) -> None:
    results = record_results(tmp_path, "leg-pain@1.0.0", write_cases(tmp_path, LEG_PAIN_CASES))
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["input"]["record"] for r in records] == LEG_PAIN_CASES
    for record in records:
        assert list(validator("result").iter_errors(record)) == []


@pytest.mark.parametrize(
    "ruleset, cases",
    [
        ("leg-pain@1.0.0", None),
        (str(TYPED), CORPUS / "records" / "types.jsonl"),
        (str(TYPED), CORPUS / "records" / "hostile.csv"),
        (str(TYPED), CORPUS / "records" / "array.json"),
    ],
)
def test_replay_reproduces_every_recorded_decision(ruleset: str, cases: Path | None, tmp_path: Path) -> None:
    source = cases or write_cases(tmp_path, LEG_PAIN_CASES)
    results = record_results(tmp_path, ruleset, source)
    folder = ["--rulesets", str(TYPED.parent)] if ruleset == str(TYPED) else []
    result = invoke("replay", str(results), *folder)
    assert "differs 0" in result.stderr and "ruleset 0" in result.stderr and "unreadable 0" in result.stderr
    # Records whose input could not be read were not recorded, so cannot be replayed: exit 1.
    assert result.exit_code == (0 if "not-replayable 0" in result.stderr else 1), result.output


@pytest.mark.parametrize(
    "field, value",
    [
        ("urgency", "routine"),
        ("red_flags", []),
        ("outcome", {"id": "muscle_joint", "label": "Likely muscle or joint pain", "confidence": "moderate"}),
        ("status", "ok"),
        ("not_screened", []),
    ],
)
def test_a_tampered_result_is_reported_with_what_changed(field: str, value: object, tmp_path: Path) -> None:
    results = record_results(tmp_path, "leg-pain@1.0.0", write_cases(tmp_path, LEG_PAIN_CASES))
    lines = results.read_text().splitlines()
    target = 0 if field in ("urgency", "red_flags") else 2 if field == "not_screened" else 1
    if field == "status":
        target = 2  # undetermined, recorded as ok
    record = json.loads(lines[target])
    assert record[field] != value
    record[field] = value
    lines[target] = json.dumps(record)
    results.write_text("\n".join(lines) + "\n")
    result = invoke("replay", str(results), "--format", "jsonl")
    assert result.exit_code == 1
    reported = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in reported] == [target + 1]
    assert reported[0]["result"] == "differs"
    assert reported[0]["differences"][field]["recorded"] == value


def test_a_ruleset_changed_under_the_same_version_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    shutil.copy(TYPED, folder / "typed.yaml")
    results = record_results(tmp_path, str(folder / "typed.yaml"), CORPUS / "records" / "types.jsonl")
    assert invoke("replay", str(results), "--rulesets", str(folder)).exit_code == 0
    text = (folder / "typed.yaml").read_text().replace("Emergency sign present.", "Emergency sign!")
    (folder / "typed.yaml").write_text(text)
    result = invoke("replay", str(results), "--rulesets", str(folder))
    assert result.exit_code == 1
    assert "has changed: recorded sha256:" in result.stdout


def test_a_missing_ruleset_is_reported(tmp_path: Path) -> None:
    results = record_results(tmp_path, str(TYPED), CORPUS / "records" / "types.jsonl")
    result = invoke("replay", str(results))
    assert result.exit_code == 1
    assert "ruleset typed@1.0.0 not found" in result.stdout


def test_results_without_recorded_input_cannot_be_replayed(tmp_path: Path) -> None:
    out = tmp_path / "plain.jsonl"
    invoke("evaluate", "leg-pain@1.0.0", str(write_cases(tmp_path, LEG_PAIN_CASES)), "-o", str(out))
    result = invoke("replay", str(out))
    assert result.exit_code == 1  # a record that cannot be replayed is a finding, not a pass
    assert "--record-input" in result.stderr
    assert result.stdout.count("not-replayable") == len(LEG_PAIN_CASES)


def test_hostile_results_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    results = record_results(tmp_path, "leg-pain@1.0.0", write_cases(tmp_path, LEG_PAIN_CASES[:1]))
    good = results.read_bytes()
    hostile = [b"not json", b"[]", b'{"input": 5}', b'{"input": {}, "ruleset": null}', b"\xff\xfe", b"{}" * 3]
    hostile.append(b'{"input": 5, "ruleset": ' + json.dumps(json.loads(good)["ruleset"]).encode() + b"}")
    results.write_bytes(good + b"\n".join(hostile) + b"\n\n")
    result = invoke("replay", "-", input=results.read_bytes())
    assert result.exit_code == 1, result.output  # reported, not fatal, and not a pass either
    assert "identical 1" in result.stderr
    assert f"unreadable {len(hostile)}" in result.stderr


def test_an_empty_results_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("replay", "-", input=b"\n\n")
    assert result.exit_code == 2 and "nothing to replay" in result.stderr


def _recorded(tmp_path: Path) -> Path:
    case = {"id": "a", "pain_quality": "burning", "pain_pattern": "moves_around"}
    case |= {"numbness_tingling_weakness": False, "bladder_bowel_control": False}
    results = record_results(tmp_path, "leg-pain@1.0.0", write_cases(tmp_path, [case]))
    assert invoke("replay", str(results)).exit_code == 0
    return results


def _tampered(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Result:
    results = _recorded(tmp_path)
    record = json.loads(results.read_text())
    change(record)
    results.write_text(json.dumps(record) + "\n")
    return invoke("replay", str(results), "--format", "jsonl")


@pytest.mark.parametrize(
    "rid, version",
    [
        ("../../../../etc/passwd", "1.0.0"),
        ("leg-pain/../leg-pain", "1.0.0"),
        ("leg-pain", "../1.0.0"),
        ("leg-pain", "1.0.0/../../1.0.0"),
        ("leg-pain", "1.0.0-.."),
        ("leg-pain\n", "1.0.0"),
        ("leg-pain", "1.0.0\n"),
        ("leg-pain", 1),
        (["leg-pain"], "1.0.0"),
    ],
)
def test_a_ruleset_reference_that_is_not_an_id_and_version_is_unreadable(
    tmp_path: Path, rid: object, version: object
) -> None:
    result = _tampered(tmp_path, lambda r: r["ruleset"].update(id=rid, version=version))
    assert result.exit_code == 1
    (reported,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert reported["result"] == "unreadable"
    assert "not a ruleset id and version" in reported["message"]


def test_a_file_named_like_a_ruleset_reference_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rulewright.core.model.loader import resolve

    # A results file names rulesets by id and version: a file in the current folder called
    # `leg-pain@1.0.0` is not the bundled ruleset and must not stand in for it.
    _, raw = resolve("leg-pain@1.0.0")
    results = _recorded(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leg-pain@1.0.0").write_bytes(raw.replace(b"emergency", b"urgent"))
    result = invoke("replay", str(results))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "field, change",
    [
        ("scores", lambda r: r["scores"].update(nerve_signs=True)),  # 1 recorded as true
        ("scores", lambda r: r["scores"].update(nerve_signs="1")),
        ("status", lambda r: r.update(status=["ok"])),
        ("error", lambda r: r.update(error=False)),  # null recorded as false
    ],
)
def test_values_are_compared_with_their_json_types(
    tmp_path: Path, field: str, change: Callable[[dict[str, Any]], None]
) -> None:
    result = _tampered(tmp_path, change)
    assert result.exit_code == 1
    (reported,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert reported["result"] == "differs" and list(reported["differences"]) == [field]


def test_a_score_recorded_as_1_0_is_the_same_number(tmp_path: Path) -> None:
    result = _tampered(tmp_path, lambda r: r["scores"].update(nerve_signs=1.0))
    assert result.exit_code == 0, result.output


def test_record_input_is_kept_by_parallel_workers(tmp_path: Path) -> None:
    cases = write_cases(tmp_path, LEG_PAIN_CASES * 50)
    serial = record_results(tmp_path, "leg-pain@1.0.0", cases, "serial.jsonl")
    parallel = tmp_path / "parallel.jsonl"
    invoke("evaluate", "leg-pain@1.0.0", str(cases), "--record-input", "--jobs", "2", "-o", str(parallel))
    assert parallel.read_bytes() == serial.read_bytes()
    assert all("record" in json.loads(line)["input"] for line in parallel.read_text().splitlines())


def test_spawned_workers_rebuild_the_engine_with_record_input() -> None:
    # Linux forks (workers inherit the engine); macOS and Windows spawn and rebuild it from the Job.
    from rulewright.core.cli.workers import Job, Worker
    from rulewright.core.evaluate.records import ReadOptions

    job = Job("leg-pain@1.0.0", "jsonl", "jsonl", False, False, ReadOptions(id_field="id"), record_input=True)
    assert Worker.build(job).engine.record_input is True
