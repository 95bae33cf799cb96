"""`--jobs` workers: the parent's signal handling stays in the parent; chunks written in pieces;
a worker that keeps working while a chunk waits for its turn."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from rulewright.core.cli import behind, crew, parallel, sink, turns
from rulewright.core.cli.cursor import Cursor
from rulewright.core.cli.shared import SharedInts, SharedLock
from rulewright.core.evaluate.records import ReadOptions
from rulewright.plugins.adapters import JsonLines


@pytest.fixture
def saved_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_a_worker_drops_the_clis_sigterm_handler(
    saved_signals: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI turns SIGTERM into SystemExit so `-o` can remove its partial file. A forked worker
    # inherits that handler; raising inside the pool's queue locks can hang Pool.terminate().
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    monkeypatch.setattr(parallel, "_worker", object())  # as under fork: the engine is inherited
    parallel._init(parallel.Job("leg-pain@1.0.0", "id", False, "jsonl", "jsonl", False))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # Ctrl-C is the parent's to handle


def test_a_chunk_in_many_pieces_is_written_whole_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More pieces than one vectored write takes (1,024 on Linux), through writes cut short at
    # odd places, as a full disk or a signal can leave them: every byte lands once, in order.
    pieces = [f"record {n}\n".encode() for n in range(3000)]
    everything = b"".join(pieces)
    batches: list[int] = []  # pieces handed to each vectored write
    written = [0]  # bytes written in all

    def short(write: Any) -> Any:
        def cut(fd: int, buffers: list[memoryview], *offset: int) -> int:
            batches.append(len(buffers))
            joined = b"".join(bytes(b) for b in buffers)
            part = joined[: len(joined) // 3 + 5]  # a third, ending inside a piece
            written[0] += len(part)
            assert written[0] <= 2 * len(everything), "wrote the same bytes again"
            return int(write(fd, [part], *offset))

        return cut

    monkeypatch.setattr(os, "pwritev", short(os.pwritev))
    monkeypatch.setattr(os, "writev", short(os.writev))
    target = tmp_path / "out"
    with target.open("wb") as out:
        out.write(b"head\n")
        out.flush()
        turns.Turns(out.fileno()).write(0, pieces)
    assert target.read_bytes() == b"head\n" + everything
    assert max(batches) == 1024  # never more than Linux takes
    read, write = os.pipe()  # a stream: written in turn, where it stands
    with os.fdopen(read, "rb") as reader:
        turns.Turns(write).write(0, pieces[:50])
        os.close(write)
        assert reader.read() == b"".join(pieces[:50])


class _Connection:
    """A worker's end of its pipe, in one process: tasks to hand out, replies sent back."""

    def __init__(self, tasks: list[Any]) -> None:
        self.tasks, self.replies = tasks, []  # type: list[Any], list[Any]

    def poll(self, timeout: float = 0) -> bool:
        return bool(self.tasks)

    def recv(self) -> Any:
        return self.tasks.pop(0)

    def send(self, reply: Any) -> None:
        self.replies.append(reply)


def test_a_worker_takes_its_next_chunk_while_one_waits_for_its_turn() -> None:
    # Chunk 0's turn comes only once chunk 1 is done (as when another worker is slow with the
    # chunk before it). The worker must not sit waiting with chunk 1 in hand.
    served: list[int] = []
    looks = [0]  # times the worker looked at chunk 0's turn

    class Chunk:
        def __init__(self, index: int) -> None:
            self.index = index

        def settle(self) -> bool:
            ready = self.index > 0 or 1 in served
            looks[0] += not ready
            assert looks[0] < 1000, "kept waiting for a turn with a chunk still to do"
            return ready

        def reply(self) -> tuple[int, str, Any]:
            return (self.index, "ok", self.index)

    def serve(task: tuple[int, Any]) -> Chunk:
        served.append(task[0])
        return Chunk(task[0])

    connection = _Connection([(0, "a"), (1, "b"), None])
    crew._loop(connection, serve, lambda: None, None, 2)
    answers = [reply for reply in connection.replies if reply != crew._EVALUATED]
    assert answers == [[(0, "ok", 0), (1, "ok", 1)]]  # results still go back in order
    assert connection.replies.index(crew._EVALUATED) < connection.replies.index(answers[0])


class _Quiet(_Connection):
    """The pipe of a worker that takes its own chunks: the main process says nothing until the end."""

    def poll(self, timeout: float = 0) -> bool:
        return False


def test_a_worker_taking_its_own_chunks_holds_at_most_its_share_unwritten() -> None:
    # Chunk 0's turn comes late (as when another worker is slow with the chunk before it). The
    # worker takes more chunks meanwhile, but no more than its share: that bounds the memory
    # the chunks waiting to be written take.
    chunks = iter(range(10))
    taken: list[int] = []
    looks = [0]
    held_when_written: list[int] = []

    class Chunk:
        def __init__(self, index: int) -> None:
            self.index = index

        def settle(self) -> bool:
            if self.index == 0:
                looks[0] += 1
                if looks[0] < 50:
                    return False
                held_when_written.append(len(taken))
            return True

        def reply(self) -> tuple[int, str, Any]:
            return (self.index, "ok", self.index)

    def take() -> tuple[int, Any] | None:
        index = next(chunks, None)
        if index is None:
            return None
        taken.append(index)
        return index, "chunk"

    connection = _Quiet([None])
    crew._loop(connection, lambda task: Chunk(task[0]), lambda: None, take, 3)
    assert held_when_written == [3]
    batches = [reply for reply in connection.replies if isinstance(reply, list)]
    assert [answer for batch in batches for answer in batch] == [(n, "ok", n) for n in range(10)]
    assert len(batches) < 10  # sent together: each message wakes the main process
    assert (-1, "exhausted", 10) in connection.replies


class _Chunks:
    """`take` for forked workers: chunks 0 to `count` - 1, each to whichever worker asks first."""

    def __init__(self, count: int) -> None:
        self.count, self.lock, self.next = count, SharedLock(), SharedInts(value=0)

    def take(self) -> tuple[int, Any] | None:
        with self.lock:
            index = self.next.value
            if index == self.count:
                return None
            self.next.value += 1
        return index, "chunk"


def test_workers_taking_their_own_chunks_answer_every_one_in_order(tmp_path: Path) -> None:
    chunks = _Chunks(20)
    workers = crew.Crew(2, lambda task: _Done(task[0]), lambda: None, queued=2, ahead=4, take=chunks.take)
    try:
        assert [index for index, _ in workers.results()] == list(range(20))
        workers.close()
    finally:
        workers.terminate()
        chunks.lock.close()


def test_a_worker_that_cannot_take_a_chunk_stops_the_run() -> None:
    def take() -> tuple[int, Any] | None:
        raise OSError(5, "Input/output error")

    serve = lambda task: _Done(task[0])  # noqa: E731
    workers = crew.Crew(2, serve, lambda: None, queued=2, ahead=4, take=take)
    try:
        with pytest.raises(OSError, match="Input/output error"):
            list(workers.results())
    finally:
        workers.terminate()


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


def _spans(path: Path, start: int, size: int, options: ReadOptions) -> list[tuple[int, bytes | None]]:
    """Every span of the file from byte `start`, taken one after another, as (first line, bytes)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        blocks, first, offset = [], 1, start
        while True:
            covered, data = JsonLines().span(fd, offset, size, options)
            if not covered:
                return blocks
            blocks.append((first, data))
            first, offset = first + (1 if data is None else data.count(b"\n")), offset + covered
    finally:
        os.close(fd)


@pytest.mark.parametrize("header", [b"", b"a header the caller read\n"])
def test_spans_cover_every_line_once_from_where_the_file_stands(tmp_path: Path, header: bytes) -> None:
    # Spans of 1 KiB, lines of at most 1,500 bytes: lines shorter than a span, longer than a
    # span but readable, too long to read, blank, CRLF, and a last line with no newline.
    raw = [b'{"id": 1}', b"", b'{"id": 2}\r', b"x" * 1400, b"y" * 1600, *[b'{"id": 3}'] * 200, b"z" * 5000]
    body = b"\n".join([*raw, b'{"id": "last"}'])
    path = tmp_path / "cases.jsonl"
    path.write_bytes(header + body)
    options = ReadOptions(max_line_bytes=1500)
    expected = [(n, None if len(line) > 1500 else line) for n, line in enumerate(body.split(b"\n"), 1)]
    blocks = _spans(path, len(header), 1024, options)
    assert _lines_of(blocks, 1500) == expected
    assert [first for first, data in blocks if data is None] == [5, 206]  # left unread
    with path.open("rb") as stream:  # what the main process cuts when it reads the blocks itself
        stream.seek(len(header))
        assert _lines_of(list(JsonLines().split(stream, None, options, 1)), 1500) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_output_that_replaces_a_file_goes_to_disk_as_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Any, jobs: str
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
    monkeypatch.setattr(turns, "start_writing", ask)
    monkeypatch.setattr(behind, "STEP", 64 << 10)
    monkeypatch.setattr(parallel, "CHUNK_KIB", 64)  # several chunks per worker
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(f'{{"id": {n}, "pain_quality": "burning"}}\n' for n in range(12000)))
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
    # A new file: the rename flushes nothing, so the kernel writes it out in its own time.
    result = invoke(
        "evaluate", "leg-pain@1.0.0", str(cases), "-q", "-o", str(tmp_path / "new.jsonl"), "--jobs", jobs
    )
    assert result.exit_code == 0 and (tmp_path / "new.jsonl").stat().st_size == size and not asked()
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--format", "jsonl", "--jobs", jobs)
    assert result.exit_code == 0 and not asked()


class _Done:
    def __init__(self, index: int) -> None:
        self.index = index

    def settle(self) -> bool:
        return True

    def reply(self) -> tuple[int, str, Any]:
        return (self.index, "ok", (self.index, os.getpid()))


def test_a_chunk_goes_to_the_worker_with_the_fewest_in_hand(tmp_path: Path) -> None:
    # Chunk 0 holds its worker until the test says so; the next chunks must go to the other
    # worker, the free one (handed round in turn, chunk 2 would wait behind chunk 0).
    go = tmp_path / "go"

    def serve(task: tuple[int, Any]) -> _Done:
        if task[0] == 0:
            for _ in range(2000):
                if go.exists():
                    break
                time.sleep(0.01)
        return _Done(task[0])

    workers = crew.Crew(2, serve, lambda: None, queued=2, ahead=6)
    try:
        for _ in range(2):
            workers.send("chunk")
        _, free = workers.receive(1)
        for index in (2, 3):
            workers.send("chunk")
            assert workers.receive(index) == (index, free)
        go.touch()
        _, held = workers.receive(0)
        assert held != free
        workers.close()
    finally:
        workers.terminate()


def test_workers_get_chunks_while_an_earlier_one_is_still_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunk 0 holds its worker until chunk 8 has been served: more chunks than the workers may
    # hold at once (2 x IN_FLIGHT). Results are still taken in order, but waiting for chunk 0's
    # must not stop the free worker getting more chunks.
    def serve(task: tuple[int, Any]) -> _Done:
        index = task[0]
        (tmp_path / f"served-{index}").touch()
        if index == 0:
            for _ in range(2000):
                if (tmp_path / "served-8").exists():
                    break
                time.sleep(0.01)
            else:
                (tmp_path / "gave-up").touch()
        return _Done(index)

    monkeypatch.setattr(parallel, "_serve", serve)
    monkeypatch.setattr(parallel, "_worker", object())  # as under fork: nothing to build
    results: list[Any] = []
    job = parallel.Job("leg-pain@1.0.0", None, False, "jsonl", "jsonl", False)
    work = iter([("chunk", None)] * 12)
    assert parallel._run_crew(job, 2, work, lambda out: not results.append(out))
    assert [index for index, _ in results] == list(range(12))
    assert not (tmp_path / "gave-up").exists()


def test_a_fast_worker_keeps_getting_chunks_while_theirs_wait_for_a_slow_one(tmp_path: Path) -> None:
    # Chunk 0 is slow; the other worker's chunks are evaluated but cannot be written before it.
    # They still count as done for handing out work: the fast worker gets on with the next
    # ones (as many as the crew may hold ahead) instead of waiting with the slow one.
    def flag(name: str) -> Path:
        return tmp_path / name

    def until(name: str) -> None:
        for _ in range(2000):
            if flag(name).exists():
                return
            time.sleep(0.01)
        flag("gave-up").touch()

    class InTurn(_Done):
        def settle(self) -> bool:
            if self.index == 0:
                flag("0-written").touch()
            return flag("0-written").exists()

    def serve(task: tuple[int, Any]) -> InTurn:
        if task[0] == 0:
            until("go")
        return InTurn(task[0])

    workers = crew.Crew(2, serve, lambda: None, queued=2, ahead=8)
    try:
        for _ in range(8):
            workers.send("chunk")
        flag("go").touch()
        by = [workers.receive(index)[1] for index in range(8)]
        workers.close()
    finally:
        workers.terminate()
    assert not flag("gave-up").exists()
    assert by.count(by[1]) >= 5  # the fast worker took most of them


def test_chunks_taken_from_a_file_cover_it_and_shrink_towards_its_end(tmp_path: Path) -> None:
    # About 10 MiB of 100-byte lines after a header the caller has read, one line too long to read.
    lines = [b"%099d" % n for n in range(100_000)]
    lines[40_000] = b"x" * 600_000  # longer than a chunk
    body = b"\n".join(lines) + b"\n"
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"header\n" + body)
    options = ReadOptions(max_line_bytes=100_000)
    with path.open("rb") as stream:
        stream.readline()
        options.first_line = 2
        cursor = Cursor(JsonLines(), stream, options, jobs=2, largest=512 << 10, smallest=64 << 10)
        chunks = []
        while task := cursor.take():
            chunks.append(task)
    assert [index for index, _ in chunks] == list(range(len(chunks))) == list(range(cursor.taken))
    assert all(index == taken for index, (_, (taken, _)) in chunks)
    raws = [raw for _, (_, (_, raw)) in chunks]
    blocks = [
        (cursor.first_line(n, 1 if raw is None else raw.count(b"\n")), raw) for n, raw in enumerate(raws)
    ]
    expected = [(n, None if len(line) > 100_000 else line) for n, line in enumerate(lines, 2)]
    assert _lines_of(blocks, 100_000) == expected  # each line once, in order, with its number
    long = blocks.index((40_002, None))  # alone
    kib = 1024
    sizes = [len(data) for _, data in blocks[long + 1 :]]  # type: ignore[arg-type]
    assert all(len(data) <= 512 * kib for _, data in blocks[:long])  # type: ignore[arg-type]
    assert max(sizes) <= 512 * kib and min(sizes[:-1]) >= 64 * kib - 100
    assert sizes[-12:] == sorted(sizes[-12:], reverse=True)  # shrinking: the workers finish together
    assert sizes[-4] < 64 * kib + 100  # the last ones as small as allowed


def test_standard_output_to_a_file_is_written_in_large_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch alternates big blocks with single records; through Python's 8 KiB stdout buffer
    # that was thousands of writes. Not on a terminal, standard output gets a large buffer too,
    # emptied when the run ends (or when the run flushes, as it does for stdin input).
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


def test_shared_integers_are_seen_and_changed_by_a_forked_worker() -> None:
    shared = SharedInts(offset=-1, taken=0)
    pid = os.fork()
    if pid == 0:  # the worker: whatever happens, it must not go on running the tests
        try:
            shared.taken = shared.offset + 2**40
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert (shared.offset, shared.taken) == (-1, 2**40 - 1)
    with pytest.raises(AttributeError):
        shared.other = 1


def test_a_chunk_waits_for_the_line_count_of_the_chunk_before(tmp_path: Path) -> None:
    # Chunk 1's worker asks for its first line before chunk 0's worker has counted its lines.
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"{}\n" * 10)
    options = ReadOptions()
    options.first_line = 5
    with path.open("rb") as stream:
        cursor = Cursor(JsonLines(), stream, options, jobs=2, largest=512 << 10, smallest=64 << 10)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # chunk 1's worker: whatever happens, it must not go on running the tests
        try:
            os.write(write, b"%d" % cursor.first_line(1, 3))
        finally:
            os._exit(0)
    os.close(write)
    time.sleep(0.05)  # let it ask first
    assert cursor.first_line(0, 7) == 5
    assert int(os.read(read, 64)) == 12  # (empty if the worker failed: the test fails, no wait)
    os.waitpid(pid, 0)
    os.close(read)
    assert cursor.first_line(2, 1) == 15


@pytest.mark.parametrize("pulling", [False, True], ids=["handed-out", "taken"])
def test_a_worker_that_dies_stops_the_run_instead_of_hanging_it(pulling: bool) -> None:
    chunks = _Chunks(6)

    def serve(task: tuple[int, Any]) -> _Done:
        if task[0] == 1:
            os._exit(3)  # as a worker killed by the kernel would: no answer, no goodbye
        return _Done(task[0])

    workers = crew.Crew(2, serve, lambda: None, queued=2, ahead=4, take=chunks.take if pulling else None)
    try:
        with pytest.raises(RuntimeError, match=r"ended unexpectedly \(exit code 3\)"):
            if pulling:
                list(workers.results())
            else:
                for _ in range(6):
                    workers.send("chunk")
                for index in range(6):
                    workers.receive(index)
    finally:
        workers.terminate()
        chunks.lock.close()


def test_workers_leave_the_heap_they_inherit_out_of_their_collections() -> None:
    # Frozen before the fork: a worker's collections do not walk (and copy, page by page) the
    # engine it shares with the others. The main process collects as before.
    import gc

    class Frozen(_Done):
        def reply(self) -> tuple[int, str, Any]:
            return (self.index, "ok", gc.get_freeze_count())

    assert gc.get_freeze_count() == 0
    workers = crew.Crew(2, lambda task: Frozen(task[0]), lambda: None, queued=2, ahead=4)
    try:
        assert gc.get_freeze_count() == 0
        workers.send("chunk")
        assert workers.receive(0) > 1000
        workers.close()
    finally:
        workers.terminate()


@pytest.mark.parametrize("failure", ["stop", "raise"])
def test_workers_whose_results_the_main_process_writes_end_with_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Any, failure: str
) -> None:
    # Where the main process writes (here a test runner's stdout, no real descriptor), the
    # workers are a process pool. A run that ends early, stopped at an error record or failing,
    # cancels the chunks not yet started and lets the workers finish theirs and exit: killing
    # them (Pool.terminate()) could leave the pool waiting forever for a lock a killed worker
    # held (one run in ten that stopped at an error record hung).
    import multiprocessing

    monkeypatch.setattr(parallel, "CHUNK_KIB", 16)  # many chunks in flight when it ends
    monkeypatch.setattr(parallel, "TAIL_KIB", 16)
    cases = tmp_path / "cases.jsonl"
    lines = [f'{{"id": {n}, "pain_quality": "burning"}}\n' for n in range(6000)]
    lines[3000] = "{not json\n"
    cases.write_text("".join(lines))
    if failure == "raise":
        drain, drained = parallel._drain, []

        def failing(out: Any, *args: Any) -> bool:
            drained.append(out)
            if len(drained) == 3:
                raise RuntimeError("the writer broke")
            return drain(out, *args)

        monkeypatch.setattr(parallel, "_drain", failing)
    result = invoke(
        "evaluate", "leg-pain@1.0.0", str(cases), "--on-error", "fail", "--jobs", "2", "--format", "jsonl"
    )
    if failure == "stop":
        assert result.exit_code == 2  # stopped at the error record: not a complete run
        written = [json.loads(line)["input"]["line"] for line in result.stdout.splitlines()]
        assert written == list(range(1, 3002))
    else:
        assert result.exit_code == 2 and "RuntimeError: the writer broke" in result.stderr
    assert multiprocessing.active_children() == []  # every worker has exited and been reaped
