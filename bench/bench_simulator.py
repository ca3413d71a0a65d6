"""Simulator listKeys throughput vs a minimal werkzeug app on the same server class (target >= 0.95x).

Every target is served in this process on loopback by the same server class
(`make_quiet_server`: werkzeug's threaded server with the simulator's keep-alive handler) and
driven by the same client threads (one requests session each; requests sends
`Accept-Encoding: gzip, deflate`). The targets run in interleaved rounds (sidebyside.interleave),
one batch of --requests requests each per round; the tables give medians, the noise of each
target's own rounds and the ratios to the floor, in requests per wall-clock second (the issue's
measure) and per CPU second of this process (steadier when other processes share the cores):

* floor: a WSGI app answering a constant JSON body with two headers to `POST /listKeys`;
* simulator listKeys (gzip): the full request path (token, api-version, names, throttle, RBAC,
  account, the 2024 profile's ARM headers, gzip because the client accepts it): the target row;
* simulator, identity: the same request with `Accept-Encoding: identity` (no gzip),
  informational: the gzip row over this one is what gzip costs (the client decodes it);

and with --split two more informational rows:

* floor, same request: the floor app sent exactly the simulator's request (its ARM path and
  query, its bearer token) instead of a bare `POST /listKeys`;
* wire copy: the simulator's request answered by a constant app replaying one simulator answer
  byte for byte (its 18 header lines with Date, against the floor's 3, and its gzip body): the
  wire form with none of the logic.

They split the gap: floor -> floor, same request is what the request the client must send
costs; -> wire copy what the answer's wire form (Azure's headers, gzip decoded by the client)
costs; -> simulator what the simulator's own per-request work costs.
--profile also prints where the simulator's own time goes (cProfile of the WSGI app called
directly: no sockets, no client) and the client's own work per answer (parsing the headers,
decoding the body) for the floor's answer and the simulator's, without a server.

Usage: python bench/bench_simulator.py [--requests N] [--clients C] [--rounds R] [--split]
[--profile] (defaults: 400 requests, 4 client threads, 7 rounds: 20-40 s on 2 cores; --split
adds two thirds to that).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import http.client
import io
import pstats
import socket
import sys
import threading
import time
import timeit
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator, SimulatorConfig, Throttle
from pytest_batchkeys.simulator.app import SimulatorApp
from pytest_batchkeys.simulator.server import QuietServer, make_quiet_server

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside

TARGET = 0.95
CONSTANT = b'{"accountName":"batchkeysacct","primary":"AAAA==","secondary":"BBBB=="}'
FLOOR = "floor: minimal werkzeug app"
SIMULATOR = "simulator listKeys (gzip)"
IDENTITY = "simulator, identity"
FLOOR_SAME = "floor, same request"
WIRE_COPY = "wire copy, same request"
#: Hop-by-hop and per-connection headers the server itself writes; never replayed.
_SERVER_HEADERS = {"date", "connection", "transfer-encoding", "keep-alive"}


def constant_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The floor: a WSGI app that answers the same JSON to everything."""
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(CONSTANT)))]
    )
    return [CONSTANT]


def replay_app(status: str, headers: list[tuple[str, str]], body: bytes) -> Callable[..., Any]:
    """A WSGI app answering one recorded answer (status, headers, raw body) to everything."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, headers)
        return [body]

    return app


def record_answer(sim: Simulator, headers: dict[str, str]) -> Callable[..., Any]:
    """One listKeys answer of `sim` as it went on the wire, as a replaying WSGI app."""
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        conn.request("POST", sim.listkeys_url().removeprefix(sim.url), body=b"", headers=headers)
        answer = conn.getresponse()
        raw = answer.read()  # http.client leaves the gzip body as it was sent
        status = f"{answer.status} {answer.reason}"
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _SERVER_HEADERS]
    finally:
        conn.close()
    if answer.status != 200 or answer.getheader("Content-Encoding") != "gzip":
        raise SystemExit(f"the simulator did not answer 200 with gzip: {status}")
    return replay_app(status, kept, raw)


def drive(url: str, headers: dict[str, str], total: int, clients: int) -> tuple[float, float]:
    """POST `total` times from `clients` threads (one session each); (requests per wall-clock
    second, requests per CPU second of this process: client, server and app together)."""

    def worker(count: int) -> Counter[int]:
        seen: Counter[int] = Counter()
        with requests.Session() as session:
            session.headers.update(headers)
            for _ in range(count):
                seen[session.post(url, timeout=10).status_code] += 1
        return seen

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        parts = list(pool.map(worker, [total // clients] * clients))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    statuses = sum(parts, Counter())
    if set(statuses) != {200}:
        raise SystemExit(f"{url}: expected only 200 answers, got {dict(statuses)}")
    done = sum(statuses.values())
    return done / elapsed, done / cpu


def serve(app: Callable[..., Any]) -> tuple[QuietServer, str]:
    """`app` on the simulator's server class, in a daemon thread; (server, listKeys URL)."""
    server = make_quiet_server("127.0.0.1", 0, app)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/listKeys"


def bench_config() -> SimulatorConfig:
    """The default world with the write throttle out of the way (ARM's 200-token bucket would
    answer 429 after a few hundred requests)."""
    return SimulatorConfig(throttle=Throttle(capacity=10**9, refill_per_second=10**6))


def measure(args: argparse.Namespace) -> None:
    """The targets in interleaved rounds; the tables and, with --split, the split of the gap."""
    total, clients = args.requests, args.clients
    with Simulator(bench_config()) as sim:
        auth = {"Authorization": f"Bearer {sim.issue_token()}"}
        gzip_headers = {**auth, "Accept-Encoding": "gzip, deflate"}
        identity_headers = {**auth, "Accept-Encoding": "identity"}
        path = sim.listkeys_url().removeprefix(sim.url)
        floor, floor_url = serve(constant_app)
        copy, copy_url = serve(record_answer(sim, gzip_headers))
        targets = {
            FLOOR: (floor_url + "/listKeys", {}),
            SIMULATOR: (sim.url + path, gzip_headers),
            IDENTITY: (sim.url + path, identity_headers),
        }
        if args.split:
            targets[FLOOR_SAME] = (floor_url + path, gzip_headers)
            targets[WIRE_COPY] = (copy_url + path, gzip_headers)
        cpu_rates: dict[str, list[float]] = {name: [] for name in targets}

        def variant(name: str) -> Callable[[], float]:
            def run() -> float:
                wall_rate, cpu_rate = drive(*targets[name], total, clients)
                cpu_rates[name].append(cpu_rate)
                return wall_rate

            return run

        try:
            samples = sidebyside.interleave({name: variant(name) for name in targets}, args.rounds)
        finally:
            for server in (floor, copy):
                server.shutdown()
                server.server_close()
    cpu_samples = {
        name: sidebyside.Samples(name, rates[-args.rounds :]) for name, rates in cpu_rates.items()
    }
    print(f"requests per target and round: {total}, client threads: {clients}, loopback, http")
    ratios = sidebyside.print_table(
        "Simulator listKeys throughput, requests per wall-clock second (higher is better)",
        samples,
        FLOOR,
        {SIMULATOR: TARGET},
        unit="/s",
        higher_is_better=True,
    )
    cpu_ratios = sidebyside.print_table(
        "The same rounds, requests per CPU second of this process (client + server + app)",
        cpu_samples,
        FLOOR,
        {SIMULATOR: TARGET},
        unit="/s",
        higher_is_better=True,
    )
    print("\nStep ratios of the medians (wall clock, CPU):")
    steps = [("gzip (simulator gzip / simulator identity)", SIMULATOR, IDENTITY)]
    if args.split:
        steps += [
            ("the request the client sends (ARM path, token)", FLOOR_SAME, FLOOR),
            ("the answer's wire form (18 headers, gzip decoded)", WIRE_COPY, FLOOR_SAME),
            ("the simulator's own per-request work", SIMULATOR, WIRE_COPY),
        ]
    for label, top, bottom in steps:
        wall = ratios[top] / ratios[bottom]
        cpu = cpu_ratios[top] / cpu_ratios[bottom]
        print(f"  {label:<52} {wall:6.3f}x {cpu:6.3f}x")


def profile_app(requests_count: int) -> None:
    """cProfile of the simulator's WSGI app called directly (no sockets, no client)."""
    app = SimulatorApp(bench_config())
    token = app.tokens.issue(
        client_id="bench",
        tenant=placeholders.TENANT_ID,
        principal="bench",
        audience="https://management.azure.com/",
        lifetime=3600,
    )
    unstarted = Simulator(bench_config())  # only for its URL layout
    path, _, query = unstarted.listkeys_url().removeprefix(unstarted.url).partition("?")
    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": "0",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
    }

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    def call(target: Callable[..., Iterable[bytes]]) -> None:
        for _ in target({**base, "wsgi.input": io.BytesIO()}, start_response):
            pass

    for name, target in (("floor app", constant_app), ("simulator app", app)):
        for _ in range(200):
            call(target)
        started = time.perf_counter()
        for _ in range(requests_count):
            call(target)
        each = (time.perf_counter() - started) / requests_count
        print(f"WSGI call alone, {name}: {each * 1e6:.1f} us per request")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests_count):
        call(app)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    print(out.getvalue())


class _Canned:
    """A socket stand-in whose makefile() replays one raw answer (for http.client)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.raw)


def raw_answer(port: int, path: str, headers: dict[str, str]) -> bytes:
    """The bytes a server sends for one POST (status line, headers, body), read off a socket."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += sock.recv(65536)
        head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        while len(raw) < len(head) + 4 + length:
            raw += sock.recv(65536)
    return raw


def client_side(raw: bytes) -> bytes:
    """What the client does with one answer: http.client parses the status line and headers,
    urllib3 and requests copy the headers, urllib3 decodes the body (gzip when it says so)."""
    answer = http.client.HTTPResponse(_Canned(raw))  # type: ignore[arg-type]
    answer.begin()
    headers = urllib3.HTTPHeaderDict(answer.msg.items())
    wrapped = urllib3.HTTPResponse(
        body=answer, headers=headers, status=answer.status, preload_content=False
    )
    CaseInsensitiveDict(wrapped.headers)
    return wrapped.read(decode_content=True)


def client_costs(count: int) -> None:
    """The client's own work per answer, floor vs the simulator's wire form (no server)."""
    floor, _ = serve(constant_app)
    try:
        answers = {"floor": raw_answer(floor.server_address[1], "/listKeys", {})}
    finally:
        floor.shutdown()
        floor.server_close()
    with Simulator(bench_config()) as sim:
        auth = {"Authorization": f"Bearer {sim.issue_token()}"}
        path = sim.listkeys_url().removeprefix(sim.url)
        for coding in ("identity", "gzip"):
            headers = {**auth, "Accept-Encoding": coding}
            answers[f"simulator, {coding}"] = raw_answer(sim.port, path, headers)
    print("Client-side work per answer (http.client + urllib3 + requests headers, body decode;")
    print("best of 5 runs):")
    for name, raw in answers.items():
        runs = timeit.repeat(
            functools.partial(client_side, raw), number=max(1, count // 5), repeat=5
        )
        each = min(runs) / max(1, count // 5)  # the least disturbed of five runs
        lines = raw.split(b"\r\n\r\n", 1)[0].count(b"\r\n")
        print(f"  {name:<20} {lines:2d} headers, {len(raw):4d} bytes  {each * 1e6:6.1f} us")


def main() -> None:
    """Print the machine, the interleaved table and, with --profile, the app's own profile."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per target and round (400)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (default 7)")
    parser.add_argument(
        "--split", action="store_true", help="add the two rows that split the gap (see above)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile the simulator's WSGI app alone"
    )
    args = parser.parse_args()
    if args.requests < args.clients or args.clients < 1 or args.rounds < 1:
        parser.error("need --clients >= 1, --requests >= --clients and --rounds >= 1")
    print(sidebyside.describe_machine(("werkzeug", "requests", "urllib3")))
    measure(args)
    if args.profile:
        profile_app(args.requests * 4)
        client_costs(args.requests * 4)


if __name__ == "__main__":
    main()
