"""Workers of `rules evaluate --jobs N` take turns writing their chunks straight to the output.

Copying every rendered chunk back to the main process to be written costs as much as
rendering it (JSON Lines output is several times the size of the input), so where the output
is a real file descriptor shared by forked workers (a file, a pipe, `--output`'s temporary
file), each worker writes its chunk itself, in input order: chunk n waits for chunk n-1's turn.

Into a regular file, a turn only claims the chunk's place (its offset: where chunk n-1 ends) and
the bytes are then written there (`os.pwrite`) while the next chunk claims its own, so workers
write side by side. Anything else (a pipe, a terminal, a file opened to append) has no places
to claim: the turn is the write itself. A worker that fails, or whose chunk stopped the run
(`--on-error fail`), halts the writing: later chunks pass their turn without writing.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time

from rulewright.core.cli.behind import start_writing
from rulewright.core.cli.shared import SharedInts, SharedLock

_IOV_MAX = 1024
"""Pieces per vectored write: Linux takes at most 1,024 (IOV_MAX)."""
_TURN_POLL = 0.0005
"""Seconds between looks at the turn, for a chunk written before its turn has come."""


class Turns:
    def __init__(self, fd: int, *, write_behind: bool = False) -> None:
        self.fd = fd
        self.write_behind = write_behind  # each chunk placed goes to disk now (behind.py)
        self._lock = SharedLock()
        # The chunk whose turn it is, whether writing has halted, and where the next chunk goes
        # when chunks are placed; changed under the lock.
        self._shared = SharedInts(
            next=0, halted=0, offset=os.lseek(fd, 0, os.SEEK_CUR) if _placeable(fd) else -1
        )

    def ready(self, index: int) -> bool:
        """Whether chunk `index` may write now (every chunk before it has had its turn). Read
        without the lock: only the chunk whose turn it is can move the turn on."""
        return bool(self._shared.next == index)

    def write(self, index: int, data: list[bytes], *, stop_after: bool = False) -> bool:
        """Write chunk `index` (its bytes, in pieces) after every chunk before it; False if
        writing has halted."""
        while not self.ready(index):  # the workers of crew.py ask only when it is
            time.sleep(_TURN_POLL)
        with self._lock:
            try:
                if self._shared.halted:
                    return False
                offset = self._shared.offset
                if offset < 0:
                    _write_all(self.fd, data)  # in turn: a stream has no places
                else:
                    self._shared.offset = offset + sum(map(len, data))
                if stop_after:
                    self._shared.halted = 1
            except BaseException:
                self._shared.halted = 1
                raise
            finally:
                self._shared.next = index + 1
        if offset >= 0:
            _write_all(self.fd, data, offset)  # its place is claimed: no need to wait for others
            if self.write_behind:
                start_writing(self.fd, offset, sum(map(len, data)))
        return True

    def halt(self, index: int) -> None:
        """Chunk `index` failed: nothing after it is written (its turn still passes, in order)."""
        self.write(index, [], stop_after=True)

    def finish(self) -> None:
        """Leave the descriptor's position after the last chunk, as sequential writes would."""
        if self._shared.offset >= 0:
            os.lseek(self.fd, self._shared.offset, os.SEEK_SET)
        self._lock.close()


def _placeable(fd: int) -> bool:
    """A regular file not opened to append (where pwrite would ignore the offset)."""
    return stat.S_ISREG(os.fstat(fd).st_mode) and not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND


def _write_all(fd: int, data: list[bytes], offset: int = -1) -> None:
    """Write the pieces in order, at `offset` or (if negative) where the descriptor stands."""
    views = [memoryview(piece) for piece in data if piece]
    start = 0
    while start < len(views):
        batch = views[start : start + _IOV_MAX]
        done = os.writev(fd, batch) if offset < 0 else os.pwritev(fd, batch, offset)
        if offset >= 0:
            offset += done
        for view in batch:  # step past what was written; a short write leaves part of a piece
            if done < len(view):
                views[start] = view[done:]
                break
            done -= len(view)
            start += 1
