"""Entra discovery documents: OpenID configuration, instance discovery, the 400s MSAL expects."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import msal
import pytest
import requests

from pytest_batchkeys.simulator import Client, Simulator, SimulatorConfig, Subscription

TIMEOUT = 5
TENANT = "4e1c2b7a-5d3f-4a8e-9c6b-0f2d1e3a5b7c"
ENTRA_ERROR_KEYS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(tls=True) as running:
        yield running


@pytest.fixture(scope="module")
def named() -> Iterator[Simulator]:
    """A world that names its tenant: other tenants are unknown."""
    config = SimulatorConfig(subscriptions=[Subscription(tenant=TENANT)])
    with Simulator(config, tls=True) as running:
        yield running


def get(sim: Simulator, path: str) -> requests.Response:
    return requests.get(f"{sim.url}{path}", verify=str(sim.ca_file), timeout=TIMEOUT)


def openid(sim: Simulator, tenant: str) -> requests.Response:
    return get(sim, f"/{tenant}/v2.0/.well-known/openid-configuration")


def instance(sim: Simulator, endpoint: str | None, api_version: str = "1.1") -> requests.Response:
    query = f"api-version={api_version}"
    if endpoint is not None:
        query += f"&authorization_endpoint={quote(endpoint, safe='')}"
    return get(sim, f"/common/discovery/instance?{query}")


def test_openid_configuration_points_every_endpoint_at_the_simulator(sim: Simulator) -> None:
    answer = openid(sim, TENANT)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    doc = answer.json()
    root = f"{sim.url}/{TENANT}"
    assert doc["token_endpoint"] == f"{root}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{root}/oauth2/v2.0/authorize"
    assert doc["device_authorization_endpoint"] == f"{root}/oauth2/v2.0/devicecode"
    assert doc["end_session_endpoint"] == f"{root}/oauth2/v2.0/logout"
    assert doc["jwks_uri"] == f"{root}/discovery/v2.0/keys"
    assert doc["issuer"] == f"{sim.url}/{TENANT}/v2.0"
    assert "client_secret_post" in doc["token_endpoint_auth_methods_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    # nothing sends a client off the simulator
    urls = [v for v in doc.values() if isinstance(v, str) and "://" in v]
    assert urls
    assert all(url.startswith(sim.url) for url in urls)


def test_the_token_endpoint_it_names_issues_tokens(sim: Simulator) -> None:
    doc = openid(sim, TENANT).json()
    form = {
        "client_id": "app",
        "client_secret": "s",
        "scope": "https://management.azure.com/.default",
        "grant_type": "client_credentials",
    }
    token = requests.post(doc["token_endpoint"], data=form, verify=str(sim.ca_file), timeout=5)
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("tenant", "issuer_tenant"),
    [
        ("common", "{tenantid}"),
        ("organizations", "{tenantid}"),
        ("consumers", "9188040d-6c67-4c5b-b112-36a304b66dad"),
        ("contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
    ],
)
def test_well_known_tenant_names_and_domains(sim: Simulator, tenant: str, issuer_tenant) -> None:
    doc = openid(sim, tenant).json()
    assert doc["issuer"] == f"{sim.url}/{issuer_tenant}/v2.0"
    assert doc["token_endpoint"] == f"{sim.url}/{tenant}/oauth2/v2.0/token"


@pytest.mark.parametrize("tenant", ["not a tenant", "x", "-bad-.com"])
def test_a_malformed_tenant_is_not_found(sim: Simulator, tenant: str) -> None:
    answer = openid(sim, quote(tenant))
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == ENTRA_ERROR_KEYS
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith(f"AADSTS90002: Tenant '{tenant}' not found.")


def test_a_world_that_names_its_tenants_knows_only_those(named: Simulator) -> None:
    assert openid(named, TENANT).status_code == 200
    assert openid(named, TENANT.upper()).status_code == 200
    other = openid(named, "00000000-0000-0000-0000-0000000000aa")
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_tenant"
    assert openid(named, "organizations").status_code == 200


def test_tenants_named_by_clients_or_the_tenants_list_are_known() -> None:
    config = SimulatorConfig(tenants=["t-one.example"], clients=[Client("c", "s", tenant="t-two")])
    with Simulator(config, tls=True) as sim:
        assert openid(sim, "t-one.example").status_code == 200
        assert openid(sim, "t-two").status_code == 200
        assert openid(sim, "t-three.example").status_code == 400


def test_msal_reports_an_unknown_tenant_from_the_400(
    named: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(named.ca_file))
    with pytest.raises(ValueError, match="double check your tenant name") as caught:
        msal.ConfidentialClientApplication(
            "app",
            client_credential="s",
            authority=f"{named.url}/00000000-0000-0000-0000-0000000000aa",
            instance_discovery=False,
        )
    cause = str(caught.value.__context__)
    assert "HTTP status: 400" in cause
    assert '"error":"invalid_tenant"' in cause


def test_jwks_is_an_empty_key_set(sim: Simulator) -> None:
    answer = get(sim, f"/{TENANT}/discovery/v2.0/keys")
    assert answer.status_code == 200
    assert answer.json() == {"keys": []}
    assert get(sim, "/bad tenant/discovery/v2.0/keys").status_code == 400


@pytest.mark.parametrize("with_port", [True, False])
def test_instance_discovery_vouches_for_the_simulator_itself(
    sim: Simulator, with_port: bool
) -> None:
    base = sim.url if with_port else sim.url.rsplit(":", 1)[0]  # MSAL Python drops the port
    answer = instance(sim, f"{base}/{TENANT}/oauth2/v2.0/authorize", api_version="1.0")
    assert answer.status_code == 200
    body = answer.json()
    assert body["tenant_discovery_endpoint"] == (
        f"{sim.url}/{TENANT}/v2.0/.well-known/openid-configuration"
    )
    assert body["api-version"] == "1.0"
    netloc = sim.url.split("://")[1]
    assert body["metadata"] == [
        {"preferred_network": netloc, "preferred_cache": netloc, "aliases": [netloc]}
    ]


@pytest.mark.parametrize(
    "endpoint",
    [
        f"https://login.example.org/{TENANT}/oauth2/v2.0/authorize",
        f"http://127.0.0.1/{TENANT}/oauth2/v2.0/authorize",  # another scheme
        f"https://127.0.0.1:1/{TENANT}/oauth2/v2.0/authorize",  # another port
        "not a url",
    ],
)
def test_instance_discovery_of_another_instance_is_invalid_instance(
    sim: Simulator, endpoint: str
) -> None:
    answer = instance(sim, endpoint)
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == ENTRA_ERROR_KEYS
    assert body["error"] == "invalid_instance"  # what MSAL checks for
    assert body["error_codes"] == [50049]
    assert body["error_description"].startswith("AADSTS50049: Unknown or invalid instance.")


def test_instance_discovery_without_an_endpoint_is_invalid_request(sim: Simulator) -> None:
    answer = instance(sim, None)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_discovery_takes_get_only(sim: Simulator) -> None:
    answer = requests.post(
        f"{sim.url}/{TENANT}/v2.0/.well-known/openid-configuration",
        verify=str(sim.ca_file),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, HEAD"
    head = requests.head(
        f"{sim.url}/{TENANT}/v2.0/.well-known/openid-configuration",
        verify=str(sim.ca_file),
        timeout=TIMEOUT,
    )
    assert head.status_code == 200
    assert head.content == b""


def test_discovery_is_served_over_plain_http_too_and_counted() -> None:
    with Simulator() as sim:
        answer = requests.get(
            f"{sim.url}/{TENANT}/v2.0/.well-known/openid-configuration", timeout=TIMEOUT
        )
        assert answer.json()["token_endpoint"].startswith("http://127.0.0.1:")
        assert sim.stats.discovery_requests == 1
        assert sim.request_log[-1].route == "discovery"
