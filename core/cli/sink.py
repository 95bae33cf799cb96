"""Where `rules evaluate` writes: standard output, or `--output`.

An `--output` file is written to a partial file beside it (partial.py) and renamed over it only
when the run completes, so readers see the whole old file or the whole new one. A symbolic link
is followed: the file it points to is replaced and the link stays. A device or a pipe
(`-o /dev/stdout`, `-o /dev/null`, a FIFO) has nothing to replace, and renaming a file over it
would put a regular file in its place (as root, even over `/dev/null`): it is written to
directly.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from typing import IO, Any

from rulewright.core.cli.app import fail
from rulewright.core.cli.behind import WriteBehindFile
from rulewright.core.cli.partial import open_partial

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
    device or a pipe, the output itself."""

    def __init__(self, output: str | None) -> None:
        self.output = output
        self.tmp: str | None = None
        self.stream: IO[str] = sys.stdout
        self.buffers_stdout = False  # standard output written through our own buffer
        self.replaces = False  # `--output` names an existing regular file
        self.direct = False  # `--output` is a device or a pipe, written to as it is

    def __enter__(self) -> Sink:
        if self.output:
            self.stream = self._open(self.output)
        elif _batch_stdout(sys.stdout):
            # The same for a file or a pipe on standard output (not a terminal, which sees each
            # record as it comes); written through our own buffer, flushed at the end.
            sys.stdout.flush()
            out = io.BufferedWriter(io.FileIO(sys.stdout.fileno(), "w", closefd=False), OUTPUT_BUFFER)
            self.stream = io.TextIOWrapper(
                out, encoding=sys.stdout.encoding, errors=sys.stdout.errors, newline="\n"
            )
            self.buffers_stdout = True
        return self

    def _open(self, output: str) -> IO[str]:
        try:
            try:
                mode: int | None = os.stat(output).st_mode  # the kernel follows links, /dev/stdout's too
            except FileNotFoundError:
                mode = None
            if mode is not None and not stat.S_ISREG(mode):
                self.direct = True
                file = io.FileIO(output, "w")
            else:
                # The file a symbolic link points to is replaced; the link stays a link.
                self.output, self.replaces = os.path.realpath(output), mode is not None
                fd, self.tmp = open_partial(self.output, ".rules-")
                file = WriteBehindFile(fd) if self.replaces else io.FileIO(fd, "w")
        except OSError as exc:
            fail(f"cannot write --output {output}: {exc.strerror or exc}")
        # A large buffer: a batch interleaves big blocks of rendered records with single
        # records written one by one; with the default 8 KiB that was 4,000 write calls
        # per 200,000 records (measured: 25 ms of a 0.86 s run).
        return io.TextIOWrapper(io.BufferedWriter(file, OUTPUT_BUFFER), encoding="utf-8", newline="\n")

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
            os.unlink(self.tmp)
            self.tmp = None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.buffers_stdout:
            self.stream.flush()  # a closed pipe raises here, as it would on sys.stdout
        if self.direct:
            self.stream.close()
            return
        if not self.tmp:
            return
        tmp, self.tmp = self.tmp, None
        try:
            self.stream.close()  # the last write can fail too (a full disk)
            if exc_type is None:
                os.replace(tmp, self.output)  # type: ignore[arg-type]
                return
        except BaseException:
            os.unlink(tmp)
            raise
        os.unlink(tmp)
