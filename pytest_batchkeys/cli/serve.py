"""`batchkeys serve`: run the simulator on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.simulator.control import Simulator
from pytest_batchkeys.simulator.loader import load_config
from pytest_batchkeys.simulator.server import is_loopback


def serve_main(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; first stdout line is the base URL. Exit 0, or 2 on bad input."""
    host: str = args.host
    if not is_loopback(host) and not args.allow_remote:
        print(
            f"batchkeys serve: refusing to bind {host!r}: it is not a loopback address and the "
            "simulator serves keys and tokens in clear. Use --host 127.0.0.1, or pass "
            "--allow-remote if you really mean it.",
            file=sys.stderr,
        )
        return 2
    if args.ca_file and not args.tls:
        print(
            "batchkeys serve: --ca-file needs --tls (a plain http simulator has no certificate).",
            file=sys.stderr,
        )
        return 2
    try:
        config = load_config(args.config) if args.config else None
        sim = Simulator(
            config, host=host, port=args.port, tls=args.tls, allow_remote=args.allow_remote
        )
        ca_file = _write_ca(sim, args.ca_file) if args.tls else None
        sim.start()
    except ConfigError as exc:
        print(f"batchkeys serve: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"batchkeys serve: cannot bind {host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(sim.url, flush=True)
    if ca_file is not None:
        print(
            f"batchkeys serve: HTTPS with a test CA; trust it with REQUESTS_CA_BUNDLE={ca_file} "
            f"and SSL_CERT_FILE={ca_file} (tests only, never in production)",
            file=sys.stderr,
            flush=True,
        )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


def _write_ca(sim: Simulator, path: str | None) -> Path:
    """The CA file: written to PATH when given (and left there), else the simulator's temp file."""
    return sim.write_ca_file(path) if path else sim.ca_file
