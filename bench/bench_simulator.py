"""Simulator listKeys throughput vs a minimal werkzeug app on the same server class (target >= 0.95x).

What is measured by default is SERVER throughput, the way a load generator measures it: the
servers run in this process (the simulator and the floor's constant app, both on
`make_quiet_server`: werkzeug's threaded server with the simulator's keep-alive handler), and the
load comes from separate client processes (--processes, default 2) holding --connections HTTP/1.1
keep-alive connections in all (default 4). Each connection sends one prepared request, reads the
whole answer by its Content-Length, checks that the status line is `HTTP/1.1 200` and sends the
next; anything else (another status, no Content-Length, `Connection: close`, a closed connection)
stops the bench with the reason. The client does not parse headers or decode gzip, so the server
is the bottleneck; the bench proves it per variant by printing the client processes' CPU time per
answer next to this (server) process's, and says the measurement is INVALID when the client's is
not well below the server's. Targets, in interleaved rounds (sidebyside.interleave) of --requests
answers each:

* floor: a WSGI app answering a constant JSON body with two headers, sent the simulator's own
  request (same bytes: ARM path, bearer token, Accept-Encoding: gzip), so both servers parse the
  same request;
* simulator listKeys (gzip): the full request path (token, api-version, names, throttle, RBAC,
  account, the 2024 profile's ARM headers, gzip because the client accepts it, as the Azure SDK
  does): the target row;
* simulator, identity: the same with `Accept-Encoding: identity`, informational;
* floor, bare request: the floor app sent a bare `POST /listKeys` (no token, three header lines),
  informational: what the longer request costs the floor;
* wire copy, same request: a constant app replaying one recorded simulator answer (gzip) byte
  for byte, informational: the server-side cost of Azure's wire form (18 header lines, the gzip
  body) with none of the simulator's logic; floor -> wire copy -> simulator splits the gap.

The tables give medians, the noise of each target's own rounds and the ratios to the floor, in
answers per wall-clock second (the issue's measure) and per CPU second of the server process
(steadier when other processes share the cores).

--in-process adds the previous measurement as a second, separately labelled table: end to end
with a `requests` client in threads of this same process, so it includes the client's own parsing
of each answer (18 header lines through http.client, urllib3 and requests; gzip decoding) under
the GIL it shares with the server. --split adds two informational rows to that table (floor, same
request; wire copy, as above). --profile prints
a cProfile of the server side under load from the client processes (every handler thread, werkzeug
parsing to the last write), of the simulator's WSGI app called directly, and the requests client's
own work per answer without a server.

Usage: python bench/bench_simulator.py [--requests N] [--connections C] [--processes P]
[--rounds R] [--in-process [--clients T] [--in-process-requests N]] [--split] [--profile] (defaults: 2000 answers, 4 connections over 2
processes, 7 rounds: about 20-30 s on 2 busy cores; --in-process adds 30-60 s).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gzip
import http.client
import io
import json
import multiprocessing
import os
import pstats
import socket
import statistics
import sys
import threading
import time
import timeit
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator, SimulatorConfig, Throttle
from pytest_batchkeys.simulator.app import SimulatorApp
from pytest_batchkeys.simulator.server import QuietHandler, QuietServer, make_quiet_server

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside

TARGET = 0.95
CONSTANT = b'{"accountName":"batchkeysacct","primary":"AAAA==","secondary":"BBBB=="}'
FLOOR = "floor: minimal werkzeug app"
SIMULATOR = "simulator listKeys (gzip)"
IDENTITY = "simulator, identity"
FLOOR_SAME = "floor, same request"
WIRE_COPY = "wire copy, same request"
FLOOR_BARE = "floor, bare request"
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


class LoadError(Exception):
    """An answer the load generator cannot count: the measurement stops with the reason."""


def prepared_request(port: int, path: str, headers: dict[str, str]) -> bytes:
    """The bytes of one POST with an empty body, sent unchanged on every round trip."""
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_answer(sock: socket.socket, pending: bytearray) -> tuple[bytes, bytes]:
    """Read one whole answer off `sock` (status line, headers, Content-Length bytes of body)
    into `pending`, then empty it; (the head lower-cased, the body). LoadError unless it is a
    kept-alive `HTTP/1.1 200` framed by Content-Length with nothing after it."""
    while (end := pending.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise LoadError("the server closed the connection before an answer")
        pending += chunk
    head = bytes(pending[:end]).lower()
    if not head.startswith(b"http/1.1 200 "):
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        raise LoadError(f"expected HTTP/1.1 200, got {status!r}")
    if b"\r\nconnection: close" in head:
        raise LoadError("the server answered Connection: close (keep-alive lost)")
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        raise LoadError("an answer without Content-Length (chunked?) cannot be framed here")
    line_end = head.find(b"\r\n", at + 2)
    total = end + 4 + int(head[at + 17 : line_end if line_end > 0 else len(head)])
    while len(pending) < total:
        chunk = sock.recv(65536)
        if not chunk:
            raise LoadError("the server closed the connection in the middle of an answer")
        pending += chunk
    if len(pending) > total:
        raise LoadError(f"{len(pending) - total} bytes after an answer nobody asked for")
    body = bytes(pending[end + 4 :])
    pending.clear()
    return head, body


def _exchange(
    sock: socket.socket, request: bytes, count: int, answered: list[int], failures: list[str]
) -> None:
    """`count` round trips of `request` on one connection: the answers read into `answered`,
    the first failure (which ends them) into `failures`."""
    pending = bytearray()
    done = 0
    try:
        for _ in range(count):
            sock.sendall(request)
            read_answer(sock, pending)
            done += 1
    except (OSError, LoadError, ValueError) as error:
        failures.append(f"{type(error).__name__}: {error}")
    answered.append(done)


def load_worker(pipe: Connection, barrier: Any, connections: int) -> None:
    """A client process: for each job (port, request, answers per connection) received on
    `pipe`, open `connections` keep-alive connections, send one uncounted request on each, meet
    the other processes and the server at `barrier`, then run the job on all of them at once
    (one thread each) and send back (answers, CPU seconds of this process, failures)."""
    while (job := pipe.recv()) is not None:
        port, request, count = job
        failures: list[str] = []
        socks: list[socket.socket] = []
        answered: list[int] = []
        try:
            for _ in range(connections):
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                socks.append(sock)
                _exchange(sock, request, 1, [], failures)  # connect, warm the handler thread
            if failures:
                barrier.abort()
            barrier.wait(timeout=60)
            threads = [
                threading.Thread(target=_exchange, args=(sock, request, count, answered, failures))
                for sock in socks
            ]
            cpu_started = time.process_time()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            cpu = time.process_time() - cpu_started
        except (OSError, threading.BrokenBarrierError) as error:
            barrier.abort()
            failures.append(f"{type(error).__name__}: {error}")
            cpu = 0.0
        finally:
            for sock in socks:
                sock.close()
        pipe.send((sum(answered), cpu, failures))


@dataclass
class Round:
    """One round of load on one target."""

    answers: int
    wall: float
    server_cpu: float
    server_system: float
    client_cpu: float


class LoadGenerator:
    """Client processes (spawned, so they share nothing with the server process) holding
    `connections` keep-alive connections in all, driven round by round from this process."""

    def __init__(self, processes: int, connections: int) -> None:
        if connections % processes:
            raise ValueError("--connections must be a multiple of --processes")
        context = multiprocessing.get_context("spawn")
        self.connections = connections
        self.barrier = context.Barrier(processes + 1)
        self.pipes: list[Connection] = []
        self.workers: list[Any] = []
        for _ in range(processes):
            ours, theirs = context.Pipe()
            worker = context.Process(
                target=load_worker,
                args=(theirs, self.barrier, connections // processes),
                daemon=True,
            )
            worker.start()
            self.pipes.append(ours)
            self.workers.append(worker)

    def run(self, port: int, request: bytes, answers: int) -> Round:
        """About `answers` round trips of `request` to the server on `port`, over all
        connections at once; SystemExit with the reason if any answer was not a kept-alive 200."""
        each = max(1, answers // self.connections)
        for pipe in self.pipes:
            pipe.send((port, request, each))
        # A client that failed before the start broke the barrier; its reason comes on its pipe.
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait(timeout=60)
        started, cpu_started, times = time.perf_counter(), time.process_time(), os.times()
        results = [pipe.recv() for pipe in self.pipes]
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        ended = os.times()  # only for the kernel part (10 ms ticks)
        failures = [failure for _, _, part in results for failure in part]
        counted = sum(answered for answered, _, _ in results)
        if failures or counted != each * self.connections:
            reason = failures[0] if failures else f"{counted} answers of {each * self.connections}"
            raise SystemExit(f"load generator on port {port}: {reason}")
        return Round(
            answers=counted,
            wall=wall,
            server_cpu=cpu,
            server_system=ended.system - times.system,
            client_cpu=sum(cpu for _, cpu, _ in results),
        )

    def close(self) -> None:
        """Stop the client processes."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for worker in self.workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()


def check_target(port: int, request: bytes, coding: str) -> None:
    """One answer, looked at closely before the rounds: a 200 whose body (gunzipped when
    `coding` is gzip) is the listKeys JSON; SystemExit otherwise."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        head, body = read_answer(sock, bytearray())
    gzipped = b"\r\ncontent-encoding: gzip" in head
    if gzipped != (coding == "gzip"):
        raise SystemExit(f"port {port}: asked for {coding}, the answer says gzip={gzipped}")
    keys = json.loads(gzip.decompress(body) if gzipped else body)
    if not {"accountName", "primary", "secondary"} <= set(keys):
        raise SystemExit(f"port {port}: not a listKeys body: {sorted(keys)}")


#: Below this client/server CPU ratio per answer the server is taken to be the bottleneck.
CLIENT_SHARE_LIMIT = 0.5


def measure_server(args: argparse.Namespace) -> None:
    """Server throughput: the targets in interleaved rounds of load from the client processes;
    the tables, the CPU split per answer and the validity of the measurement."""
    load = LoadGenerator(args.processes, args.connections)
    try:
        with Simulator(bench_config()) as sim:
            auth = {"Authorization": f"Bearer {sim.issue_token()}"}
            path = sim.listkeys_url().removeprefix(sim.url)
            floor, _ = serve(constant_app)
            floor_port = floor.server_address[1]
            sdk = {"Accept": "application/json", "Accept-Encoding": "gzip", **auth}
            plain = {**sdk, "Accept-Encoding": "identity"}
            copy, _ = serve(record_answer(sim, sdk))
            copy_port = copy.server_address[1]
            targets = {
                FLOOR: (floor_port, prepared_request(floor_port, path, sdk), "identity"),
                SIMULATOR: (sim.port, prepared_request(sim.port, path, sdk), "gzip"),
                IDENTITY: (sim.port, prepared_request(sim.port, path, plain), "identity"),
                FLOOR_BARE: (floor_port, prepared_request(floor_port, "/listKeys", {}), "identity"),
                WIRE_COPY: (copy_port, prepared_request(copy_port, path, sdk), "gzip"),
            }
            rounds: dict[str, list[Round]] = {name: [] for name in targets}

            def variant(name: str) -> Callable[[], float]:
                def run() -> float:
                    port, request, _ = targets[name]
                    done = load.run(port, request, args.requests)
                    rounds[name].append(done)
                    return done.answers / done.wall

                return run

            try:
                for port, request, coding in targets.values():
                    check_target(port, request, coding)
                samples = sidebyside.interleave(
                    {name: variant(name) for name in targets}, args.rounds
                )
            finally:
                for server in (floor, copy):
                    server.shutdown()
                    server.server_close()
    finally:
        load.close()
    measured = {name: done[-args.rounds :] for name, done in rounds.items()}
    print(
        f"\nSERVER THROUGHPUT: {args.requests} answers per target and round, "
        f"{args.connections} keep-alive connections from {args.processes} client processes "
        "(raw sockets, answers read by Content-Length, not parsed), loopback, http"
    )
    ratios = sidebyside.print_table(
        "Server throughput, answers per wall-clock second (higher is better)",
        samples,
        FLOOR,
        {SIMULATOR: TARGET},
        unit="/s",
        higher_is_better=True,
    )
    cpu_samples = {
        name: sidebyside.Samples(name, [r.answers / r.server_cpu for r in done])
        for name, done in measured.items()
    }
    cpu_ratios = sidebyside.print_table(
        "The same rounds, answers per CPU second of the server process (server + app only)",
        cpu_samples,
        FLOOR,
        {SIMULATOR: TARGET},
        unit="/s",
        higher_is_better=True,
    )
    print("\nServer-side steps, ratios of the medians (wall clock, server CPU):")
    for label, top, bottom in (
        ("the answer's wire form (Azure's 18 headers, gzip body)", WIRE_COPY, FLOOR),
        ("the simulator's own per-request work", SIMULATOR, WIRE_COPY),
        ("the longer request (token, ARM path) at the floor", FLOOR, FLOOR_BARE),
    ):
        wall = ratios[top] / ratios[bottom]
        cpu = cpu_ratios[top] / cpu_ratios[bottom]
        print(f"  {label:<56} {wall:6.3f}x {cpu:6.3f}x")
    print_cpu_split(measured)


def print_cpu_split(measured: dict[str, list[Round]]) -> None:
    """Per variant: server and client CPU per answer (medians of the rounds), the server's use
    of a core, and whether the server was the bottleneck (else the measurement is invalid)."""
    print("\nCPU per answer (medians of the rounds): is the server the bottleneck?")
    print(
        f"  {'variant':<30}{'server':>10}{'(kernel)':>10}{'client':>10}{'client/server':>15}"
        f"{'server busy':>13}  verdict"
    )
    invalid = []
    for name, done in measured.items():
        server = statistics.median(r.server_cpu / r.answers for r in done)
        client = statistics.median(r.client_cpu / r.answers for r in done)
        kernel = statistics.median(r.server_system / r.answers for r in done)
        busy = statistics.median(r.server_cpu / r.wall for r in done)
        share = client / server
        verdict = "server-bound" if share < CLIENT_SHARE_LIMIT else "CLIENT-BOUND: INVALID"
        if share >= CLIENT_SHARE_LIMIT:
            invalid.append(name)
        print(
            f"  {name:<30}{server * 1e6:>8.1f}us{kernel * 1e6:>8.1f}us{client * 1e6:>8.1f}us"
            f"{share:>14.2f}x"
            f"{busy:>12.0%}  {verdict}"
        )
    print(
        "  server: CPU of this process per answer (user + kernel), (kernel) its kernel part (10 ms ticks);"
        " client: CPU of the client processes per answer"
    )
    print(
        "  server busy: CPU seconds of the server process per wall-clock second (1 core = 100%;"
        " below ~90% the cores were shared with other work)"
    )
    if invalid:
        print(
            f"  MEASUREMENT INVALID for {', '.join(invalid)}: the client processes spent at least "
            f"{CLIENT_SHARE_LIMIT:.0%} of the server's CPU per answer, so they may be what limits "
            "the rate; use more --processes or a quieter machine"
        )
    else:
        print(
            f"  valid: the clients' CPU per answer is below {CLIENT_SHARE_LIMIT:.0%} of the "
            "server's for every variant"
        )


def measure_in_process(args: argparse.Namespace) -> None:
    """End to end with a requests client in threads of this process (includes the client's
    parsing): the targets in interleaved rounds; the tables and, with --split, the split of the gap."""
    total, clients = args.in_process_requests, args.clients
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
    print(
        f"\nEND TO END WITH A REQUESTS CLIENT IN THE SAME PROCESS (includes the client's parsing): "
        f"{total} requests per target and round, {clients} client threads, loopback, http"
    )
    ratios = sidebyside.print_table(
        "End to end, requests client in this process: requests per wall-clock second",
        samples,
        FLOOR,
        {SIMULATOR: TARGET},
        unit="/s",
        higher_is_better=True,
    )
    cpu_ratios = sidebyside.print_table(
        "End to end, the same rounds: requests per CPU second of this process (client + server)",
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


def direct_app() -> tuple[SimulatorApp, str, str]:
    """A simulator app not behind a server, a token it issued and its listKeys path + query."""
    app = SimulatorApp(bench_config())
    token = app.tokens.issue(
        client_id="bench",
        tenant=placeholders.TENANT_ID,
        principal="bench",
        audience="https://management.azure.com/",
        lifetime=3600,
    )
    unstarted = Simulator(bench_config())  # only for its URL layout
    return app, token, unstarted.listkeys_url().removeprefix(unstarted.url)


class ProfilingHandler(QuietHandler):
    """The simulator's handler with each connection's thread under cProfile, from its first
    read to its last write; the profiles are added up in `profiles`."""

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def handle(self) -> None:
        profile = cProfile.Profile(time.thread_time)  # CPU: waits for the GIL are not counted
        try:
            profile.runcall(super().handle)
        finally:
            with self.lock:
                self.profiles.append(profile)


def profile_server(args: argparse.Namespace) -> None:
    """cProfile (thread CPU time) of every server thread while the client processes load it:
    the floor, then the simulator with gzip, both sent the same request; by function."""
    app, token, path = direct_app()
    sdk = {
        "Accept": "application/json",
        "Accept-Encoding": "gzip",
        "Authorization": f"Bearer {token}",
    }
    load = LoadGenerator(args.processes, args.connections)
    try:
        for name, target in (("floor app", constant_app), ("simulator app", app)):
            ProfilingHandler.profiles = []
            server = QuietServer("127.0.0.1", 0, target, ProfilingHandler)
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()
            port = server.server_address[1]
            try:
                done = load.run(port, prepared_request(port, path, sdk), args.requests * 2)
            finally:
                server.shutdown()
                server.server_close()
            time.sleep(0.2)  # the handler threads add their profiles as their connections end
            with ProfilingHandler.lock:
                profiles = list(ProfilingHandler.profiles)
            out = io.StringIO()
            stats = pstats.Stats(*profiles, stream=out)  # type: ignore[arg-type]
            total = stats.total_tt  # type: ignore[attr-defined]
            answers = done.answers + args.connections  # + one warm-up answer per connection
            print(
                f"\nServer side under load, {name}: {total / answers * 1e6:.1f} us per answer "
                f"profiled (cProfile inflates ~2-3x), {answers} answers; by own time:"
            )
            stats.sort_stats("tottime").print_stats(18)
            print("\n".join(out.getvalue().splitlines()[6:]))
    finally:
        load.close()


def profile_app(requests_count: int) -> None:
    """cProfile of the simulator's WSGI app called directly (no sockets, no client)."""
    app, token, full_path = direct_app()
    path, _, query = full_path.partition("?")
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
    """Print the machine, the server throughput tables and the optional extras."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per target and round (2000)")
    parser.add_argument(
        "--connections", type=int, default=4, help="keep-alive connections in all (default 4)"
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (default 7)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="also the end-to-end table with a requests client in this process",
    )
    parser.add_argument(
        "--clients", type=int, default=4, help="requests client threads for --in-process (4)"
    )
    parser.add_argument(
        "--in-process-requests",
        type=int,
        default=400,
        help="requests per target and round for --in-process (400)",
    )
    parser.add_argument(
        "--split", action="store_true", help="with --in-process: the two rows that split the gap"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile the server side and the app alone"
    )
    args = parser.parse_args()
    if (
        min(args.connections, args.processes, args.clients, args.rounds) < 1
        or args.connections % args.processes
        or args.requests < args.connections
        or args.in_process_requests < args.clients
    ):
        parser.error(
            "need --rounds, --processes, --clients >= 1, --connections a multiple of "
            "--processes, --requests >= --connections, --in-process-requests >= --clients"
        )
    print(sidebyside.describe_machine(("werkzeug", "requests", "urllib3")))
    measure_server(args)
    if args.in_process or args.split:
        measure_in_process(args)
    if args.profile:
        profile_server(args)
        profile_app(args.requests)
        client_costs(args.requests)


if __name__ == "__main__":
    main()
