"""The server writes an answer's head as one block: the exact bytes http.server's send_response
and send_header wrote before (status line, Date, the app's headers in order, then the framing
and `Connection: close` the server adds), and an app's own `Connection` header still decides."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from pytest_batchkeys.simulator.server import QuietServer, make_quiet_server

DATE = re.compile(rb"\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n")
App = Callable[..., Iterable[bytes]]


def app_with(status: str, headers: list[tuple[str, str]], body: list[bytes]) -> App:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, headers)
        return body

    return app


@pytest.fixture
def serve() -> Iterator[Callable[[App], int]]:
    servers: list[QuietServer] = []

    def start(app: App) -> int:
        server = make_quiet_server("127.0.0.1", 0, app)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(server)
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def exchange(port: int, request: bytes) -> bytes:
    """Everything the server sends for `request` until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        sock.settimeout(0.5)
        raw = b""
        try:
            while chunk := sock.recv(65536):
                raw += chunk
        except TimeoutError:
            raw += b"<open>"  # the server kept the connection
    return raw


def dated(raw: bytes) -> bytes:
    """`raw` with its one Date header's value replaced by DATE."""
    assert len(DATE.findall(raw)) == 1, raw
    return DATE.sub(b"\r\nDate: DATE\r\n", raw)


GET11 = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_content_length_answer_keeps_the_connection(serve: Callable[[App], int]) -> None:
    port = serve(app_with("200 OK", [("B-Z", "1"), ("a-y", "é"), ("Content-Length", "2")], [b"hi"]))
    assert dated(exchange(port, GET11)) == (
        b"HTTP/1.1 200 OK\r\nDate: DATE\r\nB-Z: 1\r\na-y: \xe9\r\nContent-Length: 2\r\n\r\nhi<open>"
    )


def test_no_length_is_chunked_on_http11(serve: Callable[[App], int]) -> None:
    port = serve(app_with("201 Created", [("X", "y")], [b"ab", b"", b"cde"]))
    assert dated(exchange(port, GET11)) == (
        b"HTTP/1.1 201 Created\r\nDate: DATE\r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n<open>"
    )


def test_no_length_on_http10_closes_to_end_the_body(serve: Callable[[App], int]) -> None:
    port = serve(app_with("200 OK", [("X", "y")], [b"abc"]))
    assert dated(exchange(port, b"GET / HTTP/1.0\r\n\r\n")) == (
        b"HTTP/1.1 200 OK\r\nDate: DATE\r\nX: y\r\nConnection: close\r\n\r\nabc"
    )


@pytest.mark.parametrize(
    ("value", "kept"), [("close", False), ("CLOSE", False), ("keep-alive", True)]
)
def test_the_apps_connection_header_decides(
    serve: Callable[[App], int], value: str, kept: bool
) -> None:
    port = serve(app_with("200 OK", [("Connection", value), ("Content-Length", "1")], [b"x"]))
    raw = dated(exchange(port, GET11))
    assert raw.startswith(f"HTTP/1.1 200 OK\r\nDate: DATE\r\nConnection: {value}\r\n".encode())
    assert raw.endswith(b"<open>") is kept


def test_head_answer_has_no_body_and_no_framing_added(serve: Callable[[App], int]) -> None:
    port = serve(app_with("204 No Content", [("X", "y")], []))
    assert (
        dated(exchange(port, GET11))
        == b"HTTP/1.1 204 No Content\r\nDate: DATE\r\nX: y\r\n\r\n<open>"
    )


def test_a_header_outside_latin_1_closes_without_a_partial_head(
    serve: Callable[[App], int],
) -> None:
    port = serve(app_with("200 OK", [("X", "€"), ("Content-Length", "1")], [b"x"]))
    assert exchange(port, GET11) == b""
