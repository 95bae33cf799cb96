"""`rules evaluate --jobs N`: evaluate chunks of records in worker processes, write in input order.

Where the input is a regular file and its adapter can cut it into spans of whole lines
(`span`), forked workers take their chunks from it themselves, one after another (cursor.py).
Otherwise the main process reads the input in chunks (raw lines when the input adapter can
`split` its stream, else records it has read) and hands them out. Either way at most a few
chunks per worker are in flight (memory stays bounded).

Workers render chunks themselves when the output format is `concatenable` (JSON Lines: the
output of consecutive chunks, joined, is the output of the whole) and, where the output is a
file descriptor they share, write them too, taking turns in input order (turns.py); otherwise
the main process writes each chunk's output, or its results, as soon as every chunk before it
is written. Either way the records, their order and the summary are exactly those of a serial
run.
"""

from __future__ import annotations

import io
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO

from rulewright.core.cli.batch import Tally, write_all
from rulewright.core.cli.crew import Crew, portable
from rulewright.core.cli.cursor import Cursor
from rulewright.core.cli.lane import Lane, regular_file
from rulewright.core.cli.turns import Turns
from rulewright.core.evaluate.records import InputRecord, ReadOptions
from rulewright.core.evaluate.result import Result
from rulewright.core.evaluate.writers import FormatOptions

CHUNK_RECORDS = 1000
"""Records per chunk when the main process reads records: enough to amortise the hand-over."""
CHUNK_KIB = 512
"""KiB per block for adapters that split raw input (about 3,600 leg-pain records): smaller
blocks cost the workers measurably more per record in hand-overs and turns."""
TAIL_KIB = 64
"""KiB of the smallest chunk taken from a file: chunks shrink as its end nears (`Cursor`)."""
IN_FLIGHT = 3
"""Chunks queued per worker of the process pool, so no worker waits while the main process writes."""
QUEUED = 2
"""Chunks waiting to be started per worker that writes the output itself: one at hand."""
AHEAD = 4
"""Chunks per worker evaluated before their turn to be written, at most (workers writing the
output themselves): enough for a fast worker to keep going while a slower one finishes the
chunk before, few enough to bound the memory they hold (a chunk's output is a few MB)."""


@dataclass(frozen=True)
class Job:
    """What a worker needs to rebuild the engine (with `spawn`, nothing else crosses over)."""

    ruleset: str
    id_field: str | None
    explain: bool
    fmt: str
    input_format: str
    stop_on_error: bool
    max_line_bytes: int = ReadOptions.max_line_bytes
    link_ids: Mapping[str, str] | None = None
    record_input: bool = False


@dataclass
class ChunkOutput:
    data: list[bytes] | None  # the rendered chunk (UTF-8, in pieces), when the format is concatenable
    results: list[Result] | None  # otherwise the results, for the main process to write
    tally: Tally = field(default_factory=Tally)
    stopped: bool = False  # an error record ended the chunk under --on-error fail
    written: bool = False  # the worker wrote `data` to the output itself (turns.py)


class Worker:
    def __init__(self, job: Job, engine: Any, host: Any) -> None:
        self.job = job
        self.engine = engine
        self.adapter = host.registry.items["input_adapters"][job.input_format]
        self.factory = host.registry.items["formats"][job.fmt]
        self.owner = host.registry.owners["formats"][job.fmt]
        self.renders = bool(getattr(self.factory, "concatenable", False))

    @classmethod
    def build(cls, job: Job) -> Worker:
        from rulewright.core.evaluate.engine import Engine
        from rulewright.core.hooks.host import make_plugin_host
        from rulewright.core.model.loader import load_ruleset

        host = make_plugin_host()
        model = load_ruleset(job.ruleset, operators=host.registry.items["operators"])
        return cls(job, Engine(model, host=host, id_field=job.id_field, record_input=job.record_input), host)

    def run(self, payload: tuple[str, Any]) -> ChunkOutput:
        kind, data = payload
        lines = None
        if kind == "taken":  # taken from the input file: its first line follows from the chunk before
            assert _cursor is not None
            index, raw = data
            lines = None if raw is None else Lane.lines(raw)
            first = _cursor.first_line(index, 1 if lines is None else len(lines))
            kind, data = "split", (first, raw)
        job = self.job
        options = ReadOptions(id_field=job.id_field, max_line_bytes=job.max_line_bytes, link_ids=job.link_ids)
        tally = Tally()
        if self.renders:
            # Encoded here, in parallel, so the main process only copies bytes to the output.
            buffer = _Pieces()
            text = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n")
            writer = self.factory(
                text, FormatOptions(explain=job.explain, ruleset=self.engine.ruleset, continued=True)
            )
            if kind == "split" and Lane.fits(self.engine, self.adapter, writer, explain=job.explain):
                lane = Lane(
                    self.engine,
                    self.adapter,
                    writer,
                    options,
                    tally,
                    job.fmt,
                    self.owner,
                    stop_on_error=job.stop_on_error,
                )
                done = lane.block(*data) if lines is None else lane.block_lines(data[0], lines)
            else:
                done = write_all(
                    self._results(kind, data, options),
                    writer,
                    job.fmt,
                    self.owner,
                    tally,
                    stop_on_error=job.stop_on_error,
                )
            text.flush()
            out = ChunkOutput(buffer.pieces, None, tally, not done)
            text.detach()
        else:
            results = self._results(kind, data, options)
            kept: list[Result] = []
            stopped = False
            for result in results:
                kept.append(result)
                if self.job.stop_on_error and result.status == "error":
                    stopped = True
                    break
            out = ChunkOutput(None, kept, tally, stopped)
        tally.blank_lines = options.blank_lines
        return out

    def _results(self, kind: str, data: Any, options: ReadOptions) -> Iterator[Result]:
        records = self.adapter.read_chunk(data, self.engine.ruleset, options) if kind == "split" else data
        return self.engine.evaluate_batch(records, explain=self.job.explain)  # type: ignore[no-any-return]


class _Pieces(io.BufferedIOBase):
    """A worker's output for one chunk, kept as the pieces its writer wrote: they go to the
    output in one vectored write, never copied into a growing buffer first (a chunk's output is
    megabytes; copying it cost a worker about 4% of its time, most of it in page faults)."""

    name = "<chunk output>"  # TextIOWrapper's buffer protocol asks for one

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.pieces.append(bytes(data))  # no copy of a bytes object; others may be reused
        return len(data)


_worker: Worker | None = None  # this process's worker: inherited under fork, built under spawn
_turns: Turns | None = None  # set when workers write the output themselves (fork only)
_cursor: Cursor | None = None  # set when workers take their chunks from the input file (fork only)


def _init(job: Job) -> None:
    global _worker
    # A forked worker inherits the CLI's SIGTERM handler (which unwinds the parent to remove its
    # partial --output file); a worker has nothing to clean up, and a handler that raises inside
    # the pool's queue locks could leave the pool waiting forever. Ctrl-C is the parent's to
    # handle: it ends the run, and the workers finish the chunk they hold.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _worker is None:
        _worker = Worker.build(job)


def _run(task: tuple[int, tuple[str, Any]]) -> ChunkOutput:
    """Evaluate a chunk: its output (rendered, when the format is concatenable) and its tally."""
    assert _worker is not None
    return _worker.run(task[1])


class _Chunk:
    """A chunk a worker has evaluated, to be written in its turn before its result goes back
    (crew.py). An error is kept too: at its turn it halts the writing of later chunks."""

    def __init__(self, index: int, out: ChunkOutput | None, error: BaseException | None = None) -> None:
        self.index, self.out, self.error = index, out, error

    def settle(self) -> bool:
        assert _turns is not None
        if not _turns.ready(self.index):
            return False
        out = self.out
        try:
            if self.error is not None:
                _turns.halt(self.index)
            elif out is not None and out.data is not None:
                _turns.write(self.index, out.data, stop_after=out.stopped)
                out.data, out.written = None, True
        except BaseException as exc:
            self.error = exc  # a write that failed (a closed pipe) ends the run like any error
        return True

    def reply(self) -> tuple[int, str, Any]:
        return (
            (self.index, "ok", self.out)
            if self.error is None
            else (self.index, "error", portable(self.error))
        )


def _serve(task: tuple[int, tuple[str, Any]]) -> _Chunk:
    try:
        return _Chunk(task[0], _run(task))
    except BaseException as exc:
        return _Chunk(task[0], None, exc)


def payloads(
    adapter: Any, stream: BinaryIO, model: Any, options: ReadOptions, jobs: int
) -> Cursor | Iterator[tuple[str, Any]]:
    """The chunks to hand out: a cursor over the input file (forked workers take their chunks
    from it themselves), raw blocks of input, or records the main process read."""
    if hasattr(adapter, "read_chunk") and hasattr(adapter, "span") and _readable_file(stream):
        return Cursor(adapter, stream, options, jobs, largest=CHUNK_KIB * 1024, smallest=TAIL_KIB * 1024)
    if hasattr(adapter, "split") and hasattr(adapter, "read_chunk"):
        return (("split", chunk) for chunk in adapter.split(stream, model, options, CHUNK_KIB))
    return _record_batches(iter(adapter.read(stream, model, options)))


def _readable_file(stream: BinaryIO) -> bool:
    """A regular file that forked workers can read at any offset (not a pipe, not under spawn)."""
    return sys.platform == "linux" and regular_file(stream)


def _record_batches(records: Iterator[InputRecord]) -> Iterator[tuple[str, Any]]:
    while batch := list(islice(records, CHUNK_RECORDS)):
        yield "records", batch


def run(
    job: Job,
    worker: Worker,
    work: Cursor | Iterator[tuple[str, Any]],
    sink: Any,
    writer: Any,
    tally: Tally,
    jobs: int,
    on_chunk: Callable[[int], None] = lambda count: None,
) -> bool:
    """Evaluate `work` on `jobs` processes, writing to `writer`/`sink` in order; False if stopped."""
    global _worker, _turns, _cursor
    # fork hands the workers the engine already built; elsewhere each worker builds its own.
    method = "fork" if sys.platform == "linux" else "spawn"
    _worker = worker if method == "fork" else None
    _cursor = work if isinstance(work, Cursor) else None
    fd = _descriptor(sink) if method == "fork" and worker.renders else None
    if fd is not None:
        sink.flush()  # anything written before the workers start goes first
        _turns = Turns(fd, write_behind=getattr(sink, "writes_behind", False))

    def drain(out: ChunkOutput) -> bool:
        return _drain(out, job, worker, sink, writer, tally, on_chunk)

    try:
        if _turns is not None:
            try:
                return _run_crew(job, jobs, work, drain)
            finally:
                _turns.finish()
        return _run_pool(job, jobs, method, work, drain)
    finally:
        if _cursor is not None:
            _cursor.close()
        _worker = _turns = _cursor = None


def _run_pool(
    job: Job,
    jobs: int,
    method: str,
    work: Cursor | Iterator[tuple[str, Any]],
    drain: Callable[[ChunkOutput], bool],
) -> bool:
    """Workers whose results the main process writes: a process pool, a few chunks ahead per
    worker, results drained in order; False if stopped (`--on-error fail`).

    `concurrent.futures`, not `multiprocessing.Pool`: a worker that dies (a crash, the OOM
    killer) breaks the executor, and every result still awaited raises, where a Pool waited
    forever for the chunk the worker took with it; and `Pool.terminate()` could kill a worker
    halfway through sending a result, holding the result queue's lock, then wait forever for
    that lock (one run in ten stopping at an error record hung). However the run ends, chunks
    not yet started are cancelled and the workers finish the ones they hold, then exit."""
    import multiprocessing  # only a run whose main process writes the output pays for it
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context(method)
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init, initargs=(job,))
    pending: deque[Any] = deque()
    try:
        for index, payload in enumerate(work):
            pending.append(executor.submit(_run, (index, payload)))
            if len(pending) >= jobs * IN_FLIGHT and not drain(pending.popleft().result()):
                return False
        while pending:
            if not drain(pending.popleft().result()):
                return False
        return True
    except BrokenProcessPool:
        raise RuntimeError("a worker process ended unexpectedly (killed, or out of memory?)") from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _run_crew(
    job: Job,
    jobs: int,
    work: Cursor | Iterator[tuple[str, Any]],
    drain: Callable[[ChunkOutput], bool],
) -> bool:
    """Workers that write the output themselves, without a Pool (crew.py). Results are taken in
    chunk order as they come. From a cursor the workers take their chunks themselves; else a
    worker gets its next chunk as soon as it has room, even while an earlier chunk (another
    worker's) is still being evaluated."""
    take = work.take if isinstance(work, Cursor) else None
    crew = Crew(jobs, _serve, lambda: _init(job), queued=QUEUED, ahead=jobs * AHEAD, take=take)
    try:
        if take is not None:
            for out in crew.results():
                if not drain(out):
                    return False
        else:
            drained = 0
            for payload in work:
                crew.send(payload)
                while drained < crew.sent and crew.answered(drained):
                    if not drain(crew.receive(drained)):
                        return False
                    drained += 1
            for index in range(drained, crew.sent):
                if not drain(crew.receive(index)):
                    return False
        crew.close()
    finally:
        crew.terminate()  # after close(), nothing is left to stop
    return True


def _descriptor(sink: Any) -> int | None:
    """The output's file descriptor, if it has one forked workers can write to."""
    try:
        return int(sink.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None


def _drain(
    out: ChunkOutput,
    job: Job,
    worker: Worker,
    sink: Any,
    writer: Any,
    tally: Tally,
    on_chunk: Callable[[int], None],
) -> bool:
    if out.written:
        tally.merge(out.tally)
        done = not out.stopped
    elif out.data is not None:
        sink.write_bytes(b"".join(out.data))
        tally.merge(out.tally)
        done = not out.stopped
    else:
        assert out.results is not None
        tally.blank_lines += out.tally.blank_lines
        done = write_all(out.results, writer, job.fmt, worker.owner, tally, stop_on_error=job.stop_on_error)
    on_chunk(tally.count)
    return done
