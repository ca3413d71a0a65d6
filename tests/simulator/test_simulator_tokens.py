"""The simulator's Entra token endpoint over real sockets, and the ARM route's use of its tokens."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
import requests

from pytest_batchkeys.simulator import Client, Simulator, SimulatorConfig

TIMEOUT = 5
ENTRA_ERROR_KEYS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(
        clients=[Client("app-1", "s3cret-value", principal="app-principal")], token_lifetime=120
    )
    with Simulator(config) as running:
        yield running


def form(sim: Simulator, **overrides: str) -> dict[str, str]:
    fields = {
        "client_id": "app-1",
        "client_secret": "s3cret-value",
        "scope": sim.scope,
        "grant_type": "client_credentials",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v != "-"}


def ask(sim: Simulator, data: dict[str, str], tenant: str = "contoso") -> requests.Response:
    return requests.post(sim.token_url(tenant), data=data, timeout=TIMEOUT)


def test_client_credentials_get_a_bearer_token_the_arm_route_accepts(sim: Simulator) -> None:
    response = ask(sim, form(sim))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 120
    keys = requests.post(
        sim.listkeys_url(),
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=TIMEOUT,
    )
    assert keys.status_code == 200
    assert sim.stats.tokens_issued == {"app-1": 1}


def test_token_is_jwt_shaped_with_tenant_and_app_claims(sim: Simulator) -> None:
    token = ask(sim, form(sim), tenant="contoso").json()["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["tid"] == "contoso"
    assert claims["appid"] == "app-1"
    assert claims["exp"] > time.time()


@pytest.mark.parametrize(
    "scope",
    [
        "https://management.azure.com/.default",
        "https://management.core.windows.net//.default",
        "https://management.azure.com/.default offline_access",
    ],
)
def test_arm_scopes_are_accepted(sim: Simulator, scope: str) -> None:
    assert ask(sim, form(sim, scope=scope)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error", "aadsts"),
    [
        ({"client_secret": "wrong"}, "invalid_client", 7000215),
        ({"client_secret": "-"}, "invalid_client", 7000216),
        ({"scope": "https://graph.microsoft.com/.default"}, "invalid_scope", 70011),
        ({"scope": "https://management.azure.com/user_impersonation"}, "invalid_scope", 70011),
        ({"grant_type": "password"}, "unsupported_grant_type", 70003),
        ({"grant_type": "-"}, "invalid_request", 900144),
        ({"client_id": "other-app"}, "unauthorized_client", 700016),
    ],
)
def test_refusals_use_the_entra_error_shape(
    sim: Simulator, overrides: dict[str, str], error: str, aadsts: int
) -> None:
    response = ask(sim, form(sim, **overrides))
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ENTRA_ERROR_KEYS
    assert body["error"] == error
    assert body["error_codes"] == [aadsts]
    assert body["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert "s3cret-value" not in response.text
    assert sim.stats.total_tokens_issued == 0


def test_wrong_content_type_is_a_400_not_a_crash(sim: Simulator) -> None:
    response = requests.post(sim.token_url(), json=form(sim), timeout=TIMEOUT)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_basic_auth_client_credentials_are_accepted(sim: Simulator) -> None:
    data = form(sim, client_id="-", client_secret="-")
    response = requests.post(
        sim.token_url(), data=data, auth=("app-1", "s3cret-value"), timeout=TIMEOUT
    )
    assert response.status_code == 200


def test_unregistered_world_issues_to_any_client_and_counts_per_client() -> None:
    with Simulator() as sim:
        for client_id in ("a", "a", "b"):
            data = form(sim, client_id=client_id, client_secret="anything")
            assert ask(sim, data).status_code == 200
        sim.issue_token("helper")  # the test helper is not counted
        stats = sim.stats
    assert stats.tokens_issued == {"a": 2, "b": 1}
    assert stats.total_tokens_issued == 3
    assert stats.token_requests == 3


def test_configured_tenants_limit_the_token_endpoint() -> None:
    with Simulator(SimulatorConfig(tenants=["contoso"])) as sim:
        assert ask(sim, form(sim, client_id="x"), tenant="Contoso").status_code == 200
        refused = ask(sim, form(sim, client_id="x"), tenant="fabrikam")
    assert refused.status_code == 400
    assert refused.json()["error_codes"] == [90002]


def test_tokens_expire_after_their_lifetime() -> None:
    with Simulator(SimulatorConfig(token_lifetime=1)) as sim:
        token = ask(sim, form(sim, client_id="x")).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.post(sim.listkeys_url(), headers=headers, timeout=TIMEOUT).ok
        time.sleep(1.1)
        late = requests.post(sim.listkeys_url(), headers=headers, timeout=TIMEOUT)
    assert late.status_code == 401
    assert late.json()["error"]["code"] == "ExpiredAuthenticationToken"


def test_tokens_of_another_simulator_are_rejected() -> None:
    with Simulator() as one, Simulator() as two:
        foreign = one.issue_token()
        response = requests.post(
            two.listkeys_url(), headers={"Authorization": f"Bearer {foreign}"}, timeout=TIMEOUT
        )
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
