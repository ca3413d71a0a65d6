"""Bad input never takes the simulator down; load from concurrent clients gives no stray errors."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pytest_batchkeys.simulator import Simulator, SimulatorConfig, Throttle

TIMEOUT = 5


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(max_body_bytes=1024)) as running:
        yield running


def healthy(sim: Simulator) -> bool:
    headers = {"Authorization": f"Bearer {sim.issue_token()}"}
    return requests.post(sim.listkeys_url(), headers=headers, timeout=TIMEOUT).status_code == 200


def raw(sim: Simulator, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_body_over_the_cap_gets_413(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sim.issue_token()}"}
    response = requests.post(sim.listkeys_url(), data=b"x" * 4096, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "RequestEntityTooLarge"
    assert healthy(sim)


def test_chunked_body_over_the_cap_gets_413(sim: Simulator) -> None:
    chunks = (b"{" + b" " * 511 for _ in range(8))
    response = requests.post(sim.listkeys_url(), data=chunks, timeout=TIMEOUT)
    assert response.status_code == 413
    assert healthy(sim)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "InvalidRequestContent"),
        (b"\xff\xfe\x00", "application/json", 400, "InvalidRequestContent"),
        (b"<xml/>", "application/xml", 415, "UnsupportedMediaType"),
        (b"{}", "application/json", 200, None),
        (b"", "text/plain", 200, None),
    ],
)
def test_bodies_and_content_types(
    sim: Simulator, body: bytes, content_type: str, status: int, code: str | None
) -> None:
    headers = {"Authorization": f"Bearer {sim.issue_token()}", "Content-Type": content_type}
    response = requests.post(sim.listkeys_url(), data=body, headers=headers, timeout=TIMEOUT)
    assert response.status_code == status
    if code is not None:
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "payload",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /x HTTP/9.9\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"POST / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
    ],
)
def test_unparsable_http_gets_a_json_4xx_and_service_continues(
    sim: Simulator, payload: bytes
) -> None:
    answer = raw(sim, payload)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1][:1] == b"4", head
    assert b"application/json" in head
    assert body.startswith(b'{"error": {"code": ')
    assert healthy(sim)


def test_header_injection_in_echoed_ids_is_not_echoed(sim: Simulator) -> None:
    response = requests.post(
        sim.url + "/x",
        headers={"x-ms-correlation-request-id": "a b<script>", "x-ms-client-request-id": "é"},
        timeout=TIMEOUT,
    )
    assert response.headers["x-ms-correlation-request-id"] != "a b<script>"
    assert "x-ms-client-request-id" not in response.headers


def test_idle_and_half_open_connections_do_not_block_others(sim: Simulator) -> None:
    idle = [socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) for _ in range(20)]
    for conn in idle[:10]:
        conn.sendall(b"POST /subscriptions/")
    try:
        assert healthy(sim)
    finally:
        for conn in idle:
            conn.close()


def test_many_concurrent_bad_clients_then_still_serving(sim: Simulator) -> None:
    def abuse(i: int) -> int:
        if i % 3 == 0:
            return len(raw(sim, b"NONSENSE %d\r\n\r\n" % i))
        response = requests.request(
            ["PUT", "POST", "DELETE"][i % 3], sim.url + f"/subscriptions/{i}", timeout=TIMEOUT
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(abuse, range(120)))
    assert all(results)
    assert healthy(sim)
    assert sim.stats.internal_errors == 0


def _load(requests_total: int, clients: int) -> tuple[Counter[int], float, Simulator]:
    config = SimulatorConfig(throttle=Throttle(capacity=1_000_000, refill_per_second=1_000))
    with Simulator(config) as sim:
        sim.add_fault(kind="error", every=50, status=503)
        token = sim.issue_token()
        url = sim.listkeys_url()

        def worker(count: int) -> Counter[int]:
            seen: Counter[int] = Counter()
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {token}"
                for _ in range(count):
                    seen[session.post(url, timeout=TIMEOUT).status_code] += 1
            return seen

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            parts = list(pool.map(worker, [requests_total // clients] * clients))
        elapsed = time.monotonic() - started
    return sum(parts, Counter()), elapsed, sim


def test_load_small_8_clients_only_configured_faults() -> None:
    statuses, _, sim = _load(800, 8)
    assert statuses == Counter({200: 784, 503: 16})
    assert sim.stats.listkeys_requests == 800
    assert sim.stats.internal_errors == 0


@pytest.mark.slow
def test_load_5000_requests_8_clients_only_configured_faults() -> None:
    statuses, elapsed, sim = _load(5000, 8)
    assert statuses == Counter({200: 4900, 503: 100})
    assert sim.stats.internal_errors == 0
    assert elapsed < 30, f"5000 listKeys took {elapsed:.1f}s"
