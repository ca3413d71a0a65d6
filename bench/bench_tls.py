"""What HTTPS costs the simulator: start-up with a new test CA, and listKeys latency, vs plain http.

Both simulators run in this process on loopback, one after the other, driven by the same client
code (one requests session per target, sequential requests), so the ratios isolate TLS. The
simulator keeps connections alive, so the session pays one handshake, not one per request. Bounded by
--requests per target; stops by itself. Usage: python bench/bench_tls.py [--requests N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests

from pytest_batchkeys.simulator import Simulator


def start_seconds(tls: bool, rounds: int = 5) -> float:
    """Median seconds to build and start a simulator (the first TLS one also imports trustme)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        sim = Simulator(tls=tls).start()
        times.append(time.perf_counter() - started)
        sim.stop()
    return statistics.median(times)


def per_request_ms(sim: Simulator, total: int) -> float:
    """Median milliseconds of one authorized listKeys POST."""
    verify: str | bool = str(sim.ca_file) if sim.tls else True
    headers = {"Authorization": f"Bearer {sim.issue_token()}"}
    url = sim.listkeys_url()
    samples = []
    with requests.Session() as session:
        for _ in range(total):
            started = time.perf_counter()
            answer = session.post(url, headers=headers, verify=verify, timeout=10)
            samples.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.status_code
            if len(samples) % 150 == 0:
                sim.reset_throttle()
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    first = time.perf_counter()
    Simulator(tls=True)  # imports trustme and cryptography once
    print(f"first Simulator(tls=True) (imports trustme): {time.perf_counter() - first:.3f}s")
    http_start, https_start = start_seconds(False), start_seconds(True)
    print(
        f"start: http {http_start * 1000:.1f} ms, https {https_start * 1000:.1f} ms "
        f"(ratio {https_start / http_start:.1f})"
    )
    with Simulator() as plain, Simulator(tls=True) as secure:
        http_ms = per_request_ms(plain, args.requests)
        https_ms = per_request_ms(secure, args.requests)
    print(
        f"listKeys median: http {http_ms:.2f} ms, https {https_ms:.2f} ms "
        f"(ratio {https_ms / http_ms:.1f}) over {args.requests} requests each"
    )


if __name__ == "__main__":
    main()
