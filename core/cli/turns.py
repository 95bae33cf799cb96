"""Workers of `rules evaluate --jobs N` take turns writing their chunks straight to the output.

Copying every rendered chunk back to the main process to be written costs as much as
rendering it (JSON Lines output is several times the size of the input), so where the output
is a real file descriptor shared by forked workers (a file, a pipe, `--output`'s temporary
file), each worker writes its chunk itself, in input order: chunk n waits until the writer of
chunk n-1 has passed the turn. A worker that fails, or whose chunk stopped the run (`--on-error
fail`), halts the writing: later chunks pass their turn without writing.
"""

from __future__ import annotations

import os
from typing import Any


class Turns:
    def __init__(self, context: Any, fd: int) -> None:
        self.fd = fd
        self._changed = context.Condition()
        self._next = context.RawValue("q", 0)  # guarded by _changed
        self._halted = context.RawValue("b", 0)

    def write(self, index: int, data: bytes, *, stop_after: bool = False) -> bool:
        """Write chunk `index` once every chunk before it is written; False if writing has halted."""
        with self._changed:
            self._changed.wait_for(lambda: self._next.value == index)
            try:
                if self._halted.value:
                    return False
                _write_all(self.fd, data)
                if stop_after:
                    self._halted.value = 1
                return True
            except BaseException:
                self._halted.value = 1
                raise
            finally:
                self._next.value = index + 1
                self._changed.notify_all()

    def halt(self, index: int) -> None:
        """Chunk `index` failed: nothing after it is written (its turn still passes, in order)."""
        self.write(index, b"", stop_after=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
