"""Every hostile record in tests/corpus/records yields exactly one result, in place.

The manifest (`records/expected.tsv`) lists, per input file, the result each record must get:
its line, status, error code (alternatives separated by `|` where two correct readers may
disagree, e.g. a number too large to parse vs too large to accept) and, where it matters, the
urgency (a red flag in a record that is otherwise broken must still be reported). Blank lines
are the one documented skip: counted in the summary, no result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from rulewright.core.cli import cli
from tests.corpus.manifest import CORPUS

RECORDS = CORPUS / "records"
TYPED = RECORDS / "typed.ruleset.yaml"


@dataclass(frozen=True)
class Expected:
    line: int
    status: str
    codes: tuple[str, ...]
    urgency: str | None

    @classmethod
    def parse(cls, text: str) -> Expected:
        line, _, rest = text.partition("=")
        status, _, rest = rest.partition(":")
        code, _, urgency = rest.partition(":")
        return cls(int(line), status, tuple(code.split("|")) if code else (), urgency or None)


@dataclass(frozen=True)
class FileCase:
    name: str
    ruleset: str
    blanks: int
    expected: tuple[Expected, ...]


def file_cases() -> list[FileCase]:
    out = []
    for raw in (RECORDS / "expected.tsv").read_text("utf-8").splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        name, ruleset, blanks, expected = raw.split("\t")
        out.append(FileCase(name, ruleset, int(blanks), tuple(Expected.parse(e) for e in expected.split())))
    return out


CASES = file_cases()


def ruleset_ref(name: str) -> str:
    return str(TYPED) if name == "typed" else name


def evaluate(ruleset: str, path: Path, *extra: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(
        cli, ["evaluate", ruleset_ref(ruleset), str(path), "--format", "jsonl", *extra]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_manifest_covers_every_input_file() -> None:
    listed = sorted(c.name for c in CASES)
    present = sorted(p.name for p in RECORDS.iterdir() if p.suffix in (".jsonl", ".json", ".csv"))
    assert listed == present


def test_at_least_sixty_hostile_records() -> None:
    assert sum(len(c.expected) for c in CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_hostile_record_gets_one_result_in_place(case: FileCase) -> None:
    code, out, stderr = evaluate(case.ruleset, RECORDS / case.name)
    assert len(out) == len(case.expected), [r["input"] for r in out]  # nothing lost, nothing added
    for want, got in zip(case.expected, out, strict=True):
        where = (case.name, want.line)
        assert got["input"]["line"] == want.line, where
        assert got["status"] == want.status, (where, got["status"], got["error"])
        if want.codes:
            assert got["error"]["code"] in want.codes, (where, got["error"])
        if want.urgency:
            assert got["urgency"] == want.urgency, (where, got["urgency"])
    assert code == (1 if any(e.status == "error" for e in case.expected) else 0)
    if case.blanks:
        assert f"{case.blanks} blank line" in stderr


def test_a_ten_megabyte_line_is_one_record_and_the_batch_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = b'{"id": "big", "notes": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    path.write_bytes(b'{"flag": true, "count": 1}\n' + big + b'\n{"flag": false, "count": 70}\n')
    code, out, _ = evaluate("typed", path)
    assert [r["input"]["line"] for r in out] == [1, 2, 3]
    assert [r["status"] for r in out] == ["ok", "error", "ok"]
    assert out[0]["urgency"] == "emergency"
    assert code == 1


def test_the_whole_corpus_through_stdin_in_one_stream() -> None:
    """All JSON Lines files for the typed ruleset, concatenated: one result per non-blank line."""
    files = [c for c in CASES if c.name.endswith(".jsonl") and c.ruleset == "typed"]
    data = b"".join((RECORDS / c.name).read_bytes() for c in files)
    result = CliRunner().invoke(cli, ["evaluate", str(TYPED), "-", "--format", "jsonl"], input=data)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == sum(len(c.expected) for c in files)
    lines = [r["input"]["line"] for r in out]
    assert lines == sorted(lines)


@pytest.mark.slow
def test_parallel_workers_give_the_same_results_for_the_whole_corpus(tmp_path: Path) -> None:
    """`--jobs` changes how fast records are evaluated, never what is written, for hostile input too."""
    files = [c for c in CASES if c.name.endswith(".jsonl") and c.ruleset == "typed"]
    path = tmp_path / "all.jsonl"
    path.write_bytes(b"".join((RECORDS / c.name).read_bytes() for c in files))
    serial = CliRunner().invoke(cli, ["evaluate", str(TYPED), str(path), "--format", "jsonl", "--jobs", "1"])
    parallel = CliRunner().invoke(
        cli, ["evaluate", str(TYPED), str(path), "--format", "jsonl", "--jobs", "2"]
    )
    assert parallel.exit_code == serial.exit_code == 1
    assert parallel.stdout == serial.stdout
    assert len(serial.stdout.splitlines()) == sum(len(c.expected) for c in files)


def test_hostile_fhir_responses_each_get_one_result_and_keep_red_flags(tmp_path: Path) -> None:
    """A Bundle of broken QuestionnaireResponses (`--input-format fhir-qr`): one result per entry;
    a bad answer next to a bladder/bowel answer of yes still reports the emergency."""

    def qr(*items: object, **extra: object) -> dict[str, object]:
        return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(items), **extra}

    yes = {"linkId": "bladder_bowel_control", "answer": [{"valueBoolean": True}]}
    no = {"linkId": "bladder_bowel_control", "answer": [{"valueBoolean": False}]}
    deep = (
        '{"resourceType": "QuestionnaireResponse", "item": ['
        + '{"linkId": "g", "item": [' * 400
        + "]}" * 400
        + "]}"
    )
    entries = [
        json.dumps(qr(yes, {"linkId": "pain_quality", "answer": [{"valueCoding": {"code": 5}}]})),
        json.dumps(qr({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]}, yes)),
        json.dumps(qr(yes, yes)),
        json.dumps(qr(yes, no)),
        json.dumps({"resourceType": "QuestionnaireResponse", "item": "not a list"}),
        json.dumps(qr({"linkId": "bladder_bowel_control", "answer": [{"valueBoolean": "true"}]})),
        json.dumps(qr({"linkId": "bladder_bowel_control", "answer": "yes"})),
        json.dumps([]),
        json.dumps({"resourceType": None}),
        deep,
        json.dumps(qr(yes, id={"not": "a string"})),
    ]
    path = tmp_path / "bundle.json"
    path.write_text(
        '{"resourceType": "Bundle", "type": "collection", "entry": ['
        + ", ".join('{"resource": ' + e + "}" for e in entries)
        + "]}"
    )
    code, out, _ = evaluate("leg-pain@1.0.0", path, "--input-format", "fhir-qr")
    assert [r["input"]["line"] for r in out] == list(range(1, len(entries) + 1))
    urgency = [r["urgency"] for r in out]
    # Entries 1-2: a broken answer beside a yes: error records, emergency kept.
    assert [r["status"] for r in out[:2]] == ["error", "error"]
    assert urgency[:2] == ["emergency", "emergency"]
    assert all("bladder_bowel" in {f["id"] for f in r["red_flags"]} for r in out[:2])
    # Entries 3-4: the same question answered twice is an error, and a copy that raises the red
    # flag raises it (issue 18: never settle a duplicate by picking one copy).
    assert [r["error"]["code"] for r in out[2:4]] == ["duplicate_answer", "duplicate_answer"]
    assert all("bladder_bowel" in {f["id"] for f in r["red_flags"]} for r in out[2:4])
    assert out[10]["urgency"] == "emergency"
    assert code == 1
