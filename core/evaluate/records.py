"""One record read from an input source, before evaluation, and what an input adapter may offer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol, runtime_checkable


@dataclass(slots=True)
class InputRecord:
    """A record and where it came from. `error` is set when it could not be read; `data` is then
    None, or the answers that could be read (red flags are still screened on them)."""

    line: int | None
    data: Mapping[str, Any] | None
    error: tuple[str, str] | None = None  # (code, message)
    row: int | None = None
    id: Any = None


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


# Optional capabilities of an input adapter (`rulewright_register_input_adapters`). `rules evaluate`
# chooses how records travel by which of these an adapter has, checked with `isinstance`.


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

    def plain_record(self, raw: bytes) -> dict[str, Any] | None:
        """The record on one line when it is a flat object read exactly as `read_chunk` would; else None."""
        ...


@runtime_checkable
class SpannedInput(ChunkedInput, Protocol):
    """Also reads the whole lines of a regular file from any offset: `--jobs` workers take their
    chunks from the file themselves, one after another."""

    def span(self, fd: int, offset: int, size: int, options: ReadOptions) -> tuple[int, bytes | None]:
        """(bytes covered, their data) of the whole lines from byte `offset`, about `size` bytes but at
        least one line, data None for a line too long to read; `(0, b"")` at the end of the file."""
        ...
