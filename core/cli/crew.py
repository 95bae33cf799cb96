"""Forked worker processes for `rules evaluate --jobs N` when the workers write the output.

`multiprocessing.Pool` wakes three helper threads in the main process for every chunk: about a
millisecond of CPU per chunk (measured), taken from the workers on a two-core machine, and a
task lost with a worker that dies leaves the pool waiting forever. When the workers write their
chunks themselves (turns.py) nothing big comes back, so a plainer arrangement does: each worker
is forked with a pair of pipes (forked.py); on them the worker gets chunks, says when it has
evaluated one, and answers each with its result (a tally, a few hundred bytes), in the order it
got them. Each chunk goes to the worker with the fewest chunks waiting to be started. The main
process has no helper threads.

Where the workers can take their chunks themselves (`take`, from a shared cursor over the input
file), nobody hands chunks out: each worker takes its next chunk whenever it holds fewer than
its share of chunks not yet answered, and says when no chunk is left. The main process then
only takes in the answers.

A chunk is done in two steps: `serve` does the work and returns a `Pending`, whose `settle`
finishes it (writes the output) once its turn has come. A worker whose chunk must wait for an
earlier chunk of another worker does not sit idle: it takes its next chunk as soon as one
arrives and settles the waiting one when it can (measured: a worker waited up to a fifth of a
run for its turn before).

No deadlock: the earliest unsettled chunk can always settle (every chunk before it has), and its
worker either is still working on it or is looking for exactly that. A worker blocks on its
input only with nothing left to settle, and its messages are small enough for the pipe's
buffer; `take` holds its lock only while it reads. The main process, waiting for room to hand
out a chunk, takes in messages from whichever worker sends one: a worker with a chunk waiting
to be started is not blocked, so it will say it has evaluated one, and otherwise the earliest
unsettled chunk will be answered.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from rulewright.core.cli.forked import Channel, Child, ready


class Pending(Protocol):
    def settle(self) -> bool:
        """Finish the chunk if its turn has come; False if an earlier chunk's has not."""

    def reply(self) -> tuple[int, str, Any]:
        """What goes back to the main process: (chunk index, "ok", result) or (chunk index,
        "error", exception)."""


class Crew:
    def __init__(
        self,
        size: int,
        serve: Callable[[Any], Pending],
        setup: Callable[[], None],
        *,
        queued: int,
        ahead: int,
        take: Callable[[], Any | None] | None = None,
    ) -> None:
        """`take`, if given, is how each worker takes its next chunk (None when none is left);
        else the main process hands the chunks out (`send`)."""
        self.workers: list[tuple[Child, Channel]] = []
        self.sent = 0
        self.queued = queued  # chunks a worker may have waiting to be started
        self.ahead = ahead  # chunks the crew may hold unanswered: bounds the memory they take
        self._waiting: list[int] = []  # each worker's chunks not yet evaluated
        self._assigned: list[deque[int]] = []  # each worker's chunks not yet answered, in order
        self._replies: dict[int, tuple[str, Any]] = {}  # answers that came before their turn
        self._exhausted = 0  # workers that have found no chunk left to take
        self._taken = 0  # chunks those workers took
        share = max(1, ahead // size)
        # The workers' collections leave alone the heap they inherit (the engine, its cache, the
        # plugins): walking it made them copy its pages one by one, each for itself (measured:
        # about 5 ms a run). This process collects as before once they are forked.
        gc.freeze()
        try:
            for _ in range(size):
                ours, theirs = Channel.pair()
                kept = [fd for _, channel in self.workers for fd in channel.fds]  # not the new one's
                process = Child(_loop, (theirs, serve, setup, take, share), close=[*ours.fds, *kept])
                theirs.close()
                self.workers.append((process, ours))
                self._waiting.append(0)
                self._assigned.append(deque())
        except BaseException:
            self.terminate()  # the workers forked so far: a signal may end the run as it starts
            raise
        finally:
            gc.unfreeze()

    def send(self, payload: Any) -> None:
        """Hand the next chunk to the worker with the fewest chunks waiting to be started, once
        one has room. Counting chunks evaluated but waiting for their turn to be written would
        starve the faster worker: its chunks wait on the slower one's (measured: chunks handed
        round in turn, or to the worker with the fewest unanswered, left one worker idle for up
        to a sixth of a run)."""
        self._collect(wait=False)
        while True:
            worker = min(range(len(self.workers)), key=self._waiting.__getitem__)
            unanswered = sum(map(len, self._assigned))
            if self._waiting[worker] < self.queued and unanswered < self.ahead:
                break
            self._collect(wait=True)
        process, connection = self.workers[worker]
        try:
            connection.send((self.sent, payload))
        except OSError:  # a worker leaves only when told to: it died
            raise _ended(process) from None
        self._waiting[worker] += 1
        self._assigned[worker].append(self.sent)
        self.sent += 1

    def answered(self, index: int) -> bool:
        """Whether chunk `index`'s result has come (without waiting for it)."""
        if index not in self._replies:
            self._collect(wait=False)
        return index in self._replies

    def receive(self, index: int) -> Any:
        """The result of chunk `index`; call in chunk order. A worker's exception is raised here."""
        while index not in self._replies:
            self._collect(wait=True)
        kind, value = self._replies.pop(index)
        if kind == "error":
            raise value
        return value

    def results(self) -> Iterator[Any]:
        """Every chunk's result in chunk order, as each comes, when the workers take the chunks."""
        index = 0
        while True:
            while index not in self._replies:
                if self._exhausted == len(self.workers) and index == self._taken:
                    return
                self._collect(wait=True)
            yield self.receive(index)
            index += 1

    def _collect(self, *, wait: bool) -> None:
        """Take in every message that has come (at least one if `wait`): that a worker has
        evaluated a chunk, a chunk's answer (a worker answers in the order it got them), or that
        a worker has found no chunk left to take."""
        readable = ready([c for _, c in self.workers], None if wait else 0)
        for worker, (process, connection) in enumerate(self.workers):
            if connection in readable:
                try:
                    message = connection.recv()
                except (EOFError, OSError):
                    raise _ended(process) from None
                if message == _EVALUATED:
                    self._waiting[worker] -= 1
                    continue
                if isinstance(message, list):  # answers, in the order the worker got the chunks
                    for index, kind, value in message:
                        self._replies[index] = kind, value
                        if self._assigned[worker]:
                            self._assigned[worker].popleft()
                    continue
                _, kind, value = message
                if kind == "exhausted":
                    self._exhausted += 1
                    self._taken += value
                else:  # the worker could not take a chunk
                    raise value

    def close(self) -> None:
        """Let the workers finish (every result has been received) and wait for them."""
        for _, connection in self.workers:
            connection.send(None)
        self.join()

    def terminate(self) -> None:
        for process, _ in self.workers:
            process.terminate()
        self.join()

    def join(self) -> None:
        for process, connection in self.workers:
            process.join()
            connection.close()
        self.workers = []


_EVALUATED = "evaluated"
"""A worker's message that it has evaluated a chunk (answers are tuples)."""


def _ended(process: Any) -> RuntimeError:
    process.join(timeout=1)
    return RuntimeError(f"worker process {process.pid} ended unexpectedly (exit code {process.exitcode})")


_TURN_POLL = 0.0005
"""Seconds a worker with a chunk waiting for its turn waits for a new chunk before it looks at
the turn again. Blocking on the turn instead would leave a chunk that arrives meanwhile
untouched until then."""


_ANSWER_EVERY = 0.1
"""Seconds a worker that takes its own chunks may keep answers before sending them together:
each message wakes the main process, which took the worker's core from it for a tenth of a
millisecond or more per chunk (measured); progress is still shown ten times a second."""


def _loop(
    connection: Any, serve: Callable[[Any], Pending], setup: Callable[[], None], take: Any, share: int
) -> None:
    setup()
    unsettled: deque[Pending] = deque()  # this worker's chunks waiting for their turn, in order
    answers: list[tuple[int, str, Any]] = []  # not sent yet
    sent = time.monotonic()
    taken = 0
    while True:
        while unsettled and unsettled[0].settle():
            answers.append(unsettled.popleft().reply())
        if answers and (take is None or answers[-1][1] != "ok" or time.monotonic() - sent > _ANSWER_EVERY):
            connection.send(answers)
            answers, sent = [], time.monotonic()
        if take is not None and len(unsettled) < share:
            try:
                task = take()
            except BaseException as exc:
                connection.send((-1, "error", portable(exc)))
                return
            if task is None:
                take = None
                connection.send((-1, "exhausted", taken))
            else:
                taken += 1
                unsettled.append(serve(task))
            continue
        if unsettled and not connection.poll(_TURN_POLL):
            continue
        task = connection.recv()
        if task is None:  # sent once every result has been received: nothing is unsettled
            return
        unsettled.append(serve(task))
        connection.send(_EVALUATED)  # room for another chunk, though this one may wait its turn


def portable(exc: BaseException) -> BaseException:
    """The exception itself if the main process can rebuild it from its arguments, as unpickling
    does (a BrokenPipeError must stay one: the CLI ends quietly on it), else its text."""
    try:
        type(exc)(*exc.args)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
