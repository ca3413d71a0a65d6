"""Simulator listKeys throughput vs a minimal werkzeug app with a constant JSON body.

Both run in this process, on loopback, one after the other, with the same server class and the
same client threads, so the ratio isolates the simulator's own per-request work. Bounded by
--requests per target; stops by itself. Usage: python bench/bench_simulator.py [--requests N]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from pytest_batchkeys.simulator import Simulator, SimulatorConfig, Throttle
from pytest_batchkeys.simulator.server import make_quiet_server

CONSTANT = b'{"accountName":"batchkeysacct","primary":"AAAA==","secondary":"BBBB=="}'


def constant_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The baseline: a WSGI app that answers the same JSON to everything."""
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(CONSTANT)))]
    )
    return [CONSTANT]


def drive(
    url: str, headers: dict[str, str], total: int, clients: int
) -> tuple[float, Counter[int]]:
    """POST `total` times from `clients` threads; (requests per second, statuses)."""

    def worker(count: int) -> Counter[int]:
        seen: Counter[int] = Counter()
        with requests.Session() as session:
            session.headers.update(headers)
            for _ in range(count):
                seen[session.post(url, timeout=10).status_code] += 1
        return seen

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        parts = list(pool.map(worker, [total // clients] * clients))
    elapsed = time.perf_counter() - started
    statuses = sum(parts, Counter())
    return sum(statuses.values()) / elapsed, statuses


def bench_baseline(total: int, clients: int) -> float:
    """Requests per second of the constant app."""
    server = make_quiet_server("127.0.0.1", 0, constant_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/listKeys"
        rate, statuses = drive(url, {}, total, clients)
    finally:
        server.shutdown()
        server.server_close()
    assert set(statuses) == {200}, statuses
    return rate


def bench_simulator(total: int, clients: int) -> float:
    """Requests per second of the simulator's listKeys (throttle raised out of the way)."""
    config = SimulatorConfig(throttle=Throttle(capacity=10**9, refill_per_second=10**6))
    with Simulator(config) as sim:
        headers = {"Authorization": f"Bearer {sim.issue_token()}"}
        rate, statuses = drive(sim.listkeys_url(), headers, total, clients)
    assert set(statuses) == {200}, statuses
    return rate


def main() -> None:
    """Warm up both, measure both, print the numbers and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per target (default 2000)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    args = parser.parse_args()
    bench_baseline(100, args.clients)
    bench_simulator(100, args.clients)
    baseline = bench_baseline(args.requests, args.clients)
    simulator = bench_simulator(args.requests, args.clients)
    print(f"requests per target: {args.requests}, client threads: {args.clients}, loopback")
    print(f"minimal werkzeug app (constant JSON): {baseline:8.0f} req/s")
    print(f"simulator listKeys (full checks):     {simulator:8.0f} req/s")
    print(f"ratio simulator / minimal app:        {simulator / baseline:8.2f}")


if __name__ == "__main__":
    main()
