"""Batch evaluation for pipelines: `--jobs`, CSV output, progress, long lines, hostile records."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

Invoke = Any
RULES = str(Path(sys.executable).parent / "rules")
QUALITIES = ["dull", "achy", "sore", "sharp", "burning", "tingling", "electric"]


def _case(rng: random.Random, n: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"c{n}"}
    if rng.random() < 0.9:
        record["pain_quality"] = rng.choice(QUALITIES)
    if rng.random() < 0.9:
        record["pain_pattern"] = rng.choice(["moves_around", "follows_path"])
    for key in ("numbness_tingling_weakness", "bladder_bowel_control", "pain_severe"):
        if rng.random() < 0.9:
            record[key] = rng.random() < 0.3
    return record


def _jsonl_with_bad_lines(path: Path, count: int) -> dict[int, bytes]:
    """Write `count` lines; every 97th is hostile. Returns {line number: bad line}."""
    rng = random.Random(8)
    hostile = [b"{not json", b"\xff\xfe\xfd", b"[1, 2]", b'"just a string"', b'{"pain_quality": 7}']
    bad: dict[int, bytes] = {}
    with path.open("wb") as out:
        for n in range(1, count + 1):
            if n % 97 == 0:
                bad[n] = hostile[n // 97 % len(hostile)]
                out.write(bad[n] + b"\n")
            elif n % 211 == 0:
                out.write(b"   \n")  # blank: skipped and counted
            else:
                out.write(json.dumps(_case(rng, n)).encode() + b"\n")
    return bad


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 16 KiB, so a small input gives every worker many (in-process runs only)."""
    from rulewright.core.cli import workers

    monkeypatch.setattr(workers, "CHUNK_KIB", 16)
    monkeypatch.setattr(workers, "TAIL_KIB", 4)


@pytest.mark.usefixtures("small_chunks")
def test_jobs_writes_exactly_what_a_serial_run_writes(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    bad = _jsonl_with_bad_lines(cases, 7000)  # several chunks per worker
    serial = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--format", "jsonl")
    parallel = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--format", "jsonl", "--jobs", "2")
    assert parallel.exit_code == serial.exit_code == 1  # error records were written
    assert parallel.stdout == serial.stdout
    assert parallel.stderr == serial.stderr
    records = _lines(parallel.stdout)
    blank = [n for n in range(1, 7001) if n % 211 == 0 and n % 97 != 0]
    assert [r["input"]["line"] for r in records] == [n for n in range(1, 7001) if n not in blank]
    errors = {r["input"]["line"]: r for r in records if r["status"] == "error"}
    assert set(errors) == set(bad)
    # Line 97 * k holds hostile[k % 5].
    assert errors[97 * 1]["error"]["code"] == "invalid_utf8"
    assert errors[97 * 2]["error"]["code"] == "not_an_object"
    assert errors[97 * 3]["error"]["code"] == "not_an_object"
    assert errors[97 * 4]["error"]["code"] == "invalid_answer"
    assert errors[97 * 4]["error"]["path"] == "pain_quality"
    assert errors[97 * 5]["error"]["code"] == "invalid_json"
    ok = [r for r in records if r["status"] != "error"]
    assert [r["input"]["id"] for r in ok] == [f"c{r['input']['line']}" for r in ok]
    assert f"{len(blank)} blank lines skipped" in parallel.stderr


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("on_error", ["record", "fail"])
def test_jobs_writes_csv_as_a_serial_run_does(invoke: Invoke, tmp_path: Path, on_error: str) -> None:
    # CSV is concatenable: each worker renders its chunks' rows without the column names, which
    # the main process writes once. To a file (the workers write it) and to a test runner's
    # stdout (the main process copies their rows), every byte is the serial run's.
    cases = tmp_path / "cases.jsonl"
    _jsonl_with_bad_lines(cases, 7000)
    args = ("evaluate", "leg-pain@1.0.0", str(cases), "--format", "csv", "--on-error", on_error)
    serial = invoke(*args)
    rows = serial.stdout.splitlines()
    assert rows[0].startswith("line,row,id,") and len(rows) > (2 if on_error == "record" else 1)
    streamed = invoke(*args, "--jobs", "2")
    assert (streamed.exit_code, streamed.stdout, streamed.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    out = tmp_path / "out.csv"
    to_file = invoke(*args, "--jobs", "2", "-o", str(out))
    assert to_file.exit_code == serial.exit_code
    if on_error == "record":
        assert out.read_text(encoding="utf-8") == serial.stdout
    else:
        assert not out.exists()  # --output is written whole or not at all
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    alone = invoke("evaluate", "leg-pain@1.0.0", str(empty), "--format", "csv", "--jobs", "2")
    assert alone.stdout == rows[0] + "\n"  # the column names, once


def test_jobs_with_csv_input_keeps_rows_in_order(invoke: Invoke, tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(
            ["id", "pain_quality", "pain_pattern", "numbness_tingling_weakness", "bladder_bowel_control"]
        )
        for n in range(1, 2501):
            rows.writerow(
                [f"r{n}", rng.choice(QUALITIES), "follows_path", rng.choice(["yes", "NO", "1", ""]), "false"]
            )
    serial = invoke("evaluate", "leg-pain@1.0.0", str(path), "--format", "jsonl")
    parallel = invoke("evaluate", "leg-pain@1.0.0", str(path), "--format", "jsonl", "--jobs", "2")
    assert parallel.stdout == serial.stdout
    records = _lines(parallel.stdout)
    assert [r["input"]["row"] for r in records] == list(range(1, 2501))
    assert [r["input"]["id"] for r in records] == [f"r{n}" for n in range(1, 2501)]


def test_csv_output_has_one_row_per_record(invoke: Invoke) -> None:
    cases = "\n".join(
        [
            json.dumps(
                {
                    "id": "a",
                    "pain_quality": "burning",
                    "pain_pattern": "follows_path",
                    "numbness_tingling_weakness": False,
                    "bladder_bowel_control": True,
                }
            ),
            "oops",
            json.dumps({"id": "c", "pain_quality": "dull"}),
        ]
    )
    result = invoke("evaluate", "leg-pain@1.0.0", "-", "--format", "csv", input=cases + "\n")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["line"] for r in rows] == ["1", "2", "3"]
    first, second, third = rows
    assert (first["id"], first["outcome"], first["urgency"], first["red_flags"]) == (
        "a",
        "nerve",
        "emergency",
        "bladder_bowel",
    )
    assert first["scores"] == "nerve_signs=2"
    assert (second["status"], second["error_code"]) == ("error", "invalid_json")
    assert third["status"] == "undetermined"
    assert third["scores"] == "nerve_signs=0..2"
    assert third["not_screened"] == "bladder_bowel"
    assert third["missing"] == "numbness_tingling_weakness;pain_pattern"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_too_long_line_is_an_error_record_in_place(invoke: Invoke, tmp_path: Path, jobs: str) -> None:
    good = json.dumps({"id": "ok", "pain_quality": "dull"})
    huge = json.dumps({"id": "huge", "pain_quality": "x" * 5000})
    cases = tmp_path / "cases.jsonl"
    cases.write_text(f"{good}\n{huge}\n{good}\n", encoding="utf-8")
    result = invoke(
        "evaluate",
        "leg-pain@1.0.0",
        str(cases),
        "--format",
        "jsonl",
        "--max-line-bytes",
        "1000",
        "--jobs",
        jobs,
    )
    records = _lines(result.stdout)
    assert [(r["input"]["line"], r["status"]) for r in records] == [
        (1, "undetermined"),
        (2, "error"),
        (3, "undetermined"),
    ]
    assert records[1]["error"]["code"] == "line_too_long"
    assert records[1]["not_screened"] == ["bladder_bowel"]  # nothing read, nothing ruled out


@pytest.mark.usefixtures("small_chunks")
def test_on_error_fail_stops_at_the_first_error_with_jobs(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    bad = _jsonl_with_bad_lines(cases, 3000)
    out = tmp_path / "out.jsonl"
    result = invoke(
        "evaluate", "leg-pain@1.0.0", str(cases), "--on-error", "fail", "--jobs", "2", "-o", str(out)
    )
    assert result.exit_code == 2  # stopped: not the 1 of a complete run
    assert f"line {min(bad)}:" in result.stderr
    assert not out.exists()  # --output is written whole or not at all
    streamed = invoke(
        "evaluate", "leg-pain@1.0.0", str(cases), "--on-error", "fail", "--jobs", "2", "--format", "jsonl"
    )
    assert [r["input"]["line"] for r in _lines(streamed.stdout)] == list(range(1, min(bad) + 1))


def test_progress_goes_to_stderr_only(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"pain_quality": "dull"}\n' * 2500, encoding="utf-8")
    shown = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--format", "jsonl", "--progress")
    assert len(_lines(shown.stdout)) == 2500  # every stdout line is still a record
    assert "2,500 records" in shown.stderr
    hidden = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--format", "jsonl")
    assert "records" not in hidden.stderr.replace("evaluated 2500 records", "")


@pytest.mark.slow
def test_jobs_from_stdin_through_the_console_script(tmp_path: Path) -> None:
    lines = "".join(json.dumps(_case(random.Random(n), n)) + "\n" for n in range(1, 4001))
    runs = [
        subprocess.run(
            [RULES, "evaluate", "leg-pain@1.0.0", "-", "--jobs", jobs],
            input=lines,
            capture_output=True,
            text=True,
            check=False,
        )
        for jobs in ("1", "2")
    ]
    assert runs[0].returncode == runs[1].returncode == 0, runs[1].stderr
    assert runs[0].stdout == runs[1].stdout
    assert len(runs[1].stdout.splitlines()) == 4000


@pytest.mark.slow
@pytest.mark.parametrize("into", ["--output", "stdout"])
def test_jobs_workers_write_a_real_output_in_order(tmp_path: Path, into: str) -> None:
    """With a real file descriptor, workers write their chunks themselves, taking turns."""
    cases = tmp_path / "cases.jsonl"
    bad = _jsonl_with_bad_lines(cases, 25000)  # several blocks of 512 KiB per worker
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        args = [RULES, "evaluate", "leg-pain@1.0.0", str(cases), "--jobs", jobs]
        if into == "--output":
            proc = subprocess.run([*args, "-o", str(out)], capture_output=True, check=False)
        else:
            with out.open("wb") as sink:
                proc = subprocess.run(args, stdout=sink, stderr=subprocess.PIPE, check=False)
        assert proc.returncode == 1, proc.stderr  # error records were written
        outputs.append((out.read_bytes(), proc.stderr))
    assert outputs[1] == outputs[0]
    blank = sum(1 for n in range(1, 25001) if n % 211 == 0 and n % 97)  # as _jsonl_with_bad_lines
    assert outputs[0][0].count(b"\n") == 25000 - blank  # blank lines give no record
    assert len(bad) > 10


@pytest.mark.slow
def test_jobs_workers_stop_writing_at_the_first_error(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    bad = _jsonl_with_bad_lines(cases, 3000)
    out = tmp_path / "out.jsonl"
    with out.open("wb") as sink:
        proc = subprocess.run(
            [RULES, "evaluate", "leg-pain@1.0.0", str(cases), "--jobs", "2", "--on-error", "fail"],
            stdout=sink,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert proc.returncode == 2
    assert [r["input"]["line"] for r in _lines(out.read_text())] == list(range(1, min(bad) + 1))
    atomic = tmp_path / "atomic.jsonl"
    proc = subprocess.run(
        [
            RULES,
            "evaluate",
            "leg-pain@1.0.0",
            str(cases),
            "--jobs",
            "2",
            "--on-error",
            "fail",
            "-o",
            str(atomic),
        ],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 2 and not atomic.exists()
    assert not list(tmp_path.glob(".rules-*"))


@pytest.mark.slow
def test_jobs_to_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    _jsonl_with_bad_lines(cases, 20000)
    with subprocess.Popen(
        [RULES, "evaluate", "leg-pain@1.0.0", str(cases), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert json.loads(proc.stdout.readline())["input"]["line"] == 1
        proc.stdout.close()  # like `| head -n 1`
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 141  # 128 + SIGPIPE
    assert b"Traceback" not in err and b"Error" not in err


@pytest.mark.slow
def test_jobs_with_long_lines_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    """Workers read their blocks from the file itself (by offset) or get them from the main
    process (stdin); lines too long to read, even longer than a block, stay in place."""
    cases = tmp_path / "cases.jsonl"
    _jsonl_with_bad_lines(cases, 12000)
    lines = cases.read_bytes().splitlines(keepends=True)
    huge = json.dumps({"id": "huge", "pain_quality": "x" * 600_000}).encode() + b"\n"  # > 2 blocks
    long = json.dumps({"id": "long", "pain_quality": "y" * 3000}).encode() + b"\n"
    for at in (1, 2500, 2501, 4000):
        lines.insert(at, huge if at % 2 else long)
    cases.write_bytes(b"".join(lines) + huge.rstrip(b"\n"))  # the last line: long, no newline
    runs = []
    for jobs in ("1", "2"):
        for source in ("file", "stdin"):
            out = tmp_path / f"out-{jobs}-{source}.jsonl"
            args = [
                RULES,
                "evaluate",
                "leg-pain@1.0.0",
                "--max-line-bytes",
                "2000",
                "--jobs",
                jobs,
                "-o",
                str(out),
            ]
            if source == "file":
                proc = subprocess.run([*args, str(cases)], capture_output=True, check=False)
            else:
                with cases.open("rb") as stdin:
                    proc = subprocess.run([*args, "-"], stdin=stdin, capture_output=True, check=False)
            assert proc.returncode == 1, proc.stderr
            runs.append((out.read_bytes(), proc.stderr))
    assert runs[1] == runs[2] == runs[3] == runs[0]
    records = _lines(runs[0][0].decode())
    too_long = [r["input"]["line"] for r in records if r["error"] and r["error"]["code"] == "line_too_long"]
    assert too_long == [2, 2501, 2502, 4001, len(lines) + 1]


@pytest.mark.slow
def test_jobs_output_shares_its_file_like_a_sequential_writer(tmp_path: Path) -> None:
    """Workers place their chunks into a regular file side by side; what the caller writes to the
    same file afterwards still goes after them, and a file opened to append is appended to."""
    cases = tmp_path / "cases.jsonl"
    _jsonl_with_bad_lines(cases, 15000)
    args = [RULES, "evaluate", "leg-pain@1.0.0", str(cases), "-q"]
    expected = subprocess.run(args, capture_output=True, check=False).stdout
    shared = tmp_path / "shared.jsonl"
    with shared.open("wb") as out:
        out.write(b"header\n")
        out.flush()
        subprocess.run([*args, "--jobs", "2"], stdout=out, check=False)
        out.write(b"trailer\n")  # at the shared position the run left behind
    assert shared.read_bytes() == b"header\n" + expected + b"trailer\n"
    appended = tmp_path / "appended.jsonl"
    appended.write_bytes(b"before\n")
    with appended.open("ab") as out:
        subprocess.run([*args, "--jobs", "2"], stdout=out, check=False)
    assert appended.read_bytes() == b"before\n" + expected


@pytest.mark.slow
def test_jobs_reads_a_file_on_stdin_from_where_the_caller_left_it(tmp_path: Path) -> None:
    # `{ read header; rules evaluate - --jobs 2; } < cases.jsonl`: the workers read the file by
    # offset, and must start where standard input stands, as one process reads it.
    cases = tmp_path / "cases.jsonl"
    _jsonl_with_bad_lines(cases, 8000)
    header = b'{"a header line": true}\n'
    cases.write_bytes(header + cases.read_bytes())
    outputs = []
    for jobs in ("1", "2"):
        with cases.open("rb") as stdin:
            stdin.seek(len(header))
            proc = subprocess.run(
                [RULES, "evaluate", "leg-pain@1.0.0", "-", "-q", "--jobs", jobs],
                stdin=stdin,
                capture_output=True,
                check=False,
            )
        outputs.append(proc.stdout)
    assert outputs[1] == outputs[0]
    assert b"a header line" not in outputs[0] and outputs[0].count(b"\n") > 7900
