"""Built-in output formats: `jsonl` (one record per line), `json` (an array), `csv`, `text` and
`table`.

A format is a factory `factory(stream, options) -> writer`; the writer's `write(result)` is
called once per result, in input order, and `close()` once at the end.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from rulewright.core import FormatOptions, Result, hookimpl, json_default, score_text, trace_lines


class JsonLinesWriter:
    concatenable = True
    """Chunks written by separate writers, joined in order, equal one writer's output (`--jobs`)."""

    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        buffer = getattr(stream, "buffer", None)
        if buffer is None or getattr(stream, "line_buffering", False):
            self._write = self._write_text  # a terminal sees each line as it is written
        else:
            # Records are UTF-8 already: hand them to the byte stream under the text layer rather
            # than decode and encode every line again. What was written as text goes first.
            stream.flush()
            self._write = buffer.write

    def _write_text(self, data: bytes) -> None:
        self.stream.write(data.decode("utf-8"))

    def write(self, result: Result) -> None:
        self._write(result.to_json())

    def write_json(self, data: bytes) -> None:
        """Write records rendered already, each as `Result.to_json` renders it (the fast lane)."""
        self._write(data)

    def close(self) -> None:
        pass


class JsonArrayWriter:
    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        self.count = 0

    def write(self, result: Result) -> None:
        text = json.dumps(result.to_record(), ensure_ascii=False, indent=2, default=json_default)
        self.stream.write(("[\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")


# A spreadsheet runs a cell that starts with one of these as a formula (the OWASP list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs: text that could start a formula gets a
    leading `'`. Numbers stay numbers: a JSON number, or text that is only a number (`-3`,
    `+1.5`), cannot be a formula, and prefixing it would turn a number column into text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class CsvWriter:
    """One row per result, for spreadsheets: lists joined with `;`, scores as `id=value`.

    Every cell goes through `spreadsheet_safe`, so data such as an id `=HYPERLINK(...)` is shown
    as text rather than run."""

    concatenable = True
    """The column names are written once, by the writer that starts the output (`--jobs`)."""

    COLUMNS = (
        "line",
        "row",
        "id",
        "ruleset",
        "version",
        "fingerprint",
        "status",
        "outcome",
        "urgency",
        "red_flags",
        "not_screened",
        "scores",
        "missing",
        "error_code",
        "error_message",
    )

    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        # Rows end in "\n", but are made with "\r\n" so that the csv module quotes a cell holding
        # a bare CR too (it quotes only the line terminator's characters): a CR left unquoted
        # ends the row early in a spreadsheet.
        self.row = io.StringIO()
        self.rows = csv.writer(self.row, lineterminator="\r\n")
        if not options.continued:
            self._write(self.COLUMNS)

    def _write(self, cells: Sequence[Any]) -> None:
        self.row.seek(0)
        self.row.truncate()
        self.rows.writerow(cells)
        self.stream.write(self.row.getvalue()[:-2] + "\n")

    def write(self, result: Result) -> None:
        rec = result.to_record()
        source, ruleset, error = rec["input"], rec["ruleset"], rec["error"] or {}
        cells = (
            source["line"],
            source.get("row"),
            source["id"],
            ruleset["id"],
            ruleset["version"],
            ruleset["fingerprint"],
            rec["status"],
            rec["outcome"]["id"] if rec["outcome"] else None,
            rec["urgency"],
            ";".join(f["id"] for f in rec["red_flags"]),
            ";".join(rec["not_screened"]),
            ";".join(f"{k}={score_text(v)}" for k, v in rec["scores"].items()),
            ";".join(rec["missing"]),
            error.get("code"),
            error.get("message"),
        )
        self._write([spreadsheet_safe(cell) for cell in cells])

    def close(self) -> None:
        pass


# Control characters (C0, DEL, C1) and the bidirectional overrides that reorder what a terminal
# shows: data carrying them could clear the screen, move the cursor or hide the urgency.
_UNPRINTABLE = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))},
    **{c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}


def terminal_safe(value: Any) -> Any:
    """`value` with every string in it (nested too) showing control characters as escapes
    (`\\x1b`), so only the colours the writer adds itself reach the terminal raw."""
    if isinstance(value, str):
        return value.translate(_UNPRINTABLE)
    if isinstance(value, dict):
        return {terminal_safe(k): terminal_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [terminal_safe(v) for v in value]
    return value


_COLOURS = {"emergency": "\033[1;31m", "urgent": "\033[31m", "review": "\033[33m", "routine": "\033[32m"}


class TextWriter:
    """For people at a terminal: a short block per case (data made `terminal_safe`)."""

    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        self.options = options

    def _paint(self, text: str, level: str) -> str:
        return f"{_COLOURS[level]}{text}\033[0m" if self.options.color and level in _COLOURS else text

    def write(self, result: Result) -> None:
        rec = terminal_safe(result.to_record())
        source = rec["input"]
        who = (
            str(source["id"])
            if source["id"] is not None
            else f"line {source['line']}"
            if source["line"]
            else "case"
        )
        head = f"{who}: {self._paint(rec['urgency'].upper(), rec['urgency'])}"
        if rec["outcome"]:
            confidence = rec["outcome"]["confidence"]
            head += f" — {rec['outcome']['label']}" + (f" ({confidence} confidence)" if confidence else "")
        elif rec["status"] == "undetermined":
            head += " — undetermined; would be decided by: " + ", ".join(rec["missing"])
        lines = [head]
        if rec["error"]:
            lines.append(f"  error [{rec['error']['code']}]: {rec['error']['message']}")
        for flag in rec["red_flags"]:
            lines.append(
                f"  {self._paint('RED FLAG', flag['level'])} {flag['id']} ({flag['level']}): "
                f"{flag['message']} {flag['action']}".rstrip()
            )
        if rec["not_screened"]:
            lines.append("  not screened (answer missing): " + ", ".join(rec["not_screened"]))
        if rec["scores"]:
            lines.append("  scores: " + ", ".join(f"{k}={score_text(v)}" for k, v in rec["scores"].items()))
        lines.extend(f"  - {r}" for r in rec["recommendations"])
        if self.options.explain and rec.get("trace"):
            lines.append("  trace:")
            lines.extend(trace_lines(rec["trace"]))
        self.stream.write("\n".join(lines) + "\n\n")

    def close(self) -> None:
        pass


class TableWriter:
    """For people at a terminal reading a batch: one aligned row per case, a header on top.

    Columns of fixed width, so rows stream as they are evaluated; the last column holds the red
    flags, what could not be screened, what would decide an undetermined case, or the error.
    """

    ID_WIDTH = 16

    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        self.options = options
        ruleset = options.ruleset
        outcomes = [*ruleset.outcomes, *([ruleset.default] if ruleset.default else [])] if ruleset else []
        self.outcome_width = min(32, max([7, *(len(o.label) for o in outcomes)]))
        self.rows = 0

    def _cells(self, line: str, ident: str, urgency: str, status: str, outcome: str, notes: str) -> str:
        level = f"{urgency:<9}"  # padded before it is painted, so colour does not shift the columns
        if self.options.color and urgency in _COLOURS:
            level = f"{_COLOURS[urgency]}{level}\033[0m"
        return (
            f"{line:>6}  {_fit(ident, self.ID_WIDTH):<{self.ID_WIDTH}}  {level}  {status:<12}  "
            f"{_fit(outcome, self.outcome_width):<{self.outcome_width}}  {notes}"
        ).rstrip()

    def write(self, result: Result) -> None:
        rec = terminal_safe(result.to_record())
        if self.rows == 0:
            self.stream.write(self._cells("LINE", "ID", "URGENCY", "STATUS", "OUTCOME", "NOTES") + "\n")
        self.rows += 1
        source, urgency = rec["input"], rec["urgency"]
        notes = [f"RED FLAG {f['id']} ({f['level']})" for f in rec["red_flags"]]
        if rec["error"]:
            notes.append(f"{rec['error']['code']}: {rec['error']['message']}")
        if rec["missing"]:
            notes.append("decided by: " + ", ".join(rec["missing"]))
        if rec["not_screened"]:
            notes.append("not screened: " + ", ".join(rec["not_screened"]))
        row = self._cells(
            "-" if source["line"] is None else str(source["line"]),
            "" if source["id"] is None else str(source["id"]),
            urgency,
            rec["status"],
            rec["outcome"]["label"] if rec["outcome"] else "-",
            "; ".join(notes),
        )
        self.stream.write(row + "\n")

    def close(self) -> None:
        pass


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


@hookimpl
def rulewright_register_formats(register: Callable[[str, Any], None]) -> None:
    register("jsonl", JsonLinesWriter)
    register("json", JsonArrayWriter)
    register("text", TextWriter)
    register("csv", CsvWriter)
    register("table", TableWriter)
