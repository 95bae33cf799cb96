"""`--input-format csv`: one record per physical row, typed by the ruleset's inputs.

A row is one line of the file (ending in LF or CRLF). Cells may be quoted, but a quoted cell
never runs on to the next line: a quote left open is an error record at its own row, the cells
before it still read, and reading resumes on the next line. So one stray quote costs one row,
never the rows after it (with a line-spanning reader, a stray quote in row 10 of 1,000 swallowed
the 990 rows after it, and a second one 890 rows later closed the cell: 890 patients gone,
exit 0). An empty cell is missing, never false.

Every row that cannot be read whole is an error record carrying what could be read: cells with
bytes that are not UTF-8 are left out; a column named twice in the header keeps each copy
(`answers_from_copies`); a row with more or fewer cells than the header is screened with its
cells aligned from the left and from the right (`InputRecord.readings`), since the cell that is
missing or extra may be anywhere.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from rulewright.core import InputRecord, ReadOptions, Ruleset, answer_from_text, answers_from_copies, clipped
from rulewright.plugins.adapters import bounded_lines

_STRAY = "\ud800"
_SURROGATE = re.compile("[\ud800\udc80-\udcff]")
_NAME = re.compile(r"\s*[A-Za-z_][\w.-]*\s*")
# The longest cell read: the csv module's default field limit. Past it a cell, quoted or not, is
# unreadable on its own and the row's other cells are still read; the csv module would instead
# refuse the whole row, losing a red flag answered before the long cell. Its own limit is lifted
# (lines are already bounded by --max-line-bytes) so that it parses the row and we judge the cell.
CELL_LIMIT = csv.field_size_limit()
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class _Row:
    """The cells of one line; `None` for a cell that could not be read."""

    def __init__(self, raw: bytes) -> None:
        self.problem: tuple[str, str] | None = None
        self.unclosed = False
        try:
            text, clean = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            text, clean = raw.decode("utf-8", "surrogateescape"), False  # a bad byte spoils its cell
        body = text.rstrip("\n").removesuffix("\r")
        if clean and '"' not in body and "\r" not in body:
            # No quote: the cells are what the commas part (the csv module agrees, faster).
            self.cells: list[str | None] = body.split(",") if body else []  # type: ignore[assignment]
            if len(body) > CELL_LIMIT:
                self._spoil_long_cells()
            return
        # A bare CR, which the csv module refuses, spoils only its cell: it stands in as a lone
        # surrogate, which decoded UTF-8 never holds.
        stray = "\r" in body
        try:
            cells = next(csv.reader([body.replace("\r", _STRAY) + "\n"]), [])
        except csv.Error as exc:
            self.cells = []
            self.problem = ("invalid_csv", f"invalid CSV: {exc}")
            return
        # The line's own newline is its only one: a cell holding it was opened by a quote
        # that the line never closes.
        if cells and "\n" in cells[-1]:
            self.unclosed = True
        self.cells = [None if _SURROGATE.search(c) else c for c in cells]
        if self.unclosed:
            self.cells[-1] = None
        if len(body) > CELL_LIMIT and self._spoil_long_cells():
            return
        if None in self.cells[: len(self.cells) - self.unclosed]:
            cell = self.cells.index(None) + 1
            bad = stray and _STRAY in cells[cell - 1]
            self.problem = (
                ("invalid_csv", f"cell {cell} holds a carriage return inside the line")
                if bad
                else ("invalid_utf8", f"row is not valid UTF-8 (cell {cell})")
            )

    def _spoil_long_cells(self) -> bool:
        """Make each cell longer than CELL_LIMIT unreadable; True if there was one."""
        long = [n for n, c in enumerate(self.cells, 1) if c is not None and len(c) > CELL_LIMIT]
        for n in long:
            self.cells[n - 1] = None
        if long:
            self.problem = ("invalid_csv", f"cell {long[0]} is longer than {CELL_LIMIT} characters")
        return bool(long)

    def blank(self) -> bool:
        return self.problem is None and not self.unclosed and not any(c and c.strip() for c in self.cells)


class Csv:
    """CSV with a header row, typed by the ruleset's inputs. An empty cell is missing, never false."""

    extensions = (".csv",)

    @staticmethod
    def sniff(head: bytes) -> bool:
        """True if `head` (the first bytes of an input with no telling name, such as stdin)
        starts with a CSV header: names separated by commas, as no JSON text starts."""
        first = head.removeprefix(codecs.BOM_UTF8).split(b"\n", 1)[0].rstrip(b"\r")
        try:
            cells = next(csv.reader([first.decode("utf-8")]), [])
        except (UnicodeDecodeError, csv.Error):
            return False
        return len(cells) > 1 and all(_NAME.fullmatch(c) for c in cells)

    def read(self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions) -> Iterator[InputRecord]:
        yield from self.rows(bounded_lines(stream, options.max_line_bytes), ruleset, options)

    def rows(
        self, lines: Iterable[bytes | None], ruleset: Ruleset, options: ReadOptions
    ) -> Iterator[InputRecord]:
        inputs = {i.id: i for i in ruleset.inputs}
        header: list[str] = []
        twice: str | None = None  # the first column named twice in the header
        broken: tuple[str, str] | None = None  # why the header cannot be read
        row = 0
        for line, raw in enumerate(lines, 1):
            if line == 1:
                header, broken = _header(raw, options.max_line_bytes)
                twice = _first_named_twice(header)
                continue
            if raw is None:
                row += 1
                problem = ("line_too_long", f"line is longer than {options.max_line_bytes} bytes")
                yield InputRecord(line, None, problem, row)
                continue
            cells = _Row(raw)
            if cells.blank():
                options.blank_lines += 1
                continue
            row += 1
            if broken:
                yield InputRecord(line, None, (broken[0], f"the header cannot be read: {broken[1]}"), row)
            else:
                yield _record(line, row, header, twice, cells, inputs, options.id_field)
        if broken and row == 0:
            yield InputRecord(1, None, broken, None)


def _first_named_twice(header: list[str]) -> str | None:
    """The first column (in header order) whose name appears again, in one pass: counting each
    name in the whole header made a 300,000-column header take over ten minutes."""
    counts = Counter(header)
    return next((name for name in header if counts[name] > 1), None)


def _header(raw: bytes | None, limit: int) -> tuple[list[str], tuple[str, str] | None]:
    if raw is None:
        return [], ("line_too_long", f"line is longer than {limit} bytes")
    cells = _Row(raw.removeprefix(codecs.BOM_UTF8))
    if cells.unclosed:
        return [], (
            "invalid_csv",
            f"a quote opens header cell {len(cells.cells)} and is not closed on its line",
        )
    if cells.problem or None in cells.cells:
        return [], cells.problem or ("invalid_utf8", "the header is not valid UTF-8")
    return [c.strip() for c in cells.cells if c is not None], None


def _record(
    line: int,
    row: int,
    header: list[str],
    twice: str | None,
    cells: _Row,
    inputs: dict[str, Any],
    id_field: str | None,
) -> InputRecord:
    if cells.problem and not cells.cells:
        return InputRecord(line, None, cells.problem, row)
    values = cells.cells
    if twice is None and cells.problem is None and not cells.unclosed and len(values) == len(header):
        record: dict[str, Any] = {}  # the common case: a whole row, every column once
        for name, cell in zip(header, values, strict=True):
            text = cell.strip()  # type: ignore[union-attr]
            if text:
                record[name] = answer_from_text(inputs.get(name), text)
        return InputRecord(line, record, None, row, record.get(id_field) if id_field else None)

    def copies(pairs: Iterable[tuple[str, str | None]]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for name, cell in pairs:
            text = None if cell is None else cell.strip()
            # An unreadable cell and an empty one are both missing; a column named twice keeps both.
            value = answer_from_text(inputs.get(name), text) if text else None
            out.setdefault(name, []).append(value)
        return out

    problem = cells.problem
    if cells.unclosed:
        where = header[len(values) - 1] if len(values) <= len(header) else f"cell {len(values)}"
        problem = (
            "invalid_csv",
            f"unmatched quote: the quote that opens column {clipped(where)} is not closed on its "
            "line; the cells after it are not read",
        )
    elif len(values) != len(header):
        # The cell missing or extra may be anywhere: screen the row aligned from either end.
        readings = tuple(
            answers_from_copies(copies(zip(names, cells_, strict=False)))[0]
            for names, cells_ in ((header, values), (header[::-1], values[::-1]))
        )
        shown = {repr(r.get(id_field)) for r in readings} if id_field else set()
        problem = ("invalid_csv", f"row has {len(values)} cells; the header has {len(header)}")
        record_id = readings[0].get(id_field) if id_field and len(shown) == 1 else None
        return InputRecord(line, {}, problem, row, record_id, readings)
    found = copies(zip(header, values, strict=False))
    ids = found.pop(id_field, [None]) if id_field else [None]
    answers, readings = answers_from_copies(found)
    record_id = ids[0] if len({repr(i) for i in ids}) == 1 else None
    if twice is not None:
        problem = problem or ("duplicate_key", f"column {clipped(twice)} appears twice in the header")
    answers = {k: v for k, v in answers.items() if v is not None}
    if id_field and record_id is not None:
        answers[id_field] = record_id
    return InputRecord(line, answers, problem, row, record_id, readings)
