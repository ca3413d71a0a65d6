"""A recording made against the simulator keeps no real tenant or object id.

The simulator's x-ms-operation-identifier names the caller's tenant and object id, as Azure's
does (facts §8). Recording with only a bearer token leaves the harness no tenant or client id to
replace, so the scrubber must take both from the header itself.
"""

from __future__ import annotations

import pytest

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import (
    Account,
    Principal,
    ResourceGroup,
    Simulator,
    SimulatorConfig,
    StaticToken,
    Subscription,
)

SUBSCRIPTION = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
TENANT = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
OBJECT = "9d8c7b6a-5f4e-4d3c-b2a1-0f9e8d7c6b5a"
TOKEN = "static-token-of-the-recording-test"
GROUP = "Ops-Id-RG"
ACCOUNT = "opsidacct"

TESTS = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200

@pytest.mark.batchkeys
def test_unknown(batchkeys_client):
    assert batchkeys_client.list_keys(account_name="ghostacct").status_code == 404
"""


def world() -> Simulator:
    group = ResourceGroup(GROUP, accounts=[Account(ACCOUNT)])
    return Simulator(
        SimulatorConfig(
            subscriptions=[Subscription(SUBSCRIPTION, tenant=TENANT, resource_groups=[group])],
            principals=[Principal("recorder", ["*"], object_id=OBJECT)],
            default_actions=[],
            static_tokens=[StaticToken(TOKEN, principal="recorder", tenant=TENANT)],
        )
    )


def test_recording_replaces_the_tenant_and_object_id_of_the_operation_identifier(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "BATCHKEYS_MODE"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_ids=TESTS)
    with world() as sim:
        monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
        monkeypatch.setenv("BATCHKEYS_RESOURCE_GROUP", GROUP)
        monkeypatch.setenv("BATCHKEYS_ACCOUNT_NAME", ACCOUNT)
        monkeypatch.setenv("BATCHKEYS_ENDPOINT", sim.url)
        monkeypatch.setenv("BATCHKEYS_ACCESS_TOKEN", TOKEN)
        pytester.runpytest("--batch-record").assert_outcomes(passed=2)
    files = sorted((pytester.path / "cassettes" / "test_ids").glob("*.yaml"))
    assert [f.name for f in files] == ["test_keys.yaml", "test_unknown.yaml"]
    for path in files:
        text = path.read_text()
        assert TENANT not in text.lower()
        assert OBJECT not in text.lower()
        expected = f"tenantId={placeholders.TENANT_ID},objectId={placeholders.OBJECT_ID}/eastus/"
        assert expected in text, path.name
