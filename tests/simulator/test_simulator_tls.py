"""Simulator(tls=True): HTTPS on loopback with a test CA made for the run."""

from __future__ import annotations

import http.client
import socket
import ssl
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
import requests

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator

TIMEOUT = 5


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(tls=True) as running:
        yield running


def token_form(sim: Simulator) -> dict[str, str]:
    return {
        "client_id": "app",
        "client_secret": "s",
        "scope": sim.scope,
        "grant_type": "client_credentials",
    }


def test_url_is_https_and_the_ca_file_holds_one_pem_certificate(sim: Simulator) -> None:
    assert sim.tls
    assert sim.url.startswith("https://127.0.0.1:")
    text = sim.ca_file.read_text()
    assert text.startswith("-----BEGIN CERTIFICATE-----")
    assert text.count("BEGIN CERTIFICATE") == 1
    assert "PRIVATE KEY" not in text
    assert sim.ca_file.read_bytes() == sim.ca_pem


def test_requests_trusting_the_ca_file_gets_a_token_and_keys(sim: Simulator) -> None:
    token = requests.post(
        sim.token_url(), data=token_form(sim), verify=str(sim.ca_file), timeout=TIMEOUT
    )
    assert token.status_code == 200
    keys = requests.post(
        sim.listkeys_url(),
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        verify=str(sim.ca_file),
        timeout=TIMEOUT,
    )
    assert keys.status_code == 200
    assert keys.json()["accountName"] == placeholders.ACCOUNT_NAME


def test_the_ssl_context_verifies_the_certificate_with_hostname_checks(sim: Simulator) -> None:
    context = sim.ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    url = f"{sim.url}/{placeholders.TENANT_ID}/v2.0/.well-known/openid-configuration"
    with urllib.request.urlopen(url, context=context, timeout=TIMEOUT) as answer:
        assert answer.status == 200


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_the_certificate_names_the_loopback_host_names(sim: Simulator, name: str) -> None:
    with (
        socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) as raw,
        sim.ssl_context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_name_the_certificate_does_not_hold_is_refused(sim: Simulator) -> None:
    with (
        socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="match"),
    ):
        sim.ssl_context.wrap_socket(raw, server_hostname="management.azure.com")


def test_a_client_that_does_not_trust_the_ca_is_refused(sim: Simulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(sim.token_url(), data=token_form(sim), timeout=TIMEOUT)
    # and the simulator keeps serving
    ok = requests.post(
        sim.token_url(), data=token_form(sim), verify=str(sim.ca_file), timeout=TIMEOUT
    )
    assert ok.status_code == 200


def test_plain_http_to_the_https_port_gets_no_answer(sim: Simulator) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(sim.url.replace("https://", "http://") + "/x", timeout=TIMEOUT)


def test_a_silent_client_does_not_hold_up_other_connections(sim: Simulator) -> None:
    # the handshake runs in each connection's thread, not in the accept loop
    silent = [socket.create_connection(("127.0.0.1", sim.port), timeout=TIMEOUT) for _ in range(3)]
    try:
        started = time.monotonic()
        answer = requests.post(
            sim.token_url(), data=token_form(sim), verify=str(sim.ca_file), timeout=TIMEOUT
        )
        assert answer.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in silent:
            sock.close()


def test_the_ca_is_new_for_every_simulator(sim: Simulator) -> None:
    other = Simulator(tls=True)
    assert other.ca_pem != sim.ca_pem


def test_write_ca_file_writes_where_asked_and_reports_a_bad_path(sim: Simulator, tmp_path) -> None:
    written = sim.write_ca_file(tmp_path / "sub" / "ca.pem")
    assert written.read_bytes() == sim.ca_pem
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"Cannot write the simulator's CA certificate to .*file"):
        sim.write_ca_file(blocker / "ca.pem")


def test_tls_environment_points_both_variables_at_the_ca_file(sim: Simulator) -> None:
    env = sim.tls_environment()
    assert env == {"REQUESTS_CA_BUNDLE": str(sim.ca_file), "SSL_CERT_FILE": str(sim.ca_file)}
    azure = sim.azure_environment(tenant="t1", client_id="c1", client_secret="s1")
    assert azure == {
        "AZURE_AUTHORITY_HOST": sim.url,
        "AZURE_TENANT_ID": "t1",
        "AZURE_CLIENT_ID": "c1",
        "AZURE_CLIENT_SECRET": "s1",
        **env,
    }


def test_a_plain_simulator_has_no_ca_and_says_how_to_get_one() -> None:
    plain = Simulator()
    assert not plain.tls
    assert "REQUESTS_CA_BUNDLE" not in plain.azure_environment()
    with pytest.raises(ConfigError, match=r"Simulator\(tls=True\)"):
        _ = plain.ca_file
    with pytest.raises(ConfigError, match="serves plain http"):
        _ = plain.ssl_context


def test_without_trustme_tls_is_a_config_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "trustme", None)
    with pytest.raises(ConfigError, match=r"pip install 'pytest-batchkeys\[tls\]'"):
        Simulator(tls=True)
    Simulator()  # plain http needs no trustme


def test_importing_the_simulator_does_not_import_trustme_or_cryptography() -> None:
    import subprocess

    code = (
        "import sys; from pytest_batchkeys.simulator import Simulator; "
        "Simulator().start().stop(); "
        "print(sorted(m for m in ('trustme', 'cryptography') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_keep_alive_over_tls_two_requests_one_handshake(sim: Simulator) -> None:
    """Like the plain server: no `Connection: close`, the second request reuses the socket."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", sim.port, timeout=TIMEOUT, context=sim.ssl_context
    )
    try:
        answers = []
        sockets = []
        for _ in range(2):
            token = sim.issue_token()
            path = sim.listkeys_url().removeprefix(sim.url)
            conn.request("POST", path, body=b"", headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            answers.append(response)
            sockets.append(conn.sock)
        assert [a.status for a in answers] == [200, 200]
        assert all(a.getheader("Connection") is None for a in answers)
        assert sockets[0] is not None
        assert sockets[0] is sockets[1]
    finally:
        conn.close()


def test_tls_truncate_fault_still_closes() -> None:
    with Simulator(tls=True) as tls_sim:
        tls_sim.add_fault(kind="truncate", first=1)
        conn = http.client.HTTPSConnection(
            "127.0.0.1", tls_sim.port, timeout=TIMEOUT, context=tls_sim.ssl_context
        )
        try:
            conn.request(
                "POST",
                "/subscriptions/x/resourceGroups/r/providers/Microsoft.Batch"
                "/batchAccounts/a/listKeys",
                body=b"",
            )
            response = conn.getresponse()
            assert response.getheader("Connection") == "close"
            started = time.monotonic()
            with pytest.raises(http.client.IncompleteRead):
                response.read()
            assert time.monotonic() - started < 2
        finally:
            conn.close()
