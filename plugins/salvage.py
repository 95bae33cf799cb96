"""What can still be read of a JSON record that cannot be read whole, and ids exactly as written.

A record with a key twice, a byte that is not UTF-8, a field nested too deeply or a syntax error
is an error record, but the answers around the bad part can still be read, and must be: a red
flag they raise is screened (docs/security.md, "Readers"). `top_level` walks the record's top
object key by key with the standard library's own decoder, skipping a value it cannot read and
going on after it.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from rulewright.core import InputRecord, answers_from_copies

_SPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


class _Unreadable:
    """Stands for a copy of an answer that could not be read: it settles nothing."""

    def __repr__(self) -> str:
        return "<unreadable>"


UNREADABLE = _Unreadable()


def space(text: str, pos: int) -> int:
    """Where the JSON whitespace at `pos` ends."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def _float_or_text(text: str) -> float | str:
    """A JSON number with a fraction or exponent: a float when the float reads back as the same
    number, else the number's text (a double cannot hold it). Never settles a non-finite value."""
    value = float(text)
    if not math.isfinite(value):
        return value
    try:
        exact = Decimal(repr(value)) == Decimal(text)
    except InvalidOperation:
        exact = False
    return value if exact else text


_PLAIN = json.JSONDecoder(parse_constant=_reject_constant)
_EXACT = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_float_or_text)


def exact_id(text: str, id_field: str) -> Any:
    """The id of a JSON object as written: a big integer exactly, and a decimal that a double
    would round as its text (a string), so two patients never share an id. Infinite if it was
    too large to be a finite number. (Read with `top_level`, which no depth elsewhere can stop.)"""
    ids = (top_level(text, id_field) or {}).get(id_field) or [None]
    return ids[-1]


def bad_id(record_id: Any) -> bool:
    return isinstance(record_id, float) and not math.isfinite(record_id)


def _has_surrogate(value: Any) -> bool:
    """True for text holding a byte that was not UTF-8 (or half a surrogate pair), at any depth
    (walked with a list, not recursion: a value may nest as deeply as the parser allows)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def skip_value(text: str, pos: int) -> int:
    """Where the value at `pos` ends (at its `,` or the object's `}`), however deep it nests."""
    depth = 0
    for token in _TOKEN.finditer(text, pos):
        mark = token.group()
        if mark in ("[", "{"):
            depth += 1
        elif mark in ("]", "}"):
            if depth == 0:
                return token.start()
            depth -= 1
        elif mark == "," and depth == 0:
            return token.start()
    raise ValueError("the value does not end")


def top_level(text: str, id_field: str | None) -> dict[str, list[Any]] | None:
    """Every copy of every key at the top of the JSON object in `text` (None if it is not one),
    read one value at a time; a value that cannot be read is `UNREADABLE`. Reading stops where the
    object's syntax breaks: what came before it stands."""
    pos = space(text, 0)
    if not text.startswith("{", pos):
        return None
    copies: dict[str, list[Any]] = {}
    pos += 1
    try:
        while True:
            pos = space(text, pos)
            if not text.startswith('"', pos):
                break
            key, pos = _PLAIN.raw_decode(text, pos)  # a JSON string: the key
            pos = space(text, pos)
            if not text.startswith(":", pos):
                break
            pos = space(text, pos + 1)
            decoder = _EXACT if key == id_field else _PLAIN
            try:
                value, pos = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError):
                value, pos = UNREADABLE, skip_value(text, pos)
            if not _has_surrogate(key):
                copies.setdefault(key, []).append(UNREADABLE if _has_surrogate(value) else value)
            pos = space(text, pos)
            if not text.startswith(",", pos):
                break
            pos += 1
    except ValueError:
        pass  # the syntax breaks here: the keys read so far stand
    return copies


def salvaged(
    line: int | None, raw: bytes | str, problem: tuple[str, str], id_field: str | None, row: int | None = None
) -> InputRecord:
    """The error record for a JSON record that could not be read whole, with the answers that
    could (copies that disagree, or that could not be read, go to `readings`)."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "surrogateescape")
    copies = top_level(text, id_field)
    if not copies:
        return InputRecord(line, None, problem, row)
    ids = copies.pop(id_field, []) if id_field else []
    answers, readings = answers_from_copies(copies)
    shown = {repr(i) for i in ids}
    record_id = ids[0] if len(shown) == 1 and ids[0] is not UNREADABLE and not bad_id(ids[0]) else None
    return InputRecord(line, answers, problem, row, record_id, readings)
