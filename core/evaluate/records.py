"""One record read from an input source, before evaluation, the rule every reader follows, and
what an input adapter may offer.

Every record that can be told apart yields one `InputRecord`, in order. A record that cannot be
read whole is an error record that still carries every answer that could be read, so the engine
screens red flags on them. An answer given more than once with different values (a key twice in
one object, a question answered twice) is never settled by picking one: the record is an error,
the answer is left out of `data` (its red flags are not screened on it) and each copy goes into
`readings`, so a red flag that any copy raises is still raised (`answers_from_copies`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from math import prod
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rulewright.core.model.ruleset import Ruleset

MAX_READINGS = 64
"""More combinations of conflicting answers than this are screened one conflicting answer at a
time (each copy against the settled answers) rather than in every combination."""


@dataclass(slots=True)
class InputRecord:
    """A record and where it came from. `error` is set when it could not be read; `data` is then
    None, or the answers that could be read (red flags are still screened on them)."""

    line: int | None
    data: Mapping[str, Any] | None
    error: tuple[str, str] | None = None  # (code, message)
    row: int | None = None
    id: Any = None
    readings: tuple[Mapping[str, Any], ...] = ()
    """For an error record: other ways its answers can be read (copies of an answer that
    disagree, a ragged CSV row's cells aligned from either end). The engine raises every red
    flag that fires on any of them."""


def answers_from_copies(
    copies: Mapping[str, Sequence[Any]],
) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    """The settled answers, and the readings of the unsettled ones, of a record in which an answer
    may have come more than once (`copies`: answer id -> every value given, in order).

    An answer whose copies all agree is settled. The others are left out of the answers, and
    each reading puts one copy of each back (every combination, up to `MAX_READINGS`).
    """
    answers: dict[str, Any] = {}
    unsettled: dict[str, list[Any]] = {}
    for key, values in copies.items():
        distinct = list({(type(v), repr(v)): v for v in values}.values())
        if len(distinct) == 1:
            answers[key] = distinct[0]
        elif distinct:
            unsettled[key] = distinct
    if not unsettled:
        return answers, ()
    if prod(len(v) for v in unsettled.values()) <= MAX_READINGS:
        combos = product(*unsettled.values())
        return answers, tuple({**answers, **dict(zip(unsettled, combo, strict=True))} for combo in combos)
    return answers, tuple({**answers, key: v} for key, values in unsettled.items() for v in values)


def clipped(text: str, limit: int = 80) -> str:
    """`text` as `repr` shows it, cut to about `limit` characters: a name quoted in an error
    message, however long the input made it."""
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[: limit - 4]}...{shown[0]}"


@dataclass
class ReadOptions:
    """What an input adapter needs to know, and the counts it reports back."""

    id_field: str | None = "id"
    blank_lines: int = 0
    first_line: int = 1
    """Line number of the stream's first line (a chunk of a larger file starts later)."""
    max_line_bytes: int = 16 * 1024 * 1024
    """A longer line becomes a `line_too_long` error record; memory stays bounded."""
    link_ids: Mapping[str, str] | None = None
    """Input id -> FHIR linkId, overriding the ruleset's `fhir.link_ids` (`--link-map FILE`)."""
    hint: str = ""
    """Set by a reader that sees the input is likely in another format; added to the message of
    each record it cannot read (JSON Lines that start with a one-column CSV header)."""


# Optional capabilities of an input adapter (`rulewright_register_input_adapters`). `rules evaluate`
# chooses how records travel by which of these an adapter has, checked with `isinstance`.


class InputAdapter(Protocol):
    """An input format, as `rulewright_register_input_adapters` registers it: the file suffixes it
    claims, and `read`, which yields one `InputRecord` per record of a binary stream (an
    unreadable one with `error` set, so nothing is dropped)."""

    extensions: tuple[str, ...]

    def read(self, stream: BinaryIO, ruleset: Ruleset, options: ReadOptions, /) -> Iterator[InputRecord]: ...


@runtime_checkable
class ChunkedInput(Protocol):
    """Cuts its stream into blocks of whole lines and reads one block anywhere (a `--jobs` worker)."""

    def split(
        self, stream: BinaryIO, ruleset: Any, options: ReadOptions, size: int
    ) -> Iterator[tuple[int, bytes | None]]:
        """(first line, whole lines) blocks of about `size` KiB; data None for a line too long to read."""
        ...

    def read_chunk(
        self, chunk: tuple[int, bytes | None], ruleset: Any, options: ReadOptions
    ) -> Iterator[InputRecord]:
        """The records of one block from `split`, numbered from its first line."""
        ...


@runtime_checkable
class PlainLines(ChunkedInput, Protocol):
    """Also tells a line that needs no further check from one that does (the fast lane)."""

    def plain_record(self, raw: bytes, id_field: str | None = "id") -> dict[str, Any] | None:
        """The record on one line when it is a flat object read exactly as `read_chunk` would (its
        `id_field` too: None when the id needs its exact digits read); else None."""
        ...


@runtime_checkable
class SpannedInput(ChunkedInput, Protocol):
    """Also reads the whole lines of a regular file from any offset: `--jobs` workers take their
    chunks from the file themselves, one after another."""

    def span(self, fd: int, offset: int, size: int, options: ReadOptions) -> tuple[int, bytes | None]:
        """(bytes covered, their data) of the whole lines from byte `offset`, about `size` bytes but at
        least one line, data None for a line too long to read; `(0, b"")` at the end of the file."""
        ...
