"""`rules evaluate --jobs N` from a regular file: the workers take their chunks themselves.

The input adapter cuts the file into spans of whole lines (`span`); the cursor is where the next
one starts, in memory the forked workers share, so each takes its next chunk without the main
process reading the file or handing anything out.
"""

from __future__ import annotations

import mmap
import os
import time
from array import array
from collections.abc import Iterator
from typing import Any, BinaryIO

from rulewright.core.cli.shared import SharedInts, SharedLock
from rulewright.core.evaluate.records import ReadOptions


class Cursor:
    """Where the next chunk of a regular input file starts, shared by forked workers: each takes
    its next chunk itself, in file order, under a lock (no process reads the file for them, and
    none waits for one to hand a chunk out). A chunk is at most `largest` bytes and at most a
    (2 x jobs)th of what is left of the file, so the last chunks are small and no worker is left
    finishing a big one alone (with equal chunks, one worker finished a whole chunk, 10-20 ms,
    after the other, measured); never under `smallest`.

    A chunk's first line number is the previous chunk's plus the lines it holds, which its
    worker counts when it splits it into lines anyway (`first_line`): counting them again under
    the lock cost each worker about 6 ms of a 200,000-record run."""

    def __init__(
        self, adapter: Any, stream: BinaryIO, options: ReadOptions, jobs: int, *, largest: int, smallest: int
    ) -> None:
        self.adapter, self.options, self.jobs = adapter, options, jobs
        self.largest, self.smallest = largest, smallest  # bytes per chunk
        self.fd = stream.fileno()
        self.size = os.fstat(self.fd).st_size
        self._lock = SharedLock()
        # Where the next chunk starts, how many chunks are taken, whether the file has ended;
        # and the first line of the latest chunks, as (chunk, line) in slot chunk % _RING. All
        # read and written under the lock.
        self._state = SharedInts(offset=stream.tell(), taken=0, ended=0)
        self._firsts = memoryview(mmap.mmap(-1, 16 * _RING)).cast("q")
        self._firsts[::2] = array("q", [-1] * _RING)
        self._firsts[0], self._firsts[1] = 0, options.first_line

    def take(self) -> tuple[int, tuple[str, Any]] | None:
        """The next chunk, numbered: (index, ("taken", (index, bytes))); None at the end."""
        state = self._state
        with self._lock:
            if state.ended:
                return None
            offset, index = state.offset, state.taken
            want = max(self.smallest, min(self.largest, (self.size - offset) // (2 * self.jobs)))
            covered, data = self.adapter.span(self.fd, offset, want, self.options)
            if not covered:
                state.ended = 1
                return None
            state.offset, state.taken = offset + covered, index + 1
        return index, ("taken", (index, data))

    def first_line(self, index: int, lines: int) -> int:
        """Chunk `index`'s first line, once the chunk before it has told how many lines it holds
        (its worker does so as soon as it has split it: this waits microseconds, if at all);
        tells in turn that chunk `index` holds `lines`."""
        slot, after = 2 * (index % _RING), 2 * ((index + 1) % _RING)
        while True:
            with self._lock:
                if self._firsts[slot] == index:
                    first = self._firsts[slot + 1]
                    self._firsts[after], self._firsts[after + 1] = index + 1, first + lines
                    return first
            time.sleep(_FIRST_LINE_POLL)

    @property
    def taken(self) -> int:
        """How many chunks have been taken (all of them, once a taker has had None)."""
        return self._state.taken

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """Every chunk, taken by the calling process (to hand them out itself)."""
        while task := self.take():
            yield task[1]

    def close(self) -> None:
        self._lock.close()


_RING = 64
"""Chunks whose first line the cursor keeps at once: far more than are ever taken and not yet
written (a few per worker), so a slot is never reused before its chunk has read it."""
_FIRST_LINE_POLL = 0.00002
"""Seconds between looks for the previous chunk's line count."""
