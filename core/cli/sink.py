"""Where `rules evaluate` writes: standard output, or `--output`.

An `--output` file is written to a partial file beside it (partial.py) and renamed over it only
when the run completes, so readers see the whole old file or the whole new one. A symbolic link
is followed (follow.py: never one another user planted in a world-writable sticky folder): the
file it points to is replaced, keeping its owner, group and mode, and the link stays. A device
or a pipe (`-o /dev/stdout`, `-o /dev/null`, a FIFO) has nothing to replace, and renaming a file
over it would put a regular file in its place (as root, even over `/dev/null`): it is written
to directly. The output is never the input: a file being read is not replaced or appended to,
whatever path, link or hard link names it.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from typing import IO, Any

from rulewright.core.cli.app import fail
from rulewright.core.cli.behind import WriteBehindFile
from rulewright.core.cli.follow import Place, locate
from rulewright.core.cli.partial import open_partial_at

OUTPUT_BUFFER = 1 << 20
"""Bytes buffered before `--output` is written to."""


def _batch_stdout(stream: Any) -> bool:
    """Standard output is a file or a pipe we can buffer ourselves (not a terminal, and a real
    descriptor rather than a test runner's stand-in)."""
    try:
        return not stream.isatty() and stream.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        return False


class Sink:
    """stdout, or `--output`: a partial file renamed over it when the run completes, or, for a
    device or a pipe, the output itself. `reads`: the input path (`-` for stdin), never written."""

    def __init__(self, output: str | None, reads: str | None = None) -> None:
        self.output = output
        self.reads = reads
        self.place: Place | None = None  # the folder and name `--output` leads to
        self.tmp: str | None = None  # the partial file's name in that folder
        self.stream: IO[str] = sys.stdout
        self.buffers_stdout = False  # standard output written through our own buffer
        self.replaces = False  # `--output` names an existing regular file
        self.direct = False  # `--output` is a device or a pipe, written to as it is

    def __enter__(self) -> Sink:
        if self.output:
            self.stream = self._open(self.output)
        else:
            self._not_the_input("standard output", _fstat(sys.stdout))
            if _batch_stdout(sys.stdout):
                # The same for a file or a pipe on standard output (not a terminal, which sees
                # each record as it comes); written through our own buffer, flushed at the end.
                sys.stdout.flush()
                out = io.BufferedWriter(io.FileIO(sys.stdout.fileno(), "w", closefd=False), OUTPUT_BUFFER)
                self.stream = io.TextIOWrapper(
                    out, encoding=sys.stdout.encoding, errors=sys.stdout.errors, newline="\n"
                )
                self.buffers_stdout = True
        return self

    def _open(self, output: str) -> IO[str]:
        try:
            place = self.place = locate(output)
            target = os.stat(place.name, dir_fd=place.folder) if place.through_kernel else _lstat(place)
            self._not_the_input(f"--output {output}", target)
            if place.through_kernel or (target is not None and not stat.S_ISREG(target.st_mode)):
                self.direct = True
                nofollow = 0 if place.through_kernel else os.O_NOFOLLOW
                flags = os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | nofollow
                file = io.FileIO(os.open(place.name, flags, dir_fd=place.folder), "w")
            else:
                self.replaces = target is not None
                fd, self.tmp = open_partial_at(place.folder, place.name, ".rules-", like=target, owner=True)
                file = WriteBehindFile(fd) if self.replaces else io.FileIO(fd, "w")
        except OSError as exc:
            self._close_place()
            fail(f"cannot write --output {output}: {exc.strerror or exc}")
        # A large buffer: a batch interleaves big blocks of rendered records with single
        # records written one by one; with the default 8 KiB that was 4,000 write calls
        # per 200,000 records (measured: 25 ms of a 0.86 s run).
        return io.TextIOWrapper(io.BufferedWriter(file, OUTPUT_BUFFER), encoding="utf-8", newline="\n")

    def _not_the_input(self, what: str, out: os.stat_result | None) -> None:
        """Refuse to write over (or append to) the file being read: compared by device and inode,
        so another path, a symbolic or a hard link to it is refused too."""
        if out is None or not stat.S_ISREG(out.st_mode) or self.reads is None:
            return
        source = _fstat(sys.stdin) if self.reads == "-" else _stat(self.reads)
        if source is not None and (source.st_dev, source.st_ino) == (out.st_dev, out.st_ino):
            self._close_place()
            shown = "standard input" if self.reads == "-" else self.reads
            fail(f"{what} is the input ({shown}); refusing to write over the file being read")

    def write(self, text: str) -> int:
        return self.stream.write(text)

    @property
    def buffer(self) -> Any:
        """The byte stream under the text one, for formats that write UTF-8 they encoded (jsonl)."""
        return getattr(self.stream, "buffer", None)

    @property
    def line_buffering(self) -> bool:
        return bool(getattr(self.stream, "line_buffering", False))

    def write_bytes(self, data: bytes) -> None:
        """UTF-8 text already encoded (by a `--jobs` worker), written without decoding it again."""
        buffer = getattr(self.stream, "buffer", None)
        if buffer is None:
            self.stream.write(data.decode("utf-8"))
            return
        self.stream.flush()
        buffer.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def fileno(self) -> int:
        """The output's file descriptor (`--jobs` workers write to it in turn); raises if none."""
        return self.stream.fileno()

    @property
    def writes_behind(self) -> bool:
        """Whether what is written should go to disk as it grows (behind.py): an `--output` that
        replaces an existing file, which the final rename would otherwise flush to disk whole."""
        return self.tmp is not None and self.replaces

    def abandon(self) -> None:
        if self.tmp:
            self.stream.close()
            self._unlink_tmp()
        self._close_place()

    def _unlink_tmp(self) -> None:
        assert self.place is not None and self.tmp is not None
        tmp, self.tmp = self.tmp, None
        os.unlink(tmp, dir_fd=self.place.folder)

    def _close_place(self) -> None:
        if self.place is not None:
            self.place.close()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._finish(exc_type)
        finally:
            self._close_place()

    def _finish(self, exc_type: Any) -> None:
        if self.buffers_stdout:
            self.stream.flush()  # a closed pipe raises here, as it would on sys.stdout
        if self.direct:
            self.stream.close()
            return
        if not self.tmp:
            return
        assert self.place is not None
        folder = self.place.folder
        try:
            self.stream.close()  # the last write can fail too (a full disk)
            if exc_type is None:
                os.replace(self.tmp, self.place.name, src_dir_fd=folder, dst_dir_fd=folder)
                self.tmp = None
                return
        except BaseException:
            self._unlink_tmp()
            raise
        self._unlink_tmp()


def _lstat(place: Place) -> os.stat_result | None:
    try:
        return os.stat(place.name, dir_fd=place.folder, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None  # reading it will fail with its own message


def _fstat(stream: Any) -> os.stat_result | None:
    try:
        return os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):  # a test runner's stand-in
        return None
