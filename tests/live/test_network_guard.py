"""Replay never opens a non-loopback socket (nor looks up a remote name).

Under every run here, socket connect/connect_ex and getaddrinfo are replaced by recording fakes
*before* the plugin's guard wraps them: a remote address is recorded and refused by the fake,
so even a broken guard could not send traffic anywhere. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import cassette_builder as cb

REPO_CASSETTES = Path(__file__).parents[2] / "cassettes"
LOCAL_NAMES = frozenset({"localhost", "", None})


def _is_local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


class Outbound:
    """Every non-local connect() / getaddrinfo() attempt the fakes saw (and refused)."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> OSError:
        self.attempts.append(what)
        return ConnectionRefusedError(f"test fake refused {what} (no traffic sent)")


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbound]:
    seen = Outbound()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _is_local(address[0]):
            raise seen.refuse(f"connect {address[0]}:{address[1]}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple) and not _is_local(address[0]):
            raise seen.refuse(f"connect_ex {address[0]}:{address[1]}")
        return int(real_connect_ex(self, address))

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise seen.refuse(f"getaddrinfo {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield seen
    # the guard must have put our fakes back, not the real functions
    assert socket.socket.connect is connect
    assert socket.socket.connect_ex is connect_ex


REPLAY_SUITE = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200

@pytest.mark.batchkeys
def test_unknown(batchkeys_client):
    assert batchkeys_client.list_keys(account_name="nosuchacct").status_code == 404

@pytest.mark.batchkeys
def test_sdk(batchkeys_credential, batchkeys_settings, batchkeys_target):
    from azure.mgmt.batch import BatchManagementClient

    client = BatchManagementClient(
        batchkeys_credential, batchkeys_target.subscription_id,
        base_url=batchkeys_settings.arm_url,
    )
    keys = client.batch_account.get_keys(
        batchkeys_target.resource_group, batchkeys_target.account_name, retry_total=0
    )
    assert keys.account_name == batchkeys_target.account_name
"""


def test_replay_suite_makes_no_outbound_attempt(
    pytester: pytest.Pytester, outbound: Outbound
) -> None:
    pytester.makepyfile(test_suite=REPLAY_SUITE)
    base = pytester.path / "cassettes" / "test_suite"
    cb.write(base / "test_keys.yaml")
    unknown = cb.PATH.replace(cb.GOOD_BODY["accountName"], "nosuchacct")
    cb.write(base / "test_unknown.yaml", cb.interaction(path=unknown, status=404, body="{}"))
    cb.write(base / "test_sdk.yaml", cb.interaction(api_version="2025-06-01"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    assert "outbound connection(s) blocked" not in result.stdout.str()
    assert outbound.attempts == []


def test_shipped_contract_suite_replays_offline(
    pytester: pytest.Pytester, outbound: Outbound
) -> None:
    result = pytester.runpytest("--batch-contract", f"--batch-cassette-dir={REPO_CASSETTES}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 10, result.stdout.str()
    assert set(outcomes) <= {"passed", "warnings"}, outcomes
    assert "outbound connection(s) blocked" not in result.stdout.str()
    assert outbound.attempts == []


def test_the_guard_blocks_a_remote_connect_before_the_socket_layer(
    pytester: pytest.Pytester, outbound: Outbound
) -> None:
    pytester.makepyfile(
        test_escape="""
        import socket

        import pytest

        from pytest_batchkeys.live.network import NetworkBlocked

        @pytest.mark.batchkeys
        def test_escape():
            with socket.socket() as sock:
                with pytest.raises(NetworkBlocked) as info:
                    sock.connect(("203.0.113.7", 443))
            assert str(info.value) == (
                "test_escape.py::test_escape tried to connect to 203.0.113.7:443, but replay "
                "mode blocks the network. Every request must come from the cassette; record it "
                "with --batch-record, or use --batch-live to talk to Azure. "
                "[see: batchkeys explain network-blocked]"
            )

        @pytest.mark.batchkeys
        def test_loopback_is_allowed():
            with socket.socket() as server, socket.socket() as sock:
                server.bind(("127.0.0.1", 0))
                server.listen(1)
                sock.connect(server.getsockname())
        """
    )
    cb.write(pytester.path / "cassettes" / "test_escape" / "test_escape.yaml")
    cb.write(pytester.path / "cassettes" / "test_escape" / "test_loopback_is_allowed.yaml")
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["network: 1 outbound connection(s) blocked"])
    assert outbound.attempts == []  # the guard stopped it; the fake never saw it


def test_the_fake_itself_records_what_an_unguarded_run_would_send(outbound: Outbound) -> None:
    """Without the guard the fake sees the attempt: proof that the assertions above can fail."""
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("203.0.113.7", 443))
    assert outbound.attempts == ["connect 203.0.113.7:443"]
    outbound.attempts.clear()


def _udp_sendto() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"x", ("192.0.2.1", 53))  # TEST-NET-1: never routed


def _raw_connect() -> None:
    import _socket

    with socket.socket() as sock:
        _socket.socket.connect(sock, ("192.0.2.1", 9))


def _raw_connect_ex() -> None:
    import _socket

    with socket.socket() as sock:
        _socket.socket.connect_ex(sock, ("192.0.2.1", 9))


@pytest.mark.parametrize(
    ("attempt", "where"),
    [
        (_udp_sendto, "192.0.2.1:53"),
        (lambda: socket.getaddrinfo("batchkeys-guard.invalid", 443), "batchkeys-guard.invalid:443"),
        (lambda: socket.gethostbyname("batchkeys-guard.invalid"), "batchkeys-guard.invalid:0"),
        (_raw_connect, "192.0.2.1:9"),
        (_raw_connect_ex, "192.0.2.1:9"),
    ],
    ids=["udp-sendto", "dns-getaddrinfo", "dns-gethostbyname", "raw-connect", "raw-connect-ex"],
)
def test_guard_blocks_what_the_connect_wrappers_cannot_see(attempt: Any, where: str) -> None:
    from pytest_batchkeys.live.network import GuardLog, NetworkBlocked, block_outbound

    log = GuardLog()
    with block_outbound(log, context="test_x"), pytest.raises(NetworkBlocked) as blocked:
        attempt()
    assert str(blocked.value).startswith(f"test_x tried to connect to {where}, but replay mode")
    assert log.blocked == [where]


def test_guard_leaves_loopback_open() -> None:
    from pytest_batchkeys.live.network import GuardLog, block_outbound

    log = GuardLog()
    with block_outbound(log, context="test_x"):
        socket.getaddrinfo("localhost", 80)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"x", ("127.0.0.1", 9))
    assert log.blocked == []
    socket.getaddrinfo("127.0.0.1", 80)  # outside the block the hook is inert
