"""`rules evaluate --jobs N`: chunks of the input evaluated in worker processes, written in input order.

A `ProcessPoolExecutor` runs the workers; the main process submits numbered chunks, a few per
worker ahead (memory stays bounded), and takes the results back in chunk order, adding up their
tallies, so the records, their order and the summary are exactly those of `--jobs 1`.

Where the workers are forked (Linux) they share two turns, taken in chunk order (`Turns`):

- from a regular input file that the adapter can read at any offset (`SpannedInput`), a worker
  takes its chunk itself in its turn: the next whole lines and their first line number. The
  main process reads nothing: reading, counting and pickling the input there took 120 ms of its
  CPU from the workers on 200,000 records (`--jobs 2` 1.36x one process, against 1.6x).
  Chunks shrink towards the end of the file, so the workers finish together;
- into a regular output file, a worker renders its chunk (`ConcatenableFormat`: JSON Lines,
  CSV) and in its turn claims the place where the chunk before ends, then writes there
  (`os.pwritev`) while the next chunk claims its own. Copying the output back through the main
  process instead cost as much as rendering it (the pool gained 1.2-1.3x, not 1.6x).

Otherwise the main process reads the chunks (blocks of whole lines from a `ChunkedInput`, else
records) and writes what comes back (rendered bytes, or results for other formats).

A chunk that fails or ends the run (`--on-error fail`) still passes its turns, halting the
writing of later chunks: no worker waits for a turn that never comes. A worker that dies breaks
the pool, which ends the others; a signal to the main process ends the run once the workers
finish the chunks they hold (they ignore SIGINT and SIGTERM, which a group signal sends them too).
"""

from __future__ import annotations

import errno
import gc
import io
import multiprocessing
import os
import signal
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice, repeat
from multiprocessing import util
from typing import Any

from rulewright.core.cli import behind
from rulewright.core.cli.batch import Tally, write_all
from rulewright.core.cli.lane import Lane, regular_file
from rulewright.core.evaluate.records import ChunkedInput, InputRecord, ReadOptions, SpannedInput
from rulewright.core.evaluate.result import Result
from rulewright.core.evaluate.writers import FormatOptions, concatenable

CHUNK_KIB = 512
"""KiB of raw input per chunk (about 3,600 leg-pain records): enough to amortise the hand-over."""
TAIL_KIB = 64
"""KiB of the smallest chunk taken from a file: chunks shrink as its end nears."""
CHUNK_RECORDS = 1000
"""Records per chunk when the main process reads the records itself."""
AHEAD = 3
"""Chunks submitted per worker beyond the one it works on: none waits while the main process writes."""


@dataclass(frozen=True)
class Job:
    """What a worker needs to rebuild the engine (under `spawn` nothing else crosses over)."""

    ruleset: str
    fmt: str
    input_format: str
    explain: bool
    stop_on_error: bool
    options: ReadOptions
    record_input: bool


@dataclass
class Block:
    """Whole lines of the input from line `first` (data None: one line too long to read)."""

    first: int
    data: bytes | None
    lines: list[bytes] | None = None  # the data split into lines, when that is done already


@dataclass
class Chunk:
    """What a worker sends back for one chunk."""

    tally: Tally
    stopped: bool = False  # an error record ended the chunk under --on-error fail
    data: list[bytes] | None = None  # rendered, for the main process to write
    results: list[Result] | None = None  # not rendered, for the main process to write
    ended: bool = False  # no chunk was left to take


class Worker:
    """The engine, adapter and format of one worker process."""

    turns: Turns | None = None
    jobs = 1

    def __init__(self, job: Job, engine: Any, host: Any) -> None:
        self.job, self.engine, self.host = job, engine, host
        self.unplaced: deque[tuple[int, list[bytes], bool]] = deque()  # rendered, turn not come
        self.adapter = host.registry.items["input_adapters"][job.input_format]
        self.factory = host.registry.items["formats"][job.fmt]
        self.owner = host.registry.owners["formats"][job.fmt]
        self.renders = concatenable(self.factory)

    @classmethod
    def build(cls, job: Job) -> Worker:
        """A worker started by `spawn`: everything rebuilt from the job."""
        from rulewright.core.evaluate.engine import Engine
        from rulewright.core.hooks.host import make_plugin_host
        from rulewright.core.model.loader import load_ruleset

        host = make_plugin_host()
        model = load_ruleset(job.ruleset, operators=host.registry.items["operators"])
        engine = Engine(model, host=host, id_field=job.options.id_field, record_input=job.record_input)
        return cls(job, engine, host)

    def evaluate(self, index: int, kind: str, data: Any) -> Chunk:
        """Evaluate one chunk; where the workers share turns, take it and write it in them."""
        turns = self.turns
        placing = turns is not None and turns.output is not None
        if placing:
            self.place(wait=False)  # chunks of this worker's whose turn has come meanwhile
        try:
            if kind == "take":
                assert turns is not None
                data = turns.take(index, self.adapter, self.job.options, self.jobs)
                chunk = Chunk(Tally(), ended=True) if data is None else self._evaluate(data)
            else:
                chunk = self._evaluate(Block(*data) if kind == "lines" else data)
        except BaseException as exc:
            if placing:  # its turn passes, halting the writing: later chunks must not wait for it
                self.unplaced.append((index, [], True))
                self.place(wait=False)
            raise portable(exc) from None
        if placing and chunk.data is not None:
            self.unplaced.append((index, chunk.data, chunk.stopped))
            chunk.data = None
            self.place(wait=False)
        return chunk

    def place(self, *, wait: bool) -> None:
        """Write this worker's rendered chunks in their turns, as far as those have come (all of
        them with `wait`). A chunk whose turn has not come waits here while the worker takes its
        next chunk: waiting for the chunk before, a slower worker's, left it idle (measured: up to
        4 ms a chunk on a quiet machine, far more on a busy one). A write that fails halts the
        writing and is reported when the run ends (`Turns.failed`): later turns still pass."""
        turns = self.turns
        assert turns is not None and turns.output is not None
        while self.unplaced:
            index, pieces, halt = self.unplaced[0]
            size = sum(map(len, pieces))
            came, at = turns.place(index, size, halt=halt, wait=wait)
            if not came:
                return
            self.unplaced.popleft()
            try:
                if at is not None:
                    write_at(turns.output, pieces, at)
                    if turns.behind:  # an output that replaces a file goes to disk as it grows
                        behind.start_writing(turns.output, at, size)
            except OSError as exc:
                turns.failed.value, turns.halted.value = exc.errno or errno.EIO, 1

    def _evaluate(self, data: Block | list[InputRecord]) -> Chunk:
        """A block of lines or a batch of records: rendered, or results for the main process."""
        job, tally = self.job, Tally()
        options = ReadOptions(**{**vars(job.options), "blank_lines": 0})
        if isinstance(data, Block):
            records: Any = self.adapter.read_chunk((data.first, data.data), self.engine.ruleset, options)
        else:
            records = data
        if not self.renders:
            results, stopped = [], False
            for result in self.engine.evaluate_batch(records, explain=job.explain):
                results.append(result)
                if job.stop_on_error and result.status == "error":
                    stopped = True
                    break
            tally.blank_lines = options.blank_lines
            return Chunk(tally, stopped, results=results)
        pieces = Pieces()
        text = io.TextIOWrapper(pieces, encoding="utf-8", newline="\n")
        writer = self.factory(
            text, FormatOptions(explain=job.explain, ruleset=self.engine.ruleset, continued=True)
        )
        if isinstance(data, Block) and Lane.fits(self.engine, self.adapter, writer, explain=job.explain):
            args = (self.engine, self.adapter, writer, options, tally, job.fmt, self.owner)
            done = Lane(*args, stop_on_error=job.stop_on_error).block(data.first, data.data, data.lines)
        else:
            results = self.engine.evaluate_batch(records, explain=job.explain)
            done = write_all(results, writer, job.fmt, self.owner, tally, stop_on_error=job.stop_on_error)
        text.flush()
        text.detach()
        tally.blank_lines = options.blank_lines
        return Chunk(tally, not done, pieces.pieces)


class Pieces(io.BufferedIOBase):
    """A chunk's output kept as the pieces its writer wrote, written out in one vectored write:
    copying megabytes into a growing buffer cost a worker about 4% of its time (page faults)."""

    name = "<chunk output>"  # TextIOWrapper asks for one

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.pieces.append(bytes(data))
        return len(data)


class Turns:
    """What forked workers share: the turn to take the next chunk of the input file (where it
    starts, its first line) and the turn to claim the next place in the output file."""

    behind = False  # each chunk written is to go to disk now (behind.py)

    def __init__(self, context: Any, source: int | None, start: int, output: int | None) -> None:
        """`start`: where the input stands (a buffered stream may have read ahead of it)."""
        self.source, self.output = source, output
        self.size = os.fstat(source).st_size if source is not None else 0
        new = context.RawValue
        self.taken, self.offset = new("q", 0), new("q", start)
        self.counted, self.line = new("q", 0), new("q", 1)
        end = os.lseek(output, 0, os.SEEK_CUR) if output is not None else 0
        self.placed, self.end, self.halted = new("q", 0), new("q", end), new("b", 0)
        self.failed = new("q", 0)  # the errno of a write that failed
        self.changed = context.Condition()

    @contextmanager
    def turn(self, counter: Any, index: int) -> Iterator[None]:
        """Wait until `counter` reaches chunk `index`, then move it on, whatever happens meanwhile."""
        with self.changed:
            self.changed.wait_for(lambda: counter.value == index)
            try:
                yield
            finally:
                counter.value = index + 1
                self.changed.notify_all()

    def take(self, index: int, adapter: Any, options: ReadOptions, jobs: int) -> Block | None:
        """Chunk `index` of the input file, in its turn (None at the end): at most a (2 x jobs)th of
        what is left, so the last chunks are small and the workers finish together. Its first
        line follows from the lines of the chunk before, counted as that chunk's worker splits
        them, in a turn of their own: counting them under the first turn took longer."""
        assert self.source is not None
        lines: list[bytes] | None = None
        try:
            with self.turn(self.taken, index):
                offset = self.offset.value
                want = max(TAIL_KIB << 10, min(CHUNK_KIB << 10, (self.size - offset) // (2 * jobs)))
                covered, data = adapter.span(self.source, offset, want, options)
                self.offset.value = offset + covered
            lines = None if data is None else Lane.lines(data)
        finally:  # passed even when the chunk could not be read: the next one waits for it
            with self.turn(self.counted, index):
                first = self.line.value
                self.line.value = first + (1 if lines is None else len(lines))
        return Block(first, data, lines) if covered else None

    def place(self, index: int, size: int, *, halt: bool, wait: bool) -> tuple[bool, int | None]:
        """Claim `size` bytes of the output for chunk `index` in its turn (without `wait`, only
        if its turn has come): whether it had its turn, and the bytes' offset (None once writing
        has halted); `halt` halts it after this chunk."""
        with self.changed:
            if not wait and self.placed.value != index:
                return False, None
            self.changed.wait_for(lambda: self.placed.value == index)
            at = None if self.halted.value else self.end.value
            if at is not None:
                self.end.value = at + size
            self.halted.value = self.halted.value or halt
            self.placed.value = index + 1
            self.changed.notify_all()
        return True, at


def write_at(fd: int, pieces: list[bytes], offset: int) -> None:
    """Write the pieces in order from `offset`, however many and however short the writes."""
    views = deque(memoryview(piece) for piece in pieces if piece)
    while views:
        done = os.pwritev(fd, list(islice(views, 1024)), offset)  # Linux takes 1,024 at most
        offset += done
        while done >= len(views[0]):
            done -= len(views.popleft())
            if not views:
                return
        views[0] = views[0][done:]


_worker: Worker | None = None  # this process's worker: inherited under fork, built under spawn


def _start(job: Job, turns: Turns | None, jobs: int) -> None:
    """A worker process starts: SIGINT and SIGTERM are the main process's to act on.

    A signal to the whole process group (Ctrl-C, a service manager stopping the job) reaches
    the workers too. A worker it killed could die halfway through sending a result, and the
    pool's result reader then waits for the rest forever, so the main process would hang
    instead of exiting 143. Ignoring both, each worker finishes the chunk it holds and leaves
    when the main process, unwinding, shuts the pool down."""
    global _worker
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held back across the fork (`_signals_held`)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    if _worker is None:
        _worker = Worker.build(job)
    _worker.turns, _worker.jobs = turns, jobs
    hook = _worker.host.pm.hook
    hook.rulewright_worker_started()
    # A pool's worker leaves through os._exit, so atexit never runs there; its finalizers do,
    # higher priorities first: its last chunks are written, then plugins hear it stop.
    if turns is not None and turns.output is not None:
        util.Finalize(None, _worker.place, kwargs={"wait": True}, exitpriority=20)
    util.Finalize(None, hook.rulewright_worker_stopping, exitpriority=10)


_STOPS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _signals_held(hold: bool) -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the pool forks its workers (at the first submit): one
    raised halfway through a fork could leave a worker the pool does not know of, waiting for
    work forever (the forked crew hung so once). A worker takes them once it has dropped the
    CLI's handlers (`_start`); this process right after."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS) if hold else None
    try:
        yield
    finally:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _evaluate(task: tuple[int, str, Any]) -> Chunk:
    assert _worker is not None
    return _worker.evaluate(*task)


def run(
    job: Job,
    worker: Worker,
    stream: Any,
    sink: Any,
    writer: Any,
    tally: Tally,
    jobs: int,
    on_chunk: Callable[[int], None],
) -> bool:
    """Evaluate the input `stream` in `jobs` processes, writing in input order; False if stopped
    at an error record (`--on-error fail`)."""
    global _worker
    forked = sys.platform == "linux"  # elsewhere fork is unsafe: workers rebuild the engine
    context = multiprocessing.get_context("fork" if forked else "spawn")
    spanned = forked and isinstance(worker.adapter, SpannedInput) and regular_file(stream)
    source = stream.fileno() if spanned else None
    output = _placeable(sink) if forked and worker.renders else None
    start = stream.tell() if source is not None else 0
    turns = Turns(context, source, start, output) if source is not None or output is not None else None
    if turns is not None:
        turns.behind = bool(getattr(sink, "writes_behind", False))
    _worker = worker if forked else None
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start, initargs=(job, turns, jobs))
    if source is not None:
        work: Iterator[tuple[str, Any]] = repeat(("take", None))
    else:
        work = _chunks(worker.adapter, stream, worker.engine.ruleset, job.options)
    pending: deque[Any] = deque()
    ended = False

    def drain() -> bool:
        nonlocal ended
        chunk = pending.popleft().result()
        ended = ended or chunk.ended
        tally.merge(chunk.tally)
        done = not chunk.stopped
        if chunk.data is not None:
            sink.write_bytes(b"".join(chunk.data))
        elif chunk.results is not None:
            done = write_all(
                chunk.results, writer, job.fmt, worker.owner, tally, stop_on_error=job.stop_on_error
            )
        on_chunk(tally.count)
        return done

    # The workers are forked at the first submit. Frozen meanwhile, the heap they inherit (the
    # engine, its plugins) is left out of their collections, which would otherwise walk it and
    # so copy its pages one by one, each worker for itself (measured: about 5 ms a run).
    gc.freeze()
    try:
        for index, (kind, data) in enumerate(work):
            if ended:
                break
            with _signals_held(forked and index == 0):
                pending.append(executor.submit(_evaluate, (index, kind, data)))
            gc.unfreeze()
            if len(pending) > jobs * AHEAD and not drain():
                return False
        while pending:
            if not drain():
                return False
        executor.shutdown(wait=True)  # the workers write their last chunks as they leave
        if turns is not None and turns.failed.value:
            raise OSError(turns.failed.value, os.strerror(turns.failed.value))
        return True
    except BrokenProcessPool:
        # The pool stops the other workers with SIGTERM, which they ignore (`_start`): end them
        # here, or the pool would wait for them to finish on their own. (`_processes` is the
        # pool's own table of its workers; concurrent.futures offers no public way to kill them.)
        for process in list((executor._processes or {}).values()):
            process.kill()
        raise RuntimeError("a worker process ended unexpectedly (killed, or out of memory?)") from None
    finally:
        gc.unfreeze()
        executor.shutdown(wait=True, cancel_futures=True)  # the workers finish what they hold
        _worker = None
        if output is not None:  # the output stands after the last chunk, as after one writer
            os.lseek(output, turns.end.value, os.SEEK_SET)  # type: ignore[union-attr]


def _chunks(adapter: Any, stream: Any, model: Any, options: ReadOptions) -> Iterator[tuple[str, Any]]:
    """The input in chunks read here: blocks of whole lines, or batches of records."""
    if isinstance(adapter, ChunkedInput):
        yield from (("lines", block) for block in adapter.split(stream, model, options, CHUNK_KIB))
        return
    records = iter(adapter.read(stream, model, options))
    while batch := list(islice(records, CHUNK_RECORDS)):
        yield "records", batch


def _placeable(sink: Any) -> int | None:
    """The output's descriptor if workers can write at offsets in it: a regular file not opened
    to append (where an offset is ignored). Whatever is buffered goes first."""
    import fcntl  # POSIX, as fork is

    try:
        sink.flush()
        fd = int(sink.fileno())
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None
    return fd if regular and not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND else None


def portable(exc: BaseException) -> BaseException:
    """The exception itself if the main process can rebuild it from its arguments, as unpickling
    does (a BrokenPipeError must stay one: the CLI ends quietly on it), else its text."""
    try:
        type(exc)(*exc.args)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
