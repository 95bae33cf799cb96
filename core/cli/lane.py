"""The fast lane of `rules evaluate`: JSON Lines in, JSON Lines out, for answers seen before.

In a batch most records repeat an answer set the engine has decided already (`decisions.py`).
For such a record the lane writes the result record straight away: its `input` part, then the
decision's JSON, which was rendered once, by `Result.to_json`. No `InputRecord` and, unless a
plugin hook runs for each case, no `Result` and no plugin call is made: most of what a record costs.

Every other line (blank, malformed, nested, too long, answers seen for the first time, a
decision that is an error) goes through the general path, in place: read by the adapter,
evaluated by the engine, written by the format. The lane runs only where nothing per case could
differ: the input adapter can split its stream and recognise a plain record (`PlainLines`),
the writer accepts JSON it did not render (`RenderedJsonWriter`), and the engine offers its
decisions (`Engine.decisions`: no recorded inputs); never with `--explain`. Plugin hooks that
run for each case (`Engine.per_case`) run here too (`Engine.recalled`): a case they change is
written by the format, in place. tests/test_lane.py checks that the lane writes byte for byte
what the general path writes.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Callable
from typing import Any, BinaryIO

import orjson

from rulewright.core.cli.batch import Tally, write_all
from rulewright.core.evaluate.decisions import Decision
from rulewright.core.evaluate.records import PlainLines, ReadOptions, SpannedInput
from rulewright.core.evaluate.writers import RenderedJsonWriter

BLOCK_KIB = 256
"""KiB of whole lines read at a time."""

RUN = 64
"""Lines for the general path are handed over in runs of at most this many."""

LANE_ENV = "RULEWRIGHT_FAST_LANE"
"""Set to 0 to send every record through the general path (to compare the two, or rule it out)."""


class Lane:
    """Evaluates blocks of JSON Lines, writing records from the decision cache where it can."""

    def __init__(
        self,
        engine: Any,
        adapter: Any,
        writer: Any,
        options: ReadOptions,
        tally: Tally,
        fmt: str,
        owner: str,
        *,
        stop_on_error: bool,
    ) -> None:
        self.engine, self.adapter, self.writer, self.options = engine, adapter, writer, options
        self.tally, self.fmt, self.owner, self.stop = tally, fmt, owner, stop_on_error
        self.cache = engine.decisions

    @staticmethod
    def fits(engine: Any, adapter: Any, writer: Any, *, explain: bool) -> bool:
        return (
            not explain
            and os.environ.get(LANE_ENV, "1") != "0"
            and engine.decisions is not None
            and isinstance(adapter, PlainLines)
            and isinstance(writer, RenderedJsonWriter)
        )

    def run(self, stream: BinaryIO, *, after_block: Callable[[int], None]) -> bool:
        """Evaluate the whole stream; False if stopped at an error record (`--on-error fail`)."""
        if isinstance(self.adapter, SpannedInput) and regular_file(stream):
            return self._run_spans(stream, after_block)
        for first, data in self.adapter.split(stream, self.engine.ruleset, self.options, BLOCK_KIB):
            if not self.block(first, data):
                return False
            after_block(self.tally.count)
        return True

    def _run_spans(self, stream: BinaryIO, after_block: Callable[[int], None]) -> bool:
        """A regular file is read a span of whole lines at a time, at its offset (`span`, as
        `--jobs` workers take theirs), and each span's lines are counted once, as they are split:
        a stream's blocks were copied to join a carried-over line and counted for their first
        line numbers (15-20 ms of a 200,000-record run, measured)."""
        fd, offset, first = stream.fileno(), stream.tell(), self.options.first_line
        while True:
            covered, data = self.adapter.span(fd, offset, BLOCK_KIB * 1024, self.options)
            if not covered:
                return True
            offset += covered
            lines = None if data is None else self.lines(data)
            if not self.block(first, data, lines):
                return False
            first += 1 if lines is None else len(lines)
            after_block(self.tally.count)

    def block(self, first: int, data: bytes | None, lines: list[bytes] | None = None) -> bool:
        """Evaluate and write one block of whole lines (as `split` yields them, and split into
        `lines` if that is done already); False if stopped."""
        if data is None:  # a line too long to read: the adapter makes it an error record
            return self._general(first, None)
        return self.block_lines(first, self.lines(data) if lines is None else lines)

    @staticmethod
    def lines(data: bytes) -> list[bytes]:
        """The lines of a block, without their newlines."""
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        return lines

    def block_lines(self, first: int, lines: list[bytes]) -> bool:
        """As `block`, for a block already split into lines."""
        plain, limit = self.adapter.plain_record, self.options.max_line_bytes
        recall, id_field, dumps = self.cache.recall, self.engine.id_field, orjson.dumps
        recalled = self.engine.recalled if self.engine.per_case else None
        hits: list[Decision] = []  # counted once the block is done
        written: list[bytes] = []  # records rendered here, written together
        pending: list[bytes] = []  # consecutive lines for the general path, from line `start`
        start = first
        try:
            for line, raw in enumerate(lines, first):
                record = plain(raw, id_field) if not 0 < limit < len(raw) else None
                decision = recall(record) if record is not None else None
                if decision is None or decision.status == "error":
                    if not pending:
                        start = line
                    pending.append(raw)
                    # Decide a long run now: its answers are in the cache for the lines after it.
                    if len(pending) == RUN and not self._in_full(written, start, pending):
                        return False
                    continue
                if pending and not self._in_full(written, start, pending):
                    return False
                if recalled is not None and (changed := recalled(record, decision, line)) is not None:
                    self._flush(written)
                    if not write_all(
                        (changed,), self.writer, self.fmt, self.owner, self.tally, stop_on_error=self.stop
                    ):
                        return False
                    continue
                source = {"line": line, "id": record.get(id_field) if id_field else None}  # type: ignore[union-attr]
                written.append(b'{"input":' + dumps(source) + decision.tail)
                hits.append(decision)
            if pending and not self._in_full(written, start, pending):
                return False
            self._flush(written)
            return True
        finally:
            kinds = self.tally.kinds
            for decision, n in Counter(hits).items():
                kinds[decision.status, decision.urgency] += n

    def _flush(self, written: list[bytes]) -> None:
        if written:
            self.writer.write_json(b"".join(written))
            written.clear()

    def _in_full(self, written: list[bytes], first: int, lines: list[bytes]) -> bool:
        """Lines the lane does not take: read, evaluated and written by the general path, after
        what the lane has rendered so far."""
        self._flush(written)
        data = b"\n".join(lines) + b"\n"  # the newline keeps a last blank line a line
        lines.clear()
        return self._general(first, data)

    def _general(self, first: int, data: bytes | None) -> bool:
        records = self.adapter.read_chunk((first, data), self.engine.ruleset, self.options)
        results = self.engine.evaluate_batch(records)
        return write_all(results, self.writer, self.fmt, self.owner, self.tally, stop_on_error=self.stop)


def regular_file(stream: Any) -> bool:
    """A regular file that can be read at any offset, not a pipe or a terminal."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False
