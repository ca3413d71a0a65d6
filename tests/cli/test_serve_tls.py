"""`batchkeys serve --tls [--ca-file PATH]`, and unchanged production code reading keys from it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from azure.identity import ClientSecretCredential
from helpers.offline import OfflineGuard
from helpers.production_keys import read_keys

from pytest_batchkeys.secrets import placeholders

SERVE = [sys.executable, "-m", "pytest_batchkeys.cli.main", "serve"]


@dataclass
class Served:
    url: str
    ca_file: Path
    notice: str


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    return err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    ca_file = tmp_path / "trust" / "simulator-ca.pem"
    proc = _serve("--tls", "--ca-file", str(ca_file))
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        url = proc.stdout.readline().strip()
        notice = proc.stderr.readline().strip()
        yield Served(url, ca_file, notice)
        err = _stop(proc)
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_serve_tls_prints_an_https_url_and_writes_the_ca_where_asked(served: Served) -> None:
    assert served.url.startswith("https://127.0.0.1:")
    assert served.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert served.notice == (
        f"batchkeys serve: HTTPS with a test CA; trust it with REQUESTS_CA_BUNDLE={served.ca_file} "
        f"and SSL_CERT_FILE={served.ca_file} (tests only, never in production)"
    )
    tenant = placeholders.TENANT_ID
    doc = requests.get(
        f"{served.url}/{tenant}/v2.0/.well-known/openid-configuration",
        verify=str(served.ca_file),
        timeout=5,
    )
    assert doc.json()["token_endpoint"] == f"{served.url}/{tenant}/oauth2/v2.0/token"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(served.url, timeout=5)  # the system trust store does not know the test CA


def test_production_code_reads_keys_with_a_real_client_secret_credential(
    served: Served, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(served.ca_file))
    credential = ClientSecretCredential(
        placeholders.TENANT_ID,
        "my-app",
        "my-secret",
        authority=served.url,
        disable_instance_discovery=True,
    )
    primary, secondary = read_keys(
        credential,
        placeholders.SUBSCRIPTION_ID,
        placeholders.RESOURCE_GROUP,
        placeholders.ACCOUNT_NAME,
        arm_url=served.url,
    )
    assert primary != secondary
    assert offline.refused == []


def test_serve_tls_without_ca_file_names_a_temporary_one_and_removes_it() -> None:
    proc = _serve("--tls")
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        url = proc.stdout.readline().strip()
        notice = proc.stderr.readline()
        path = Path(notice.split("REQUESTS_CA_BUNDLE=")[1].split(" ")[0])
        assert path.is_file()
        assert requests.get(f"{url}/x", verify=str(path), timeout=5).status_code == 404
        _stop(proc)
        assert not path.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_ca_file_without_tls_is_refused() -> None:
    proc = _serve("--ca-file", "ca.pem")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert out == ""
    assert err.strip() == (
        "batchkeys serve: --ca-file needs --tls (a plain http simulator has no certificate)."
    )


def test_an_unwritable_ca_file_is_reported_and_nothing_is_served(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _serve("--tls", "--ca-file", str(blocker / "ca.pem"))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert out == ""
    assert f"Cannot write the simulator's CA certificate to {blocker / 'ca.pem'}" in err
    assert "Traceback" not in err


def test_help_lists_the_tls_options() -> None:
    done = subprocess.run([*SERVE, "--help"], capture_output=True, text=True, check=True)
    assert "--tls" in done.stdout
    assert "--ca-file PATH" in done.stdout
