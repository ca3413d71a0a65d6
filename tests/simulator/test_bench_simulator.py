"""bench/bench_simulator.py keeps working: a tiny server-throughput run, and its client's checks."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bench_simulator  # noqa: E402


def test_tiny_server_throughput_run_prints_every_table() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_simulator.py"), "--requests", "40", "--rounds", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "RATIO simulator listKeys (gzip) / floor: minimal werkzeug app" in out
    assert "answers per CPU second of the server process" in out
    assert "is the server the bottleneck?" in out
    assert "END TO END" not in out  # the in-process table is opt-in


def answer_to(raw: bytes) -> tuple[bytes, bytes]:
    """What read_answer makes of `raw` sent by a server that then closes."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(raw)
        theirs.shutdown(socket.SHUT_WR)
        return bench_simulator.read_answer(ours, bytearray())


def test_read_answer_frames_by_content_length() -> None:
    head, body = answer_to(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello")
    assert body == b"hello"
    assert head.startswith(b"http/1.1 200 ok")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"HTTP/1.1 429 Too Many\r\nContent-Length: 0\r\n\r\n", "expected HTTP/1.1 200"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", "keep-alive"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", "in the middle"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nextra", "after an answer"),
        (b"", "before an answer"),
    ],
)
def test_read_answer_refuses_what_it_cannot_count(raw: bytes, reason: str) -> None:
    with pytest.raises(bench_simulator.LoadError, match=reason):
        answer_to(raw)


def test_the_load_generator_counts_answers_and_stops_on_a_refusal() -> None:
    statuses = iter(["200 OK"] * 9 + ["429 Too Many Requests"] * 100)

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        start_response(next(statuses), [("Content-Length", "2")])
        return [b"{}"]

    server, _ = bench_simulator.serve(app)
    port = server.server_address[1]
    load = bench_simulator.LoadGenerator(processes=1, connections=2)
    try:
        request = bench_simulator.prepared_request(port, "/x", {})
        done = load.run(port, request, 6)  # 2 warm-up answers, then 3 per connection
        assert done.answers == 6
        assert done.server_cpu > 0
        assert done.client_cpu > 0
        with pytest.raises(SystemExit, match=r"expected HTTP/1\.1 200, got 'http/1\.1 429"):
            load.run(port, request, 6)
    finally:
        load.close()
        server.shutdown()
        server.server_close()
