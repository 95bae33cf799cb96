"""Built-in output formats: `jsonl` (one record per line), `json` (an array), `csv`, `text` and
`table`.

A format is a factory `factory(stream, options) -> writer`; the writer's `write(result)` is
called once per result, in input order, and `close()` once at the end.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
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


class CsvWriter:
    """One row per result, for spreadsheets: lists joined with `;`, scores as `id=value`."""

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
        self.rows = csv.writer(stream, lineterminator="\n")
        if not options.continued:
            self.rows.writerow(self.COLUMNS)

    def write(self, result: Result) -> None:
        rec = result.to_record()
        source, ruleset, error = rec["input"], rec["ruleset"], rec["error"] or {}
        self.rows.writerow(
            (
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
        )

    def close(self) -> None:
        pass


_COLOURS = {"emergency": "\033[1;31m", "urgent": "\033[31m", "review": "\033[33m", "routine": "\033[32m"}


class TextWriter:
    """For people at a terminal: a short block per case."""

    def __init__(self, stream: TextIO, options: FormatOptions) -> None:
        self.stream = stream
        self.options = options

    def _paint(self, text: str, level: str) -> str:
        return f"{_COLOURS[level]}{text}\033[0m" if self.options.color and level in _COLOURS else text

    def write(self, result: Result) -> None:
        rec = result.to_record()
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
        rec = result.to_record()
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
