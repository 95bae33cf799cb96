"""Forked worker processes and the pipes to them, on the os module alone (`rules evaluate --jobs`).

multiprocessing would do, and the process pool path (parallel.py) still uses it, but importing it
(its contexts, its pickling support, the socket module) and making its lock took 8-12 ms of a
half-second run, measured, all of it before the first worker could start. The workers of
crew.py need no more than a fork, two pipes each and a lock (shared.py).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from typing import Any

_LENGTH = struct.Struct("!Q")


class Channel:
    """One process's ends of a pair of pipes: pickled messages, each after its length."""

    def __init__(self, receive: int, send: int) -> None:
        self.fds = (receive, send)

    @classmethod
    def pair(cls) -> tuple[Channel, Channel]:
        """Two channels, each sending to the other."""
        a_receive, b_send = os.pipe()
        b_receive, a_send = os.pipe()
        return cls(a_receive, a_send), cls(b_receive, b_send)

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            view = view[os.write(self.fds[1], view) :]

    def recv(self) -> Any:
        """The next message; EOFError once the other end has closed with nothing left to read."""
        (length,) = _LENGTH.unpack(self._read(_LENGTH.size))
        return pickle.loads(self._read(length))

    def poll(self, timeout: float = 0.0) -> bool:
        """Whether a message (or the end) can be read within `timeout` seconds."""
        return bool(ready([self], timeout))

    def close(self) -> None:
        for fd in self.fds:
            with suppress(OSError):
                os.close(fd)

    def _read(self, size: int) -> bytes:
        pieces, left = [], size
        while left:
            piece = os.read(self.fds[0], left)
            if not piece:
                raise EOFError
            pieces.append(piece)
            left -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def ready(channels: Sequence[Channel], timeout: float | None = None) -> list[Channel]:
    """The channels with something to read (a message or the end), waiting up to `timeout`
    seconds for one (None: as long as it takes)."""
    poller = select.poll()
    for channel in channels:
        poller.register(channel.fds[0], select.POLLIN)
    fds = {fd for fd, _ in poller.poll(None if timeout is None else timeout * 1000)}
    return [channel for channel in channels if channel.fds[0] in fds]


_STOPS = {signal.SIGINT, signal.SIGTERM}


class Child:
    """A forked process running `target(*args)`. It leaves through os._exit: nothing the parent
    had in its buffers is written twice, and no exit handler of the parent's runs again.

    SIGTERM ends a child at once and Ctrl-C is the parent's to handle. Both are held back while
    it is forked: a SIGTERM that reached it before it dropped the parent's handler raised inside
    Python's after-fork hooks, which swallow exceptions, and the child lived on waiting for work
    while the parent waited for it to end (seen when a run was stopped as it started)."""

    def __init__(
        self, target: Callable[..., None], args: tuple[Any, ...] = (), close: Iterable[int] = ()
    ) -> None:
        self.exitcode: int | None = None
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        try:
            self.pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        if self.pid == 0:  # the child
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a SIGTERM held back ends it here
            code = 1
            try:
                for fd in close:  # the parent's ends of other pipes: each end stays with one process
                    os.close(fd)
                target(*args)
                code = 0
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a signal to the parent is raised here
        except BaseException:
            self.terminate()  # not left running with nobody to stop it
            self.join()
            raise

    def poll(self) -> int | None:
        """The exit code, once the process has ended."""
        if self.exitcode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode

    def join(self, timeout: float | None = None) -> None:
        if timeout is None:
            if self.exitcode is None:
                self.exitcode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
            return
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)

    def terminate(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
