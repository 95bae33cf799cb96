"""Forked worker processes for `rules evaluate --jobs N` when the workers write the output.

`multiprocessing.Pool` wakes three helper threads in the main process for every chunk: about a
millisecond of CPU per chunk (measured), taken from the workers on a two-core machine, and a
task lost with a worker that dies leaves the pool waiting forever. When the workers write their
chunks themselves (turns.py) nothing big comes back, so a plainer arrangement does: each worker
has its own pipe, each chunk goes to the worker with the fewest chunks in hand, and each chunk's
result (a tally, a few hundred bytes) comes back on that pipe. The main process has no helper
threads.

A chunk is done in two steps: `serve` does the work and returns a `Pending`, whose `settle`
finishes it (writes the output when its turn comes). A worker whose chunk must wait for an
earlier chunk of another worker does not sit idle: it takes its next chunk and settles the
waiting one as soon as it can, waiting only when it has nothing else to do (measured: a worker
waited up to a fifth of a run for its turn before).

No deadlock: the earliest unsettled chunk can always settle (every chunk before it has), and its
worker either is still working on it or is waiting for exactly that. A worker blocks on its
input only with nothing left to settle, and sends results small enough for the pipe's buffer;
the main process takes in results from whichever worker answers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol


class Pending(Protocol):
    def settle(self, wait: bool) -> bool:
        """Finish the chunk, waiting for its turn if `wait`; False if it is not its turn yet."""

    def reply(self) -> tuple[str, Any]:
        """What goes back to the main process: ("ok", result) or ("error", exception)."""


class Crew:
    def __init__(
        self,
        context: Any,
        size: int,
        serve: Callable[[Any], Pending],
        setup: Callable[[], None],
        *,
        in_hand: int,
    ) -> None:
        self.workers: list[tuple[Any, Any]] = []
        self.sent = 0
        self.in_hand = in_hand  # chunks a worker may hold unanswered: bounds its memory
        self._assigned: list[deque[int]] = []  # each worker's chunks not yet answered, in order
        self._replies: dict[int, tuple[str, Any]] = {}  # answers that came before their turn
        for _ in range(size):
            ours, theirs = context.Pipe()
            process = context.Process(target=_loop, args=(theirs, serve, setup), daemon=True)
            process.start()
            theirs.close()
            self.workers.append((process, ours))
            self._assigned.append(deque())

    def send(self, payload: Any) -> None:
        """Hand the next chunk to the worker with the fewest chunks in hand (handing them round
        in turn left one worker a chunk or more behind at the end, measured), once one has room."""
        self._collect(wait=False)
        while True:
            worker = min(range(len(self.workers)), key=lambda n: len(self._assigned[n]))
            if len(self._assigned[worker]) < self.in_hand:
                break
            self._collect(wait=True)
        process, connection = self.workers[worker]
        try:
            connection.send((self.sent, payload))
        except OSError:  # a worker leaves only when told to: it died
            raise _ended(process) from None
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

    def _collect(self, *, wait: bool) -> None:
        """Take in every answer that has come (at least one if `wait`); a worker answers its
        chunks in the order it was given them."""
        from multiprocessing.connection import wait as connection_wait  # only a parallel run pays

        ready = connection_wait([c for _, c in self.workers], timeout=None if wait else 0)
        for worker, (process, connection) in enumerate(self.workers):
            if connection in ready:
                try:
                    reply = connection.recv()
                except (EOFError, OSError):
                    raise _ended(process) from None
                self._replies[self._assigned[worker].popleft()] = reply

    def close(self) -> None:
        """Let the workers finish (every result has been received) and wait for them."""
        for _, connection in self.workers:
            connection.send(None)
        self.join()

    def terminate(self) -> None:
        for process, _ in self.workers:
            if process.is_alive():
                process.terminate()
        self.join()

    def join(self) -> None:
        for process, connection in self.workers:
            process.join()
            connection.close()
        self.workers = []


def _ended(process: Any) -> RuntimeError:
    process.join(timeout=1)
    return RuntimeError(f"worker process {process.pid} ended unexpectedly (exit code {process.exitcode})")


def _loop(connection: Any, serve: Callable[[Any], Pending], setup: Callable[[], None]) -> None:
    setup()
    unsettled: deque[Pending] = deque()  # this worker's chunks waiting for their turn, in order
    while True:
        # Settle what can be settled now; wait for a turn only when no chunk is waiting to be done.
        while unsettled and unsettled[0].settle(wait=not connection.poll()):
            connection.send(unsettled.popleft().reply())
        task = connection.recv()
        if task is None:  # sent once every result has been received: nothing is unsettled
            return
        unsettled.append(serve(task))


def portable(exc: BaseException) -> BaseException:
    """The exception itself if the main process can rebuild it from its arguments, as unpickling
    does (a BrokenPipeError must stay one: the CLI ends quietly on it), else its text."""
    try:
        type(exc)(*exc.args)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
