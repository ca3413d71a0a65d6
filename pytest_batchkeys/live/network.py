"""Replay's network guard: traffic to non-loopback addresses is refused and counted.

Two layers: socket.socket.connect/connect_ex are wrapped (the common path, with the clearest
traceback), and a process audit hook refuses what the wrappers cannot see: UDP sendto/sendmsg,
name resolution of a non-loopback name, and `_socket.socket.connect` called directly. The hook
is added once (audit hooks cannot be removed) and does nothing outside a guarded block.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pytest_batchkeys.errors import BatchKeysError


class NetworkBlocked(BatchKeysError, OSError):
    """A replayed test tried to reach the network; replay must be offline."""

    anchor = "network-blocked"


@dataclass
class GuardLog:
    """Outbound attempts the guard refused, as 'host:port' strings."""

    blocked: list[str] = field(default_factory=list)


_lock = threading.Lock()
_depth = 0
_originals: dict[str, Any] = {}
#: The refusal of the innermost guarded block, read by the audit hook (empty: not guarding).
_active: list[Any] = []
_hook_added = False


def _is_loopback(address: Any) -> bool:
    """True for AF_UNIX paths and loopback IPs/names; anything else counts as outbound."""
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX socket path
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    if host.lower() in ("localhost", "") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def block_outbound(log: GuardLog, *, context: str) -> Iterator[GuardLog]:
    """Within the block, connect()/connect_ex() to non-loopback addresses raise NetworkBlocked."""
    global _depth
    with _lock:
        if _depth == 0:
            _originals["connect"] = socket.socket.connect
            _originals["connect_ex"] = socket.socket.connect_ex
        _depth += 1
        _install(log, context)
        _add_hook()
    try:
        yield log
    finally:
        with _lock:
            _depth -= 1
            _active.pop()
            if _depth == 0:
                socket.socket.connect = _originals["connect"]  # type: ignore[method-assign]
                socket.socket.connect_ex = _originals["connect_ex"]  # type: ignore[method-assign]


def _install(log: GuardLog, context: str) -> None:
    """Replace socket.connect and connect_ex with guarded versions that report to `log`."""
    connect, connect_ex = _originals["connect"], _originals["connect_ex"]

    def refuse(address: Any) -> NetworkBlocked:
        where = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        log.blocked.append(where)
        return NetworkBlocked(
            f"{context} tried to connect to {where}, but replay mode blocks the network. Every "
            "request must come from the cassette; record it with --batch-record, or use "
            "--batch-live to talk to Azure.",
        )

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise refuse(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise refuse(address)
        return int(connect_ex(self, address))

    _active.append(refuse)
    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]


def _remote_name(host: Any) -> bool:
    """True for a host name that would need a DNS query (not loopback, not an IP literal)."""
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host or "")
    if _is_loopback((text, 0)):
        return False
    try:
        ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return True
    return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Refuse socket traffic the connect wrappers cannot see, while a guard is active."""
    if not _active or not event.startswith("socket."):
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[1] if len(args) > 1 else None
        if address is not None and not _is_loopback(address):
            raise _active[-1](address)
    elif event == "socket.getaddrinfo" and _remote_name(args[0]):
        raise _active[-1]((args[0], args[1]))
    elif event in ("socket.gethostbyname", "socket.gethostbyaddr") and _remote_name(args[0]):
        raise _active[-1]((args[0], 0))


def _add_hook() -> None:
    """Add the audit hook once per process (called with the lock held)."""
    global _hook_added
    if not _hook_added:
        sys.addaudithook(_audit)
        _hook_added = True
