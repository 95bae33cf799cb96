"""Named integers that a process and its forked workers share (`rules evaluate --jobs`).

multiprocessing's `RawValue` and `RawArray` would do, but they import ctypes, a few
milliseconds of every parallel run's start, spent before any worker can begin. An anonymous
shared mapping holds the values instead; forked children see and change the same memory. Each
value is an aligned 64-bit integer, so a read never sees half a write; anything more than one
read or one write needs the caller's lock.
"""

from __future__ import annotations

import mmap
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
