"""Progress on stderr while a batch runs: only on a terminal unless forced (`--progress`).

rich draws it; it is imported only when progress is shown. The display goes to stderr and
never redirects stdout, where the records go.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
EVERY = 1000
"""Records between two updates: drawing costs far more than evaluating one record."""


def wanted(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


class Progress:
    """A live count of records and their rate; does nothing when disabled."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress as Bar
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            console = Console(stderr=True)
            self._bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,.0f} records"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
                transient=console.is_terminal,  # off a terminal, leave the final count as a log line
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=None, rate="")
        return self

    def update(self, count: int) -> None:
        if self._bar is not None:
            elapsed = self._bar.tasks[0].elapsed or 0.0
            rate = f"{count / elapsed:,.0f}/s" if elapsed > 0 else ""
            self._bar.update(self._task, completed=count, rate=rate)

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """Pass `items` through, updating the count every `EVERY` items."""
        if self._bar is None:
            yield from items
            return
        n = 0
        for n, item in enumerate(items, 1):
            yield item
            if n % EVERY == 0:
                self.update(n)
        self.update(n)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None
