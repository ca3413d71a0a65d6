"""HTTP/1.1 keep-alive: answers keep the connection, unless reusing it would be unsafe.

source: facts §8 "2024+ header set" (no `Connection: close` on Azure's answers). Every case
that cannot frame the next request (an unread or chunked body, the client's `Connection:
close`, HTTP/1.0, a cut body, a dropped or unparsable request) still closes.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import pytest

from pytest_batchkeys.simulator import Simulator, SimulatorConfig
from pytest_batchkeys.simulator.server import DRAIN_LIMIT, QuietHandler

TIMEOUT = 5


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(max_body_bytes=1024)) as running:
        yield running


def path(sim: Simulator) -> str:
    return sim.listkeys_url().removeprefix(sim.url)


def post(
    conn: http.client.HTTPConnection,
    sim: Simulator,
    body: bytes | None = b"",
    headers: dict[str, str] | None = None,
    url: str | None = None,
) -> http.client.HTTPResponse:
    sent = {"Authorization": f"Bearer {sim.issue_token()}", **(headers or {})}
    conn.request("POST", url or path(sim), body=body, headers=sent)
    response = conn.getresponse()
    response.read()
    return response


def closed_by_server(sock: socket.socket) -> bool:
    """True when the peer closed: a read returns EOF (or a reset) within the timeout."""
    sock.settimeout(TIMEOUT)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_two_requests_on_one_connection(sim: Simulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        first = post(conn, sim)
        sock = conn.sock
        second = post(conn, sim)
        assert (first.status, second.status) == (200, 200)
        assert first.getheader("Connection") is None
        assert second.getheader("Connection") is None
        assert sock is not None
        assert conn.sock is sock
    finally:
        conn.close()


def test_pipelined_requests_are_answered_in_order(sim: Simulator) -> None:
    token = sim.issue_token()
    one = (
        f"POST {path(sim)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Length: 2\r\n\r\n{}"
    ).encode()
    last = b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) as raw:
        raw.sendall(one + one + last)
        data = b""
        while chunk := raw.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2
    assert data.count(b"HTTP/1.1 404") == 1
    assert data.count(b"Connection: close") == 1


def test_unread_small_body_is_discarded_and_the_connection_kept(sim: Simulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        refused = post(conn, sim, body=b"x" * 600, url="/nowhere")  # 404: the body is never read
        sock = conn.sock
        assert refused.status == 404
        assert refused.getheader("Connection") is None
        assert post(conn, sim).status == 200
        assert conn.sock is sock
    finally:
        conn.close()


@pytest.mark.parametrize("size", [4096, DRAIN_LIMIT + 4096])
def test_body_over_the_cap_gets_413_and_a_close_when_large(sim: Simulator, size: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        response = post(conn, sim, body=b"x" * size)
        assert response.status == 413
        if size > DRAIN_LIMIT:
            assert response.getheader("Connection") == "close"
        assert post(conn, sim).status == 200  # http.client reconnects after a close
    finally:
        conn.close()


@pytest.mark.parametrize(
    "request_head",
    [
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n",
        "POST {path} HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n",
        "POST {path} HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n",
        "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n",
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n",
        "GARBAGE\r\n",
        "GET /x\r\n",
        "GET /x HTTP/0.9\r\n",
    ],
    ids=[
        "client-close",
        "http-1.0",
        "http-1.0-keep-alive",
        "chunked",
        "two-lengths",
        "odd-length",
        "bad-request-line",
        "http-0.9",
        "http-0.9-named",
    ],
)
def test_unsafe_requests_close_the_connection(sim: Simulator, request_head: str) -> None:
    token = sim.issue_token()
    head = request_head.format(path=path(sim)) + f"Authorization: Bearer {token}\r\n\r\n"
    body = b"2\r\n{}\r\n0\r\n\r\n" if "chunked" in head else b""
    with socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) as raw:
        raw.sendall(head.encode() + body)
        answer = b""
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
            answer += raw.recv(65536)
        assert answer.startswith(b"HTTP/1.1 "), answer[:80]
        assert b"\r\nConnection: close\r\n" in answer.partition(b"\r\n\r\n")[0] + b"\r\n"
        raw.settimeout(TIMEOUT)
        while chunk := raw.recv(65536):  # EOF: the server closed
            answer += chunk


def test_truncate_fault_closes_so_the_client_sees_the_cut(sim: Simulator) -> None:
    sim.add_fault(kind="truncate", first=1)
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        conn.request("POST", path(sim), body=b"", headers={"Authorization": "Bearer x"})
        response = conn.getresponse()
        assert response.getheader("Connection") == "close"
        started = time.monotonic()
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        assert time.monotonic() - started < 2  # the close ends the read, not a timeout
        conn.close()
        assert post(conn, sim).status == 200
    finally:
        conn.close()


def test_drop_fault_closes_without_an_answer(sim: Simulator) -> None:
    sim.add_fault(kind="drop", first=1)
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        conn.request("POST", path(sim), body=b"", headers={"Authorization": "Bearer x"})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.getresponse()
        conn.close()
        assert post(conn, sim).status == 200
    finally:
        conn.close()


def test_idle_connection_closes_after_the_handler_timeout(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QuietHandler, "timeout", 0.5)
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        assert post(conn, sim).status == 200
        assert conn.sock is not None
        started = time.monotonic()
        assert closed_by_server(conn.sock)
        assert time.monotonic() - started < TIMEOUT - 1
    finally:
        conn.close()


def test_stop_closes_idle_kept_alive_connections() -> None:
    sim = Simulator().start()
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        assert post(conn, sim).status == 200
        assert conn.sock is not None
        sim.stop()
        started = time.monotonic()
        assert closed_by_server(conn.sock)
        assert time.monotonic() - started < 2
    finally:
        conn.close()
        sim.stop()


def test_head_and_no_body_answers_keep_the_connection(sim: Simulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    try:
        conn.request("HEAD", "/common/discovery/instance")
        head = conn.getresponse()
        head.read()
        sock = conn.sock
        assert head.getheader("Connection") is None
        assert post(conn, sim).status == 200
        assert conn.sock is sock
    finally:
        conn.close()


def test_2019_profile_chunked_gzip_keeps_the_connection() -> None:
    with Simulator(SimulatorConfig(header_profile="2019")) as sim:
        conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
        try:
            first = post(conn, sim, headers={"Accept-Encoding": "gzip"})
            sock = conn.sock
            assert first.getheader("Transfer-Encoding") == "chunked"
            assert first.getheader("Connection") is None
            assert post(conn, sim, headers={"Accept-Encoding": "gzip"}).status == 200
            assert conn.sock is sock
        finally:
            conn.close()
