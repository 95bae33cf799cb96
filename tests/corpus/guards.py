"""Guards the corpus tests run under: no network, and a canary for code execution."""

from __future__ import annotations

import socket
from typing import Any

import pytest


def forbid_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every way out to the network fail, and record each attempt."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted during a test that forbids it")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts
