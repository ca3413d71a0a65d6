"""Credentials: source order, one token per session, refresh before expiry, safe transport."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_batchkeys.errors import CredentialError
from pytest_batchkeys.live.auth import (
    REFRESH_MARGIN,
    CachedToken,
    StaticToken,
    client_credentials_fetcher,
    ensure_safe_transport,
    provider_from_env,
)
from pytest_batchkeys.settings import resolve
from pytest_batchkeys.simulator import Client, Simulator, SimulatorConfig

TARGET = {
    "AZURE_SUBSCRIPTION_ID": "11111111-2222-3333-4444-555555555555",
    "BATCHKEYS_RESOURCE_GROUP": "rg",
    "BATCHKEYS_ACCOUNT_NAME": "acct",
}
CREDS = {
    "AZURE_TENANT_ID": "tenant",
    "AZURE_CLIENT_ID": "client",
    "AZURE_CLIENT_SECRET": "s3cret-value",
}


def _settings(env: dict[str, str], **cli: str):
    return resolve({"mode": "live", **cli}, {}, env, rootdir=Path("/"))


def test_explicit_token_comes_first_and_is_remembered_as_a_secret():
    seen: list[tuple[str, str]] = []
    env = {**TARGET, **CREDS, "BATCHKEYS_ACCESS_TOKEN": "explicit-token-value"}
    provider = provider_from_env(
        _settings(env), env, on_secret=lambda v, k: seen.append((v, k)), use_azure_identity=False
    )
    assert isinstance(provider, StaticToken)
    assert provider.token() == "explicit-token-value"
    assert seen == [("explicit-token-value", "access token")]


def test_client_credentials_come_second():
    env = {**TARGET, **CREDS}
    provider = provider_from_env(_settings(env), env, use_azure_identity=False)
    assert isinstance(provider, CachedToken)
    assert provider.description == "client credentials (AZURE_CLIENT_ID)"


def test_nothing_set_lists_every_source():
    env = dict(TARGET)
    with pytest.raises(CredentialError) as info:
        provider_from_env(_settings(env), env, use_azure_identity=False)
    assert str(info.value) == (
        "--batch-live needs credentials for https://management.azure.com, and none were found. "
        "Set one of:\n"
        "  BATCHKEYS_ACCESS_TOKEN (a bearer token for ARM), or\n"
        "  AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or\n"
        "  install pytest-batchkeys[azure] and sign in (az login, managed identity, ...). "
        "[see: batchkeys explain missing-credentials]"
    )


def test_cached_token_is_fetched_once_and_refreshed_before_expiry():
    now = [1000.0]
    fetched: list[int] = []

    def fetch() -> tuple[str, float]:
        fetched.append(1)
        return f"token-{len(fetched)}", now[0] + 3600

    token = CachedToken(fetch, description="test", clock=lambda: now[0])
    assert token.token() == "token-1"
    now[0] += 3600 - REFRESH_MARGIN - 1
    assert token.token() == "token-1"  # still comfortably valid
    now[0] += 2
    assert token.token() == "token-2"  # within the margin: refreshed before it expires
    assert token.acquired == 2


def test_client_credentials_against_the_simulator_token_endpoint():
    config = SimulatorConfig(clients=[Client("app", "right-secret-value")])
    with Simulator(config) as sim:
        good = client_credentials_fetcher(
            authority=sim.url,
            tenant="t1",
            client_id="app",
            client_secret="right-secret-value",
            scope=sim.scope,
            timeout=(2, 5),
        )
        value, expires_on = good()
        assert value.count(".") == 2
        assert expires_on > 0
        bad = client_credentials_fetcher(
            authority=sim.url,
            tenant="t1",
            client_id="app",
            client_secret="wrong-secret-value",
            scope=sim.scope,
            timeout=(2, 5),
        )
        with pytest.raises(CredentialError) as info:
            bad()
    message = str(info.value)
    assert message.startswith(
        f"The token endpoint {sim.url}/t1/oauth2/v2.0/token refused the client credentials: HTTP 400"
    )
    assert "wrong-secret-value" not in message


def test_unreachable_token_endpoint_is_a_credential_error():
    with Simulator() as sim:
        url = sim.url
    fetch = client_credentials_fetcher(
        authority=url,
        tenant="t",
        client_id="c",
        client_secret="secret-value-x",
        scope="s",
        timeout=(1, 1),
    )
    with pytest.raises(CredentialError) as info:
        fetch()
    assert str(info.value).startswith(
        f"Could not reach the token endpoint {url}/t/oauth2/v2.0/token: "
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:1/x", "http://[::1]:1/x", "http://localhost/x", "https://example.com/x"],
)
def test_safe_transport_allows_https_and_loopback(url):
    ensure_safe_transport(url)


def test_plain_http_off_loopback_is_refused_before_any_secret_leaves():
    with pytest.raises(CredentialError) as info:
        client_credentials_fetcher(
            authority="http://login.example.com",
            tenant="t",
            client_id="c",
            client_secret="never-sent-value",
            scope="s",
            timeout=(1, 1),
        )
    assert str(info.value) == (
        "Refusing to send credentials over plain http to http://login.example.com/t/oauth2/v2.0/token: "
        "only loopback hosts (127.0.0.1, ::1, localhost) may use http. Use https. "
        "[see: batchkeys explain plain-http]"
    )


def test_token_answer_with_a_non_numeric_lifetime_is_a_credential_error():
    from pytest_batchkeys.live.auth import _parse_token_response

    class Answer:
        status_code = 200

        def json(self):
            return {"access_token": "token-value-xyz", "expires_in": "soon"}

    with pytest.raises(CredentialError) as info:
        _parse_token_response(Answer(), "http://127.0.0.1:1/t/oauth2/v2.0/token", 0.0)
    assert str(info.value) == (
        "The token endpoint http://127.0.0.1:1/t/oauth2/v2.0/token answered with an expires_in "
        "that is not a number. Expected seconds (e.g. 3599); check --batch-authority points at "
        "an Entra token endpoint. [see: batchkeys explain token-request-failed]"
    )
