"""`batchkeys serve`: base URL first on stdout, clean stop on signals, loopback only by default."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pytest_batchkeys.simulator.server import is_loopback

TIMEOUT = 5
SERVE = [sys.executable, "-m", "pytest_batchkeys.cli.main", "serve"]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_url_first_serves_both_routes_and_stops_on_signal(signum: int) -> None:
    proc = start("--port", "0")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        data = {
            "client_id": "c",
            "client_secret": "s",
            "scope": f"{url}/.default",
            "grant_type": "client_credentials",
        }
        tenant = "00000000-0000-0000-0000-000000000000"
        token = requests.post(f"{url}/{tenant}/oauth2/v2.0/token", data=data, timeout=TIMEOUT)
        keys = requests.post(
            f"{url}/subscriptions/{tenant}/resourceGroups/batchkeys-rg/providers/"
            "Microsoft.Batch/batchAccounts/batchkeysacct/listKeys?api-version=2026-08-01",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=TIMEOUT,
        )
        assert keys.status_code == 200
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_serve_refuses_a_non_loopback_host_without_allow_remote() -> None:
    proc = start("--host", "0.0.0.0")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert out == ""
    assert "refusing to bind '0.0.0.0'" in err
    assert "--allow-remote" in err


def test_serve_reports_a_bad_config_file_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "sim.yaml"
    bad.write_text("throttle: {capacity: many}\n")
    proc = start("--config", str(bad))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert str(bad) in err
    assert "throttle.capacity" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("example.com", False),
        ("::", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
