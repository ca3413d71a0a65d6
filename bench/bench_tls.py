"""What HTTPS costs the simulator: start-up with a new test CA, and listKeys latency, vs plain http.

Both simulators run in this process on loopback, one after the other, driven by the same client
code (one requests session per target, sequential requests), so the ratios isolate TLS. The
simulator keeps connections alive, so the session pays one handshake, not one per request. Bounded by
--requests per target; stops by itself. Usage: python bench/bench_tls.py [--requests N] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

from pytest_batchkeys.simulator import Simulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside


def start_once(tls: bool) -> float:
    """Seconds to build and start one simulator (a new test CA and certificate for TLS)."""
    started = time.perf_counter()
    sim = Simulator(tls=tls).start()
    elapsed = time.perf_counter() - started
    sim.stop()
    return elapsed


def request_batch(sim: Simulator, session: requests.Session, count: int) -> float:
    """Median seconds of one authorized listKeys POST over `count` sequential requests."""
    verify: str | bool = str(sim.ca_file) if sim.tls else True
    headers = {"Authorization": f"Bearer {sim.issue_token()}"}
    url = sim.listkeys_url()
    samples = []
    sim.reset_throttle()
    for _ in range(count):
        started = time.perf_counter()
        answer = session.post(url, headers=headers, verify=verify, timeout=10)
        samples.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="per target per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(sidebyside.describe_machine(("requests", "werkzeug", "trustme", "cryptography")))
    first = time.perf_counter()
    Simulator(tls=True)  # imports trustme and cryptography once
    print(f"first Simulator(tls=True) (imports trustme): {time.perf_counter() - first:.3f}s")
    starts = sidebyside.interleave(
        {"http": lambda: start_once(False), "https": lambda: start_once(True)}, rounds=args.rounds
    )
    sidebyside.print_table("start a simulator", starts, "http", unit="ms", scale=1000)
    with (
        Simulator() as plain,
        Simulator(tls=True) as secure,
        requests.Session() as one,
        requests.Session() as two,
    ):
        latency = sidebyside.interleave(
            {
                "http": lambda: request_batch(plain, one, args.requests),
                "https": lambda: request_batch(secure, two, args.requests),
            },
            rounds=args.rounds,
        )
    sidebyside.print_table(
        f"listKeys latency (median of {args.requests} sequential requests per round, kept alive)",
        latency,
        "http",
        unit="ms",
        scale=1000,
    )


if __name__ == "__main__":
    main()
