"""`rules evaluate --jobs N`, through the command: output byte for byte that of `--jobs 1` however
the chunks travel, writes cut short, an early end, a failing format, workers that end with the
run, and the worker lifecycle hooks in every process that evaluates records."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rulewright.core import hookimpl, make_plugin_host
from rulewright.core.cli import behind, cli, sink, workers
from rulewright.core.cli.app import App
from rulewright.core.evaluate.records import ReadOptions
from rulewright.plugins.adapters import JsonLines
from tests.faults import plugins as faulty

Invoke = Any


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 16 KiB, so a small input gives every worker many (forked workers inherit it)."""
    monkeypatch.setattr(workers, "CHUNK_KIB", 16)
    monkeypatch.setattr(workers, "TAIL_KIB", 4)


def _cases(path: Path, count: int, bad_every: int = 0) -> Path:
    lines = [
        f'{{"id": {n}, "pain_quality": "burning", "pain_severe": {str(n % 3 == 0).lower()}}}'
        for n in range(count)
    ]
    if bad_every:
        lines[bad_every::bad_every] = ["{not json"] * len(lines[bad_every::bad_every])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_jobs_writes_an_output_file_byte_for_byte_as_one_process(
    invoke: Invoke, tmp_path: Path, source: str, fmt: str
) -> None:
    # From a file the workers take their chunks themselves; from stdin (here a pipe) the main
    # process hands them out. JSON Lines and CSV the workers write into the file; a JSON array
    # the main process writes from their results.
    cases = _cases(tmp_path / "cases.jsonl", 3000, bad_every=97)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        args = ["evaluate", "leg-pain@1.0.0", "--format", fmt, "--jobs", jobs, "-o", str(out)]
        given = (str(cases),) if source == "file" else ("-",)
        result = invoke(*args, *given, input=cases.read_bytes() if source == "stdin" else None)
        assert result.exit_code == 1, result.output  # error records were written
        outputs.append((out.read_bytes(), result.stderr))
    assert outputs[1] == outputs[0]
    assert "evaluated 3000 records" in outputs[0][1]


def test_chunks_written_in_short_pieces_land_whole_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke
) -> None:
    # Vectored writes cut short at odd places, as a full disk or a signal can leave them, and
    # never more pieces than Linux takes (1,024): every byte lands once, in order.
    real = os.pwritev

    def short(fd: int, buffers: list[Any], offset: int) -> int:
        assert len(buffers) <= 1024
        joined = b"".join(bytes(b) for b in buffers)
        return real(fd, [joined[: len(joined) // 3 + 5]], offset)

    monkeypatch.setattr(os, "pwritev", short)
    monkeypatch.setattr(workers, "CHUNK_KIB", 64)
    cases = _cases(tmp_path / "cases.jsonl", 6000)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "-o", str(one)).exit_code == 0
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--jobs", "2", "-o", str(two))
    assert result.exit_code == 0, result.output
    assert two.read_bytes() == one.read_bytes()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_output_that_replaces_a_file_goes_to_disk_as_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke, jobs: str
) -> None:
    # Write-behind (behind.py): the bytes of an --output that replaces a file are asked to be
    # written out in order, each once, while the run goes on; a new file and standard output
    # (the caller's file) are left to the kernel.
    log = tmp_path / "asked"

    def ask(fd: int, at: int, n: int) -> None:  # forked workers ask too: through a file
        with log.open("a") as f:
            f.write(f"{at} {n}\n")

    def asked() -> list[tuple[int, int]]:
        lines = log.read_text().split() if log.exists() else []
        return sorted((int(at), int(n)) for at, n in zip(lines[::2], lines[1::2], strict=True))

    monkeypatch.setattr(behind, "start_writing", ask)
    monkeypatch.setattr(behind, "STEP", 64 << 10)
    monkeypatch.setattr(workers, "CHUNK_KIB", 64)  # several chunks per worker
    cases = _cases(tmp_path / "cases.jsonl", 12000)
    out = tmp_path / "out.jsonl"
    out.write_text("the previous run's output\n")
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "-o", str(out), "--jobs", jobs)
    assert result.exit_code == 0, result.output
    ranges, size = asked(), out.stat().st_size
    assert len(ranges) > 1 and ranges[0][0] == 0
    assert all(at + n == after for (at, n), (after, _) in pairwise(ranges))
    end = ranges[-1][0] + ranges[-1][1]
    if jobs == "1":  # STEP by STEP; what is left at the end goes with the rename
        assert all(n >= 64 << 10 for _, n in ranges) and size - sink.OUTPUT_BUFFER - (64 << 10) < end <= size
    else:  # the workers ask for each chunk they place
        assert end == size
    log.unlink()
    new = tmp_path / "new.jsonl"  # a rename to a new name flushes nothing: left to the kernel
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "-o", str(new), "--jobs", jobs)
    assert result.exit_code == 0 and new.stat().st_size == size and not asked()
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--format", "jsonl", "--jobs", jobs)
    assert result.exit_code == 0 and not asked()


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_on_error_fail_ends_early_and_every_worker_with_it(invoke: Invoke, tmp_path: Path, fmt: str) -> None:
    # To a stream the test runner holds (no descriptor), the main process writes what the
    # workers send back, rendered (jsonl) or as results (json). The run stops at the first
    # error record; the chunks not started are cancelled and every worker exits.
    cases = _cases(tmp_path / "cases.jsonl", 6000)
    lines = cases.read_text().splitlines(keepends=True)
    lines[3000] = "{not json\n"
    cases.write_text("".join(lines))
    result = invoke(
        "evaluate", "leg-pain@1.0.0", str(cases), "--on-error", "fail", "--jobs", "2", "--format", fmt
    )
    assert result.exit_code == 2  # stopped at the error record: the output is not complete
    assert "line 3001:" in result.stderr
    if fmt == "jsonl":
        written = [json.loads(line)["input"]["line"] for line in result.stdout.splitlines()]
        assert written == list(range(1, 3002))
    assert multiprocessing.active_children() == []  # every worker has exited and been reaped


@pytest.mark.usefixtures("small_chunks")
def test_a_format_failing_in_the_main_process_ends_the_run_and_its_workers(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "cases.jsonl", 6000)
    host = make_plugin_host(entrypoints=False, extra=[("faulty", faulty.FormatPlugin("write-always"))])
    result = CliRunner().invoke(
        cli,
        ["evaluate", "leg-pain@1.0.0", str(cases), "--jobs", "2", "--format", "faulty"],
        obj=App(_host=host),
    )
    assert result.exit_code == 2, result.output
    assert "failed twice" in result.stderr
    assert multiprocessing.active_children() == []


class _Lifecycle:
    """Counts the records each process evaluates; says so when the process stops."""

    def __init__(self, log: Path) -> None:
        self.log, self.count = log, 0

    @hookimpl
    def rulewright_worker_started(self) -> None:
        self.count = 0
        with self.log.open("a") as f:
            f.write(f"started {os.getpid()}\n")

    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        self.count += 1

    @hookimpl
    def rulewright_worker_stopping(self) -> None:
        with self.log.open("a") as f:
            f.write(f"stopping {os.getpid()} {self.count}\n")


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("jobs", [1, 2])
def test_every_process_that_evaluates_records_starts_and_stops_once(tmp_path: Path, jobs: int) -> None:
    # Workers leave through os._exit: an atexit handler would never run there.
    cases = _cases(tmp_path / "cases.jsonl", 3000)
    log = tmp_path / "log"
    host = make_plugin_host(entrypoints=False, extra=[("lifecycle", _Lifecycle(log))])
    args = ["evaluate", "leg-pain@1.0.0", str(cases), "--jobs", str(jobs), "-o", str(tmp_path / "out.jsonl")]
    result = CliRunner().invoke(cli, args, obj=App(_host=host))
    assert result.exit_code == 0, result.output
    events = [line.split() for line in log.read_text().splitlines()]
    started = [event[1] for event in events if event[0] == "started"]
    stopped = {event[1]: int(event[2]) for event in events if event[0] == "stopping"}
    assert len(started) == len(set(started)) == jobs
    assert sorted(stopped) == sorted(started)
    assert sum(stopped.values()) == 3000  # each stopped after its last record
    assert (str(os.getpid()) in started) == (jobs == 1)  # --jobs N: only the workers evaluate


def _lines_of(blocks: list[tuple[int, bytes | None]], limit: int) -> list[tuple[int, bytes | None]]:
    """(line number, line) for every line in (first line, whole lines) blocks, as `read_chunk`
    reads them: None for a line longer than `limit`."""
    lines: list[tuple[int, bytes | None]] = []
    for first, data in blocks:
        if data is None:
            lines.append((first, None))
            continue
        parts = data.split(b"\n")
        if data.endswith(b"\n"):
            parts.pop()
        lines.extend((n, None if len(line) > limit else line) for n, line in enumerate(parts, first))
    return lines


@pytest.mark.parametrize("header", [b"", b"a header the caller read\n"])
def test_spans_cover_every_line_once_from_where_the_file_stands(tmp_path: Path, header: bytes) -> None:
    # The JSON Lines adapter's `span`, as workers take their chunks: spans of 1 KiB, lines of
    # at most 1,500 bytes: shorter than a span, longer but readable, too long to read, blank,
    # CRLF, and a last line with no newline.
    raw = [b'{"id": 1}', b"", b'{"id": 2}\r', b"x" * 1400, b"y" * 1600, *[b'{"id": 3}'] * 200, b"z" * 5000]
    body = b"\n".join([*raw, b'{"id": "last"}'])
    path = tmp_path / "cases.jsonl"
    path.write_bytes(header + body)
    options = ReadOptions(max_line_bytes=1500)
    expected = [(n, None if len(line) > 1500 else line) for n, line in enumerate(body.split(b"\n"), 1)]
    fd = os.open(path, os.O_RDONLY)
    try:
        blocks, first, offset = [], 1, len(header)
        while covered_data := JsonLines().span(fd, offset, 1024, options):
            covered, data = covered_data
            if not covered:
                break
            blocks.append((first, data))
            first, offset = first + (1 if data is None else data.count(b"\n")), offset + covered
    finally:
        os.close(fd)
    assert _lines_of(blocks, 1500) == expected
    assert [first for first, data in blocks if data is None] == [5, 206]  # left unread
    with path.open("rb") as stream:  # what the main process cuts when it reads the blocks itself
        stream.seek(len(header))
        assert _lines_of(list(JsonLines().split(stream, None, options, 1)), 1500) == expected  # type: ignore[arg-type]


def test_standard_output_to_a_file_is_written_in_large_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not on a terminal, standard output gets a large buffer, emptied when the run ends.
    import io

    target = tmp_path / "stdout.jsonl"
    with target.open("w", encoding="utf-8") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        with sink.Sink(None) as out:
            out.write("x" * 100_000)
            assert target.stat().st_size == 0  # held, well past 8 KiB
        assert target.stat().st_size == 100_000
    terminal = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr(terminal, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdout", terminal)
    with sink.Sink(None) as out:
        assert out.stream is terminal  # a terminal sees each record as it comes


@pytest.mark.usefixtures("small_chunks")
def test_a_chunk_that_cannot_be_read_ends_the_run_without_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers take their chunks from the file in turns: one that fails must still pass its
    # turns, or the next chunk's worker waits forever and the run with it.
    import errno
    import threading

    span, calls = JsonLines.span, [0]

    def failing(self: JsonLines, *args: Any) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return span(self, *args)

    monkeypatch.setattr(JsonLines, "span", failing)  # before the fork: both workers count alike
    cases = _cases(tmp_path / "cases.jsonl", 6000)
    out = tmp_path / "out.jsonl"
    ended: list[Any] = []
    args = ["evaluate", "leg-pain@1.0.0", str(cases), "--jobs", "2", "-o", str(out)]
    run = threading.Thread(target=lambda: ended.append(CliRunner().invoke(cli, args)), daemon=True)
    run.start()
    run.join(timeout=60)
    assert ended, "the run hung"
    assert ended[0].exit_code == 2, ended[0].output
    assert "Input/output error" in ended[0].stderr
    assert not out.exists() and multiprocessing.active_children() == []


class _SlowOn:
    """Holds up one case, so the chunks after it are rendered before their turn to be written."""

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        if result.id == self.case_id:
            import time

            time.sleep(0.5)  # not measured: any delay lets the other worker run ahead
        return None


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_chunks_rendered_before_their_turn_are_all_written(tmp_path: Path, source: str) -> None:
    # The last chunks are rendered while an earlier one is held up: their worker keeps them
    # until their turn comes, at the latest as it leaves the pool.
    cases = _cases(tmp_path / "cases.jsonl", 3000)
    host = make_plugin_host(entrypoints=False, extra=[("slow", _SlowOn(2900))])
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        given = str(cases) if source == "file" else "-"
        args = ["evaluate", "leg-pain@1.0.0", given, "-q", "--jobs", jobs, "-o", str(out)]
        stdin = cases.read_bytes() if source == "stdin" else None
        result = CliRunner().invoke(cli, args, input=stdin, obj=App(_host=host))
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[1] == outputs[0]
