"""Options handed to output-format plugins, and the optional capabilities of a format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TextIO, runtime_checkable

if TYPE_CHECKING:
    from rulewright.core.evaluate.result import Result


@dataclass(frozen=True)
class FormatOptions:
    explain: bool = False
    color: bool = False
    """True only when writing to a terminal and NO_COLOR is not set."""
    ruleset: Any = None
    """The `Ruleset` being evaluated (labels, FHIR settings), or None when not known."""
    continued: bool = False
    """The writer continues an output another writer started: a `--jobs` worker rendering one
    chunk. A `concatenable` format writes no header then (CSV's column names)."""


class FormatWriter(Protocol):
    """What an output format's factory makes: `write(result)` for each result, in order, then
    `close()` once (write a trailer, flush; the stream itself is the caller's)."""

    def write(self, result: Result, /) -> None: ...

    def close(self) -> None: ...


class FormatFactory(Protocol):
    """An output format, as `rulewright_register_formats` registers it: `factory(stream, options)`."""

    def __call__(self, stream: TextIO, options: FormatOptions, /) -> FormatWriter: ...


# Optional capabilities of an output format (`rulewright_register_formats`). `rules evaluate`
# chooses how records travel by which of these a format has, checked with `isinstance`.


@runtime_checkable
class ConcatenableFormat(Protocol):
    """A format factory whose chunks, rendered by separate writers (`continued` after the first)
    and joined in order, are one writer's output: `--jobs` workers render their chunks."""

    concatenable: ClassVar[bool]


@runtime_checkable
class RenderedJsonWriter(Protocol):
    """A writer that takes records already rendered as `Result.to_json` renders them (the fast lane)."""

    def write_json(self, data: bytes) -> None: ...


def concatenable(factory: Any) -> bool:
    """Whether `factory` makes a concatenable format (the attribute is there and true)."""
    return isinstance(factory, ConcatenableFormat) and bool(factory.concatenable)
