"""`--jobs` workers: the parent's signal handling stays in the parent."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from rulewright.core.cli import parallel


@pytest.fixture
def saved_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_a_worker_drops_the_clis_sigterm_handler(
    saved_signals: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI turns SIGTERM into SystemExit so `-o` can remove its partial file. A forked worker
    # inherits that handler; raising inside the pool's queue locks can hang Pool.terminate().
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    monkeypatch.setattr(parallel, "_worker", object())  # as under fork: the engine is inherited
    parallel._init(parallel.Job("leg-pain@1.0.0", "id", False, "jsonl", "jsonl", False))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # Ctrl-C is the parent's to handle
