"""A guard for tests that run real Azure libraries: names other than loopback never resolve.

azure-identity and MSAL reach login.microsoftonline.com when something goes wrong; these tests
must fail instead of sending anything off the machine, and say which host was asked for.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class OfflineGuard:
    """The host names refused so far."""

    def __init__(self) -> None:
        self.refused: list[str] = []


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> OfflineGuard:
    """Refuse name resolution of anything but loopback (every connection starts with it)."""
    guard = OfflineGuard()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.strip("[]") not in LOOPBACK:
            guard.refused.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"offline test: {name} is not resolved")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return guard
