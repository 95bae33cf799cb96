"""Named integers and a lock that a process and its forked workers share (`rules evaluate --jobs`).

multiprocessing's `RawValue`, `RawArray` and `Lock` would do, but importing them (ctypes, the
multiprocessing package) took milliseconds of every parallel run's start, before any worker
could begin (forked.py). An anonymous shared mapping holds the values instead; forked children
see and change the same memory. Each value is an aligned 64-bit integer, so a read never sees
half a write; anything more than one read or one write needs a `SharedLock`.
"""

from __future__ import annotations

import mmap
import os
from typing import Any


class SharedInts:
    _slots: dict[str, int]
    _view: memoryview

    def __init__(self, **values: int) -> None:
        view = memoryview(mmap.mmap(-1, 8 * max(len(values), 1))).cast("q")
        for slot, value in enumerate(values.values()):
            view[slot] = value
        object.__setattr__(self, "_slots", {name: slot for slot, name in enumerate(values)})
        object.__setattr__(self, "_view", view)

    def __getattr__(self, name: str) -> int:
        try:
            return int(self._view[self._slots[name]])
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._slots:
            raise AttributeError(name)
        self._view[self._slots[name]] = value


class SharedLock:
    """A lock for forked processes: one byte in a pipe, which a process takes to hold the lock
    and puts back to release it. Taking and putting back order the memory writes around them,
    as any lock does. A process that dies holding it leaves the others waiting: the run is over
    then anyway (the main process sees the worker gone and stops the others)."""

    def __init__(self) -> None:
        self._take, self._give = os.pipe()
        os.write(self._give, b"\0")

    def __enter__(self) -> None:
        os.read(self._take, 1)

    def __exit__(self, *exc: object) -> None:
        os.write(self._give, b"\0")

    def close(self) -> None:
        os.close(self._take)
        os.close(self._give)
