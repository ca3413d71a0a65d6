"""The official azure-mgmt-batch client against the simulator on loopback over http.

How to point the SDK at the simulator: base_url=sim.url, any credential whose get_token()
returns an AccessToken, and enforce_https=False per call (the SDK refuses bearer tokens over
http otherwise). azure-mgmt-batch 19 sends api-version 2025-06-01.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.mgmt.batch import BatchManagementClient

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator, SimulatorConfig, Throttle

HTTP_OK = {"enforce_https": False}


class SimulatorCredential:
    """A credential that asks the simulator's token endpoint, like a client-secret credential."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        import requests

        data = {
            "client_id": placeholders.CLIENT_ID,
            "client_secret": "any-secret-works-by-default",
            "scope": scopes[0],
            "grant_type": "client_credentials",
        }
        answer = requests.post(self.sim.token_url(), data=data, timeout=5)
        answer.raise_for_status()
        body = answer.json()
        return AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def client(sim: Simulator, **kwargs: Any) -> BatchManagementClient:
    return BatchManagementClient(
        SimulatorCredential(sim),
        placeholders.SUBSCRIPTION_ID,
        base_url=sim.url,
        credential_scopes=["https://management.azure.com/.default"],
        **kwargs,
    )


def test_get_keys_returns_the_simulator_keys(sim: Simulator) -> None:
    keys = client(sim).batch_account.get_keys(
        placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, **HTTP_OK
    )
    served = sim.config.subscriptions[0].resource_groups[0].accounts[0]
    assert keys.account_name == placeholders.ACCOUNT_NAME
    assert (keys.primary, keys.secondary) == (served.primary, served.secondary)
    assert sim.request_log[-1].path.endswith("/listKeys")
    assert sim.stats.tokens_issued == {placeholders.CLIENT_ID: 1}


def test_unknown_account_raises_resource_not_found_with_the_rp_code(sim: Simulator) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        client(sim).batch_account.get_keys(
            placeholders.RESOURCE_GROUP, "ghostacct", retry_total=0, **HTTP_OK
        )
    assert caught.value.error is not None
    assert caught.value.error.code == "AccountNotFound"
    assert caught.value.error.target == "BatchAccount"
    assert caught.value.status_code == 404


def test_missing_permission_raises_http_response_error_403(sim: Simulator) -> None:
    sim.set_permissions(placeholders.CLIENT_ID, [])
    with pytest.raises(HttpResponseError) as caught:
        client(sim).batch_account.get_keys(
            placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, retry_total=0, **HTTP_OK
        )
    assert caught.value.status_code == 403
    assert caught.value.error is not None
    assert caught.value.error.code == "AuthorizationFailed"


def test_bad_token_raises_client_authentication_error(sim: Simulator) -> None:
    class Forged:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken("forged", int(time.time()) + 3600)

    sdk = BatchManagementClient(Forged(), placeholders.SUBSCRIPTION_ID, base_url=sim.url)
    with pytest.raises(ClientAuthenticationError):
        sdk.batch_account.get_keys(
            placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, retry_total=0, **HTTP_OK
        )


def test_retry_policy_honours_retry_after(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", first=1, retry_after=1)
    started = time.monotonic()
    keys = client(sim).batch_account.get_keys(
        placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, **HTTP_OK
    )
    elapsed = time.monotonic() - started
    assert keys.primary
    assert elapsed >= 0.95  # waited as asked: without Retry-After the first retry is immediate
    listkeys = [r.status for r in sim.request_log if r.route == "arm"]
    assert listkeys == [429, 200]


def test_retry_policy_retries_server_errors_then_succeeds(sim: Simulator) -> None:
    sim.add_fault(kind="error", first=2, status=503, retry_after=0.05)
    keys = client(sim).batch_account.get_keys(
        placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, **HTTP_OK
    )
    assert keys.secondary
    assert [r.status for r in sim.request_log if r.route == "arm"] == [503, 503, 200]


@pytest.fixture
def sdk_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds azure-core's retry policy asks its transport to sleep (recorded, not slept)."""
    from azure.core.pipeline.transport import RequestsTransport

    waits: list[float] = []
    monkeypatch.setattr(RequestsTransport, "sleep", lambda self, seconds: waits.append(seconds))
    return waits


def test_sdk_retry_after_a_throttle_waits_whole_seconds_as_against_azure(
    sim: Simulator, sdk_waits: list[float]
) -> None:
    """source: facts §8: ARM sends Retry-After in whole seconds and never retry-after-ms, so
    azure-core waits Retry-After seconds; a fraction of a second would be an artefact."""
    sim.add_fault(kind="throttle", first=1, retry_after=0.3)
    keys = client(sim).batch_account.get_keys(
        placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, **HTTP_OK
    )
    assert keys.account_name == placeholders.ACCOUNT_NAME
    assert sdk_waits == [1.0]
    assert [r.status for r in sim.request_log if r.route == "arm"] == [429, 200]


def test_sdk_gets_subscription_requests_throttled_after_waiting_the_buckets_retry_after(
    sdk_waits: list[float],
) -> None:
    config = SimulatorConfig(throttle=Throttle(capacity=1, refill_per_second=0.5))
    with Simulator(config) as sim:
        batch = client(sim).batch_account
        batch.get_keys(placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, **HTTP_OK)
        with pytest.raises(HttpResponseError) as caught:
            batch.get_keys(
                placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, retry_total=1, **HTTP_OK
            )
    assert caught.value.status_code == 429
    assert caught.value.error is not None
    assert caught.value.error.code == "SubscriptionRequestsThrottled"
    assert sdk_waits == [2.0]  # one token missing at 0.5/s: Retry-After: 2


def test_configured_retry_after_ms_keeps_whole_second_retry_after_for_this_azure_core(
    sdk_waits: list[float],
) -> None:
    """azure-core 1.41 reads Retry-After before retry-after-ms (facts §8 describes older
    releases, which read retry-after-ms first); the opt-in header never shortens Retry-After."""
    with Simulator(SimulatorConfig(retry_after_ms=True)) as sim:
        sim.add_fault(kind="throttle", first=1, retry_after=0.3)
        client(sim).batch_account.get_keys(
            placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME, **HTTP_OK
        )
    assert sdk_waits == [1.0]
