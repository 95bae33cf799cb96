"""`--jobs` workers: the parent's signal handling stays in the parent; chunks written in pieces;
a worker that keeps working while a chunk waits for its turn."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rulewright.core.cli import crew, parallel, turns


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
        turns.Turns(multiprocessing.get_context("fork"), out.fileno()).write(0, pieces)
    assert target.read_bytes() == b"head\n" + everything
    assert max(batches) == 1024  # never more than Linux takes
    read, write = os.pipe()  # a stream: written in turn, where it stands
    with os.fdopen(read, "rb") as reader:
        turns.Turns(multiprocessing.get_context("fork"), write).write(0, pieces[:50])
        os.close(write)
        assert reader.read() == b"".join(pieces[:50])


class _Connection:
    """A worker's end of its pipe, in one process: tasks to hand out, replies sent back."""

    def __init__(self, tasks: list[Any]) -> None:
        self.tasks, self.replies = tasks, []  # type: list[Any], list[Any]

    def poll(self) -> bool:
        return bool(self.tasks)

    def recv(self) -> Any:
        return self.tasks.pop(0)

    def send(self, reply: Any) -> None:
        self.replies.append(reply)


def test_a_worker_takes_its_next_chunk_while_one_waits_for_its_turn() -> None:
    # Chunk 0's turn comes only once chunk 1 is done (as when another worker is slow with the
    # chunk before it). The worker must not sit waiting with chunk 1 in hand.
    served: list[int] = []

    class Chunk:
        def __init__(self, index: int) -> None:
            self.index = index

        def settle(self, wait: bool) -> bool:
            ready = self.index > 0 or 1 in served
            assert ready or not wait, "waited for a turn with a chunk still to do"
            return ready

        def reply(self) -> tuple[str, Any]:
            return ("ok", self.index)

    def serve(task: tuple[int, Any]) -> Chunk:
        served.append(task[0])
        return Chunk(task[0])

    connection = _Connection([(0, "a"), (1, "b"), None])
    crew._loop(connection, serve, lambda: None)
    assert connection.replies == [("ok", 0), ("ok", 1)]  # results still go back in order
