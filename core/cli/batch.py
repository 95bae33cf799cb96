"""Run a batch: evaluate records in order, write each result, count what happened.

Shared by the serial path and the workers of `--jobs` (`workers.py`), so `--jobs` changes how fast
records are evaluated, never what is written or counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rulewright.core.evaluate.result import Result, plugin_failed
from rulewright.core.model.ruleset import LEVEL_RANK


class WriterFailed(Exception):
    """An output format failed twice on one record: stop rather than lose it silently."""


def recover(writer: Any, result: Result, fmt: str, owner: str, exc: Exception) -> Result:
    """The format failed on `result`: write it as an error record instead, so it is not lost."""
    result = plugin_failed(
        result, f"output format {fmt!r} from plugin {owner!r} failed: {type(exc).__name__}: {exc}"
    )
    try:
        writer.write(result)
    except OSError:
        raise
    except Exception:
        raise WriterFailed(
            f"output format {fmt!r} from plugin {owner!r} failed twice at line {result.line}; "
            "stopping so no record is lost silently"
        ) from None
    return result


@dataclass
class Tally:
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Records by (status, urgency): one count per record, the rest is derived."""
    first_error: int | None = None
    first_error_message: str | None = None
    blank_lines: int = 0

    def add(self, result: Result) -> None:
        self.kinds[result.status, result.urgency] += 1
        if result.status == "error" and self.first_error is None:
            self.first_error = result.line
            self.first_error_message = result.error.message if result.error else None

    @property
    def count(self) -> int:
        return sum(self.kinds.values())

    @property
    def status(self) -> Counter[str]:
        return self._by(0)

    @property
    def urgency(self) -> Counter[str]:
        return self._by(1)

    @property
    def max_rank(self) -> int:
        return max((LEVEL_RANK[urgency] for _, urgency in self.kinds), default=0)

    def _by(self, part: int) -> Counter[str]:
        out: Counter[str] = Counter()
        for kind, n in self.kinds.items():
            out[kind[part]] += n
        return out

    def merge(self, other: Tally) -> None:
        """Add a later chunk's tally (chunks are merged in input order)."""
        self.kinds.update(other.kinds)
        self.blank_lines += other.blank_lines
        if self.first_error is None and other.first_error is not None:
            self.first_error = other.first_error
            self.first_error_message = other.first_error_message

    def summary(self) -> str:
        count, status, urgency = self.count, self.status, self.urgency
        parts = [f"evaluated {count} record{'s' if count != 1 else ''}"]
        parts.append(", ".join(f"{s} {status[s]}" for s in ("ok", "undetermined", "error")))
        parts.append(
            "urgency " + ", ".join(f"{u} {urgency[u]}" for u in ("emergency", "urgent", "review", "routine"))
        )
        if self.blank_lines:
            parts.append(f"{self.blank_lines} blank line{'s' if self.blank_lines != 1 else ''} skipped")
        if self.first_error is not None:
            parts.append(f"first error at line {self.first_error}")
        return "rules: " + "; ".join(parts)


def write_all(
    results: Iterable[Result], writer: Any, fmt: str, owner: str, tally: Tally, *, stop_on_error: bool
) -> bool:
    """Write results in order into `tally`; False if stopped at an error (`--on-error fail`)."""
    add = tally.add
    write = writer.write
    for result in results:
        try:
            write(result)
        except OSError:
            raise  # the output itself failed (closed pipe, full disk): not the format's fault
        except Exception as exc:  # a failing format plugin must not lose the record or its red flags
            result = recover(writer, result, fmt, owner, exc)
        add(result)
        if stop_on_error and result.status == "error":
            return False
    return True
