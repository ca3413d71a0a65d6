"""MSAL's instance discovery for a loopback authority goes to that authority, nothing else moves."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from helpers.offline import OfflineGuard
from requests.adapters import HTTPAdapter

from pytest_batchkeys.simulator import Simulator, loopback_discovery
from pytest_batchkeys.simulator.loopback_discovery import (
    install,
    local_discovery_url,
    loopback_instance_discovery,
    redirected_count,
    uninstall,
)

ENTRA = "https://login.microsoftonline.com/common/discovery/instance"
SIM = "https://127.0.0.1:4443"


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No registration left by anything else in this process (and everything restored after)."""
    monkeypatch.setattr(loopback_discovery, "_authorities", [])
    monkeypatch.setitem(loopback_discovery._state, "original", None)
    monkeypatch.setattr(HTTPAdapter, "send", HTTPAdapter.send)


def asking(endpoint: str, base: str = ENTRA) -> str:
    return f"{base}?authorization_endpoint={quote(endpoint, safe='')}&api-version=1.0"


@pytest.mark.parametrize(
    ("endpoint", "expected_netloc"),
    [
        ("https://127.0.0.1:5000/t/oauth2/v2.0/authorize", "127.0.0.1:5000"),
        ("https://localhost:5000/t/oauth2/v2.0/authorize", "localhost:5000"),
        ("https://[::1]:5000/t/oauth2/v2.0/authorize", "[::1]:5000"),
        # MSAL Python drops the port: the registered authority on that host supplies it
        ("https://127.0.0.1/t/oauth2/v2.0/authorize", "127.0.0.1:4443"),
    ],
)
def test_a_loopback_authority_is_asked_itself(endpoint: str, expected_netloc: str) -> None:
    local = local_discovery_url(asking(endpoint), [SIM])
    assert local == asking(endpoint, base=f"https://{expected_netloc}/common/discovery/instance")


@pytest.mark.parametrize(
    "url",
    [
        asking("https://login.example.org/t/oauth2/v2.0/authorize"),  # not loopback
        asking("http://127.0.0.1:5000/t/oauth2/v2.0/authorize"),  # not https
        asking("https://localhost/t/oauth2/v2.0/authorize"),  # no port, none registered there
        asking(
            "https://127.0.0.1:5000/t",
            base="https://login.microsoftonline.us/common/discovery/instance",
        ),
        asking("https://127.0.0.1:5000/t", base="https://login.microsoftonline.com/common/other"),
        asking(
            "https://127.0.0.1:5000/t",
            base="http://login.microsoftonline.com/common/discovery/instance",
        ),
        "https://login.microsoftonline.com/common/discovery/instance?api-version=1.0",
        "https://management.azure.com/subscriptions",
        "not a url",
    ],
)
def test_everything_else_is_left_alone(url: str) -> None:
    assert local_discovery_url(url, [SIM]) is None


def test_the_most_recent_authority_on_a_host_wins() -> None:
    url = asking("https://127.0.0.1/t/oauth2/v2.0/authorize")
    local = local_discovery_url(url, ["https://127.0.0.1:1111", "https://127.0.0.1:2222"])
    assert local is not None
    assert local.startswith("https://127.0.0.1:2222/")


@pytest.mark.usefixtures("isolated")
def test_install_and_uninstall_nest_and_restore_the_original_send() -> None:
    original = HTTPAdapter.send
    install(SIM)
    install("https://127.0.0.1:5555")
    assert HTTPAdapter.send is not original
    uninstall(SIM)
    assert HTTPAdapter.send is not original
    uninstall("https://127.0.0.1:5555")
    assert HTTPAdapter.send is original
    uninstall(SIM)  # one too many is harmless
    assert HTTPAdapter.send is original


def test_requests_reaches_the_simulator_instead_of_entra(offline: OfflineGuard) -> None:
    with Simulator(tls=True) as sim, loopback_instance_discovery(sim.url):
        before = redirected_count()
        url = asking("https://127.0.0.1/tenant-a/oauth2/v2.0/authorize")
        answer = requests.get(url, verify=str(sim.ca_file), timeout=5)
        assert answer.status_code == 200
        assert answer.json()["tenant_discovery_endpoint"].startswith(f"{sim.url}/tenant-a/")
        assert redirected_count() == before + 1
        assert sim.request_log[-1].path == "/common/discovery/instance"
    assert offline.refused == []


@pytest.mark.usefixtures("isolated")
def test_outside_the_block_the_request_is_not_redirected(offline: OfflineGuard) -> None:
    with Simulator(tls=True) as sim:
        with loopback_instance_discovery(sim.url):
            pass
        url = asking(f"{sim.url}/tenant-a/oauth2/v2.0/authorize")
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url, verify=str(sim.ca_file), timeout=5)
        assert offline.refused == ["login.microsoftonline.com"]
        assert sim.stats.requests == 0


@pytest.mark.parametrize(
    ("value", "authority"),
    [
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443"),
        ("127.0.0.1:8443", "https://127.0.0.1:8443"),  # azure-identity adds https:// too
        ("https://localhost:8443", "https://localhost:8443"),
        ("https://login.microsoftonline.com", None),
        ("login.microsoftonline.us", None),
        ("http://127.0.0.1:8080", None),  # azure-identity refuses http anyway
        ("", None),
    ],
)
def test_which_azure_authority_host_the_plugin_answers_discovery_for(
    value: str, authority: str | None
) -> None:
    from pytest_batchkeys.plugin import _loopback_authority

    assert _loopback_authority(value) == authority
