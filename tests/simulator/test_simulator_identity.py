"""Real azure-identity credentials and the unchanged SDK against the simulator over HTTPS.

No credential of ours and no enforce_https flag: the code under test is helpers/production_keys,
given azure-identity's own credentials aimed at the simulator, trusting its CA the usual way
(REQUESTS_CA_BUNDLE). The `offline` guard makes any attempt to leave loopback fail the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from helpers.offline import OfflineGuard
from helpers.production_keys import read_keys

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import (
    Client,
    Simulator,
    SimulatorConfig,
    Subscription,
    loopback_discovery,
)

TENANT = "4e1c2b7a-5d3f-4a8e-9c6b-0f2d1e3a5b7c"
CLIENT_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
SECRET = "identity~Client.Secret_value-0042"
TLS = pytest.mark.parametrize("batchkeys_simulator", [{"tls": True}], indirect=True)
AZURE_VARS = (
    "AZURE_AUTHORITY_HOST",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_FEDERATED_TOKEN_FILE",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AZURE_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A world with one registered service principal in one tenant, over HTTPS."""
    config = SimulatorConfig(
        subscriptions=[Subscription(tenant=TENANT)],
        clients=[Client(CLIENT_ID, SECRET, tenant=TENANT)],
    )
    with Simulator(config, tls=True) as running:
        yield running


def served_keys(sim: Simulator) -> tuple[str | None, str | None]:
    account = sim.config.subscriptions[0].resource_groups[0].accounts[0]
    return account.primary, account.secondary


def read(sim: Simulator, credential: object) -> tuple[str, str]:
    return read_keys(
        credential,
        placeholders.SUBSCRIPTION_ID,
        placeholders.RESOURCE_GROUP,
        placeholders.ACCOUNT_NAME,
        arm_url=sim.url,
    )


def credential(sim: Simulator, *, tenant: str = TENANT, secret: str = SECRET, **kwargs: object):
    return ClientSecretCredential(
        tenant, CLIENT_ID, secret, authority=sim.url, disable_instance_discovery=True, **kwargs
    )


def test_client_secret_credential_and_the_unchanged_sdk_read_keys_over_https(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))
    assert read(sim, credential(sim)) == served_keys(sim)
    assert [(r.method, r.route, r.status) for r in sim.request_log] == [
        ("GET", "discovery", 200),  # /{tenant}/v2.0/.well-known/openid-configuration
        ("POST", "token", 200),
        ("POST", "arm", 200),
    ]
    assert sim.stats.tokens_issued == {CLIENT_ID: 1}
    assert offline.refused == []


def test_a_wrong_secret_is_a_client_authentication_error(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        read(sim, credential(sim, secret="not-the-secret"))
    assert sim.stats.listkeys_requests == 0


def test_an_unknown_tenant_is_refused_at_discovery(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))
    with pytest.raises(ClientAuthenticationError, match="tenant name or GUID"):
        read(sim, credential(sim, tenant="00000000-0000-0000-0000-0000000000aa"))
    assert [r.status for r in sim.request_log] == [400]
    assert sim.stats.token_requests == 0


def test_without_trusting_the_ca_the_connection_is_refused(
    sim: Simulator, offline: OfflineGuard
) -> None:
    with pytest.raises((ClientAuthenticationError, ServiceRequestError), match="CERTIFICATE"):
        read(sim, credential(sim, retry_total=0))
    assert sim.stats.requests == 0


@TLS
def test_default_azure_credential_from_the_environment_alone(
    batchkeys_simulator: Simulator, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    sim = batchkeys_simulator
    for name, value in sim.azure_environment(client_secret="any").items():
        monkeypatch.setenv(name, value)
    assert read(sim, DefaultAzureCredential()) == served_keys(sim)
    paths = [r.path for r in sim.request_log]
    assert paths[0] == "/common/discovery/instance"  # answered here, not by Entra
    assert paths[1] == f"/{placeholders.TENANT_ID}/v2.0/.well-known/openid-configuration"
    assert offline.refused == []


def test_without_the_loopback_answer_msal_would_ask_entra(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    # The control for the test above: a bare Simulator(tls=True) and no fixture or plugin
    # help (no loopback authority registered), and MSAL's discovery goes to Entra.
    monkeypatch.setattr(loopback_discovery, "_authorities", [])
    for name, value in sim.azure_environment(
        tenant=TENANT, client_id=CLIENT_ID, client_secret=SECRET
    ).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ClientAuthenticationError):
        read(sim, DefaultAzureCredential(retry_total=0))
    assert "login.microsoftonline.com" in offline.refused
    assert sim.stats.requests == 0


@pytest.mark.parametrize(
    "param",
    [{"tls": True, "colour": "blue"}, "tls", True],
    ids=["unknown-key", "string", "bool"],
)
def test_a_wrong_fixture_parameter_fails_with_the_form_to_use(
    pytester: pytest.Pytester, param: object
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.parametrize("batchkeys_simulator", [{param!r}], indirect=True)
        def test_it(batchkeys_simulator):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*batchkeys_simulator*indirect=True*"])
    assert "Traceback" not in result.stdout.str()


def test_the_fixture_registers_its_authority_while_it_runs_and_removes_it() -> None:
    from pytest_batchkeys.simulator.testing import fixture_simulator, serving

    with serving(fixture_simulator({"tls": True})) as running:
        assert running.url.startswith("https://")
        assert running.url in loopback_discovery._authorities
    assert running.url not in loopback_discovery._authorities


def test_regenerate_key_with_a_real_credential_over_https(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    from azure.mgmt.batch import BatchManagementClient
    from azure.mgmt.batch.models import BatchAccountRegenerateKeyParameters

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))
    ops = BatchManagementClient(credential(sim), placeholders.SUBSCRIPTION_ID, base_url=sim.url)
    group, name = placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME
    before = ops.batch_account.get_keys(group, name)
    rotated = ops.batch_account.regenerate_key(
        group, name, BatchAccountRegenerateKeyParameters(key_name="Primary")
    )
    assert rotated.primary != before.primary
    assert rotated.secondary == before.secondary
    assert (rotated.primary, rotated.secondary) == served_keys(sim)
    assert offline.refused == []
