"""Built-in input adapters: JSON Lines, JSON (one object or an array) and CSV (csvreader.py).

Every adapter yields exactly one `InputRecord` per record in the input, in order; a record that
cannot be read becomes an `InputRecord` with `error` set, never a gap. Blank lines are skipped
and counted in `options.blank_lines`.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, BinaryIO

import orjson  # strict RFC 8259: NaN and Infinity are rejected, as they should be in a record

from rulewright.core import InputRecord, ReadOptions, Ruleset, clipped, hookimpl
from rulewright.plugins.salvage import bad_id, exact_id, salvaged, skip_value, space

_KEY_END = re.compile(rb'"\s*:')
_BARE_NAME = re.compile(rb"\s*([A-Za-z_][\w.-]*)\s*")


class _Ambiguous(dict[str, Any]):
    """An object in which some key appeared twice (json.loads would silently keep the last)."""

    duplicate = ""


def _marking_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    duplicate = None
    for key, value in pairs:
        if key in out and duplicate is None:
            duplicate = key
        out[key] = value
    if duplicate is None:
        return out
    marked = _Ambiguous(out)
    marked.duplicate = duplicate
    return marked


def _parse(raw: bytes | str) -> tuple[Any, bool]:
    """Parse one JSON text; also say whether its records need `_unreadable` (rarely true).

    orjson is strict where it matters (UTF-8 only, no NaN or Infinity, no lone surrogates) but,
    like every fast parser, keeps the last of two equal keys. A flat object is cleared with one
    byte count (`_plainly_unique`). Otherwise every key ends in `"` then `:`, so more such
    marks than keys may mean a duplicate; only then is the text read again by the standard
    library, marking the objects that had one.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # Rare: let the standard library decide, so a number too large for a double (1e400) is
        # an answer the input check rejects, as it always was, and errors read the same.
        return _parse_slowly(raw)
    if type(data) is not dict and type(data) is not list:
        return data, False
    blob = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    if _plainly_unique(data, blob):
        return data, False
    marks = blob.count(b'":')
    if b'" ' in blob or b'"\t' in blob or b'"\r' in blob or b'"\n' in blob:
        marks = len(_KEY_END.findall(blob))  # whitespace may stand between a key and its colon
    if type(data) is dict and marks == len(data):
        return data, False  # a flat record with no duplicate: the common case, decided cheaply
    if _count_keys(data) >= marks:
        return data, False
    text = blob.decode("utf-8")
    return json.loads(text, object_pairs_hook=_marking_pairs), True


def _plainly_unique(data: Any, blob: bytes) -> bool:
    """True for a flat object that cannot have repeated a key, decided with one byte count.

    Colons in the text >= key-value pairs written >= keys kept, so equality leaves no room for
    a repeated key. Nested objects make `len(data)` an undercount: they take the longer way.
    """
    return type(data) is dict and blob.count(b":") == len(data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def _parse_slowly(raw: bytes | str) -> tuple[Any, bool]:
    # Strict UTF-8 first: given bytes, json.loads would guess UTF-16/32, and JSON Lines is UTF-8.
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    data = json.loads(text, parse_constant=_reject_constant)
    blob = raw if isinstance(raw, bytes) else text.encode("utf-8", "surrogatepass")
    reparsed = isinstance(data, (dict, list)) and _count_keys(data) < len(_KEY_END.findall(blob))
    if reparsed:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_marking_pairs)
    return data, reparsed or "\\u" in text.lower()


def _count_keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_count_keys(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_keys(v) for v in value)
    return 0


def _unreadable(value: Any) -> tuple[str, str] | None:
    """Why a parsed record cannot be read unambiguously: a duplicate key or half a surrogate pair."""
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            return "invalid_json", "invalid JSON: a \\u escape encodes half a surrogate pair, not a character"
        return None
    if isinstance(value, _Ambiguous):
        return (
            "duplicate_key",
            f"key {clipped(value.duplicate)} appears twice in one object; which answer is meant?",
        )
    items: Any = ()
    if isinstance(value, dict):
        items = (x for kv in value.items() for x in kv)
    elif isinstance(value, list):
        items = value
    for item in items:
        found = _unreadable(item)
        if found:
            return found
    return None


def _record(line: int, data: dict[str, Any], raw: bytes | str, id_field: str | None) -> InputRecord:
    """The record read from a JSON object, its id exactly as written (a float id is rare: only
    then is the text read again, for the digits a double cannot hold)."""
    record_id = data.get(id_field) if id_field else None
    if type(record_id) is not float:
        return InputRecord(line, data, None, None, record_id)
    assert id_field is not None
    text = raw if isinstance(raw, str) else raw.decode("utf-8")
    record_id = exact_id(text, id_field)
    if bad_id(record_id):
        answers = {k: v for k, v in data.items() if k != id_field}
        return InputRecord(line, answers, ("invalid_id", f"{clipped(id_field)} is not a finite number"))
    data[id_field] = record_id
    return InputRecord(line, data, None, None, record_id)


def _bad_json(exc: Exception, raw: bytes | str = b"") -> tuple[str, str]:
    if isinstance(exc, UnicodeDecodeError):
        return "invalid_utf8", f"line is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    if isinstance(exc, RecursionError):
        return "too_deep", "JSON nested too deeply"
    if isinstance(raw, bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return _bad_json(bad)
        try:  # parse again without the line's newline, so positions read "line 1 column N"
            _parse(raw)
        except (ValueError, RecursionError) as again:
            exc = again
    return "invalid_json", f"invalid JSON: {exc}"


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """The stream's lines; None for a line longer than `limit`, which is skipped unread."""
    if limit <= 0:
        yield from stream
        return
    readline = stream.readline
    while raw := readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        while (rest := readline(limit)) and not rest.endswith(b"\n"):
            pass
        yield None


def _skip_line(stream: BinaryIO) -> tuple[bytes, int]:
    """Read past the rest of an over-long line; return what follows its newline in the last
    read, and how many bytes were read."""
    read = 0
    while data := stream.read(64 * 1024):
        read += len(data)
        cut = data.find(b"\n")
        if cut >= 0:
            return data[cut + 1 :], read
    return b"", read


_SPAN_WINDOW = 4096
"""Bytes at the end of a span in which `JsonLines.span` first looks for its last newline."""


def _line_end(fd: int, offset: int) -> tuple[int, bool]:
    """How far the line that goes on at byte `offset` of the file runs from there, and whether
    a newline ends it (else the file does)."""
    read = 0
    while data := os.pread(fd, 64 * 1024, offset + read):
        cut = data.find(b"\n")
        if cut >= 0:
            return read + cut, True
        read += len(data)
    return read, False


def _blocks(stream: BinaryIO, options: ReadOptions, size: int) -> Iterator[tuple[int, int, bytes | None]]:
    """(first line, byte offset, whole lines) blocks of about `size` KiB; None for a long line."""
    limit = options.max_line_bytes
    block = max(size, 1) * 1024
    first, offset, carry = options.first_line, 0, b""
    while data := stream.read(block):
        data = carry + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            if 0 < limit < len(carry):
                yield first, offset, None
                first += 1
                rest, read = _skip_line(stream)
                offset += len(carry) + read - len(rest)
                carry = rest
            continue
        whole, carry = data[:cut], data[cut:]
        yield first, offset, whole
        first += whole.count(b"\n")
        offset += cut
    if carry:
        yield first, offset, carry


class JsonLines:
    extensions = (".jsonl", ".ndjson")

    def read(self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions) -> Iterator[InputRecord]:
        yield from self.read_lines(bounded_lines(stream, options.max_line_bytes), options, _ids(ruleset))

    def split(
        self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions, size: int
    ) -> Iterator[tuple[int, bytes | None]]:
        """Whole lines in blocks of about `size` KiB, each with its first line number, for workers.

        Cutting at newlines costs the reading process almost nothing, so workers do the parsing.
        A line longer than `options.max_line_bytes` is skipped unread and yielded as `None`.
        """
        for first, _, data in _blocks(stream, options, size):
            yield first, data

    def span(self, fd: int, offset: int, size: int, options: ReadOptions) -> tuple[int, bytes | None]:
        """The whole lines of a regular file from byte `offset` (where a line starts), about
        `size` bytes of them, read with `os.pread`: (bytes they cover, their bytes). At least one
        line however long it is, its bytes None (left unread) when it is longer than
        `options.max_line_bytes`; (0, b"") at the end of the file. `--jobs` workers each take
        the next span themselves, so no process reads the file on their behalf.

        The last newline is looked for in the span's last few KiB first, and the lines then read
        once, exactly: reading the whole span to find it doubled what taking a chunk cost
        (measured). Only when there is none there (a long line, the end of the file) is the
        whole span read first."""
        window = min(size, _SPAN_WINDOW)
        cut = os.pread(fd, window, offset + size - window).rfind(b"\n") + 1
        if cut:
            return size - window + cut, os.pread(fd, size - window + cut, offset)
        data = os.pread(fd, size, offset)
        cut = data.rfind(b"\n") + 1
        if cut:
            return cut, data[:cut]
        if not data:
            return 0, b""
        # One line fills the span, or the last line has no newline.
        text, newline = _line_end(fd, offset + len(data))
        text += len(data)
        limit = options.max_line_bytes
        return text + newline, None if 0 < limit < text else os.pread(fd, text + newline, offset)

    def read_chunk(
        self, chunk: tuple[int, bytes | None], ruleset: Ruleset, options: ReadOptions
    ) -> Iterator[InputRecord]:
        first, data = chunk
        options.first_line = first
        if data is None:
            limit = options.max_line_bytes
            yield InputRecord(first, None, ("line_too_long", f"line is longer than {limit} bytes"))
            return
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        limit = options.max_line_bytes
        lines_ = (None if 0 < limit < len(raw) else raw for raw in lines)
        yield from self.read_lines(lines_, options, _ids(ruleset))

    @staticmethod
    def plain_record(raw: bytes, id_field: str | None = "id") -> dict[str, Any] | None:
        """The record on one line when it is a flat JSON object that needs no further check;
        None for anything else (blank, malformed, nested, a key twice, a byte-order mark, an id
        that is a float: its exact digits are read by `read_chunk`).

        What `read_chunk` would read from the line, without an `InputRecord`: the fast lane of
        `rules evaluate` takes such lines and hands every other line to `read_chunk`.
        """
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        # `_plainly_unique`, written out: this runs once per line of a batch.
        if type(data) is not dict or raw.count(b":") != len(data):
            return None
        return data if id_field is None or type(data.get(id_field)) is not float else None

    def read_lines(
        self, lines: Iterable[bytes | None], options: ReadOptions, inputs: Collection[str] = ()
    ) -> Iterator[InputRecord]:
        """The records on `lines`. A first line that is one bare input id (of `inputs`) is the
        header of a one-column CSV read as JSON Lines: each unreadable record then says so."""
        id_field = options.id_field
        for line, raw in enumerate(lines, options.first_line):
            if raw is None:
                yield InputRecord(
                    line, None, ("line_too_long", f"line is longer than {options.max_line_bytes} bytes")
                )
                continue
            if line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            if not raw.strip():
                options.blank_lines += 1
                continue
            if line == 1 and (name := _BARE_NAME.fullmatch(raw)) and name[1].decode() in inputs:
                options.hint = (
                    f"line 1 is the input id {name[1].decode()!r} alone: a one-column CSV? "
                    "give --input-format csv"
                )
            record = _one(line, raw, id_field)
            if options.hint and record.error and record.error[0] in ("invalid_json", "not_an_object"):
                code, message = record.error
                record = dataclasses.replace(record, error=(code, f"{message} ({options.hint})"))
            yield record


def _ids(ruleset: Ruleset) -> frozenset[str]:
    return frozenset(decl.id for decl in ruleset.inputs)


def _one(line: int, raw: bytes, id_field: str | None) -> InputRecord:
    """The record in one JSON text (a line, an element of an array). One that cannot be read
    whole is an error record with the answers that could be read (`salvage.py`)."""
    try:
        data, suspicious = _parse(raw)
        problem = _unreadable(data) if suspicious else None
    except (ValueError, RecursionError) as exc:
        data, problem = None, _bad_json(exc, raw.rstrip(b"\r\n"))
    if problem:
        return salvaged(line, raw, problem, id_field)
    if type(data) is not dict:
        return InputRecord(
            line, None, ("not_an_object", f"a record must be a JSON object, not {type(data).__name__}")
        )
    return _record(line, data, raw, id_field)


class Json:
    extensions = (".json",)

    def read(self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions) -> Iterator[InputRecord]:
        raw = stream.read()
        raw = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
        id_field = options.id_field
        try:
            data, suspicious = _parse(raw)
        except (ValueError, RecursionError):
            data, suspicious = None, True
        records = data if type(data) is list else [data]
        if suspicious or any(type(r) is dict and type(r.get(id_field)) is float for r in records):
            # Something to look at closely: each element is read on its own, from its own text.
            yield from _elements(raw, id_field)
            return
        # In an array, `line` is the element's 1-based position.
        for position, item in enumerate(records, 1):
            if not isinstance(item, dict):
                yield InputRecord(
                    position,
                    None,
                    ("not_an_object", f"a record must be a JSON object, not {type(item).__name__}"),
                )
            else:
                yield InputRecord(position, item, None, None, item.get(id_field) if id_field else None)


def _elements(raw: bytes, id_field: str | None) -> Iterator[InputRecord]:
    """The records of a JSON document read one element of its array at a time, so an element
    that cannot be read is an error record in place and the others are read as usual."""
    text = raw.decode("utf-8", "surrogateescape")
    pos = space(text, 0)
    if not text.startswith("[", pos):
        yield _one(1, raw, id_field)
        return
    pos = end = space(text, pos + 1)
    position, last = 0, None
    while not text.startswith("]", pos) or position:
        try:
            end = skip_value(text, pos)
        except ValueError:
            end = len(text)  # the array never ends: this element runs to the end of the text
        position += 1
        last = _one(position, text[pos:end].encode("utf-8", "surrogateescape"), id_field)
        yield last
        if not text.startswith(",", end):
            break
        pos = space(text, end + 1)
    closed = text.startswith("]", end) and not text[end + 1 :].strip(" \t\r\n")
    if not closed and (last is None or last.error is None):
        problem = ("invalid_json", "invalid JSON: the array is not closed by `]`, or text follows it")
        yield InputRecord(position + 1, None, problem)


@hookimpl
def rulewright_register_input_adapters(register: Callable[[str, Any], None]) -> None:
    register("jsonl", JsonLines())
    register("json", Json())
    from rulewright.plugins.csvreader import Csv  # it reads lines as JSON Lines does (bounded_lines)

    register("csv", Csv())
