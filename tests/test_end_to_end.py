"""Record against the simulator with client credentials, then replay offline with nothing set."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from helpers.real_target import TARGET_VARS, RealTarget

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator

SUBSCRIPTION = "9b2f5c1e-0a4d-4c7e-8f3b-6d1e2a9c4b70"
TENANT = "4e1c2b7a-5d3f-4a8e-9c6b-0f2d1e3a5b7c"
CLIENT_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
CLIENT_SECRET = "e2e~Client.Secret_value-5551234"
GROUP = "Prod-Keys-RG"
ACCOUNT = "prodacct01"
WORLD = RealTarget(SUBSCRIPTION, TENANT, CLIENT_ID, CLIENT_SECRET, GROUP, ACCOUNT)

TESTS = """
import base64
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client, batchkeys_target):
    response = batchkeys_client.list_keys()
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(base64.b64decode(body["primary"])) == 64
    assert body["primary"] != body["secondary"]
    assert body["accountName"].lower() == batchkeys_target.account_name.lower()

@pytest.mark.batchkeys
def test_unknown_account(batchkeys_client):
    response = batchkeys_client.list_keys(account_name="nosuchacct")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "AccountNotFound"

@pytest.mark.batchkeys
def test_azure_sdk(batchkeys_credential, batchkeys_settings, batchkeys_target):
    from azure.mgmt.batch import BatchManagementClient

    client = BatchManagementClient(
        batchkeys_credential, batchkeys_target.subscription_id, base_url=batchkeys_settings.arm_url
    )
    keys = client.batch_account.get_keys(
        batchkeys_target.resource_group, batchkeys_target.account_name, enforce_https=False
    )
    assert keys.account_name.lower() == batchkeys_target.account_name.lower()
    assert len(base64.b64decode(keys.primary)) == 64
"""


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with WORLD.simulator() as sim:
        yield sim


def _live_env(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name, value in WORLD.env(sim.url).items():
        monkeypatch.setenv(name, value)


def _secrets(sim: Simulator) -> list[str]:
    account = sim.config.subscriptions[0].resource_groups[0].accounts[0]
    assert account.primary
    assert account.secondary
    return [account.primary, account.secondary, CLIENT_SECRET]


def test_record_with_client_credentials_then_replay_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, simulator: Simulator
):
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_keys=TESTS)
    _live_env(monkeypatch, simulator)

    recorded = pytester.runpytest("--batch-record")
    recorded.assert_outcomes(passed=3)
    recorded.stdout.fnmatch_lines(["cassettes: 0 replayed, 3 recorded, 0 missing"])
    assert simulator.stats.tokens_issued == {CLIENT_ID: 1}  # one token for the session

    files = sorted((pytester.path / "cassettes" / "test_keys").glob("*.yaml"))
    assert [f.name for f in files] == [
        "test_azure_sdk.yaml",
        "test_keys.yaml",
        "test_unknown_account.yaml",
    ]
    text = "\n".join(f.read_text() for f in files)
    for secret in _secrets(simulator):
        assert secret not in text
    for real in (SUBSCRIPTION, TENANT, CLIENT_ID, GROUP, ACCOUNT, "oauth2"):
        assert real.lower() not in text.lower(), real
    assert placeholders.FAKE_PRIMARY_KEY in text
    assert placeholders.FAKE_SECONDARY_KEY in text
    assert placeholders.REDACTED_AUTHORIZATION in text
    assert "eyJ" not in text  # no token of any shape

    # replay: no Azure variables, simulator stopped, network blocked
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    simulator.stop()
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(["cassettes: 3 replayed, 0 recorded, 0 missing"])
    assert "outbound connection(s) blocked" not in replayed.stdout.str()


def test_record_new_keeps_existing_cassettes_and_all_rerecords(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, simulator: Simulator
):
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_keys=TESTS)
    _live_env(monkeypatch, simulator)
    pytester.runpytest(
        "--batch-record", "-k", "test_keys and not sdk and not unknown"
    ).assert_outcomes(passed=1, deselected=2)
    cassette = pytester.path / "cassettes" / "test_keys" / "test_keys.yaml"
    first = cassette.stat().st_mtime_ns

    again = pytester.runpytest("--batch-record")
    again.assert_outcomes(passed=3)
    again.stdout.fnmatch_lines(["cassettes: 1 replayed, 2 recorded, 0 missing"])
    assert cassette.stat().st_mtime_ns == first

    everything = pytester.runpytest("--batch-record=all")
    everything.assert_outcomes(passed=3)
    everything.stdout.fnmatch_lines(["cassettes: 0 replayed, 3 recorded, 0 missing"])
    assert cassette.stat().st_mtime_ns != first
    # the same fakes on every recording
    assert placeholders.FAKE_PRIMARY_KEY in cassette.read_text()


def test_live_mode_writes_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, simulator: Simulator
):
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_keys=TESTS)
    _live_env(monkeypatch, simulator)
    result = pytester.runpytest("--batch-live")
    result.assert_outcomes(passed=3)
    assert not (pytester.path / "cassettes").exists()
    result.stdout.fnmatch_lines([f"mode: live; endpoint: {simulator.url};*"])
    assert simulator.stats.listkeys_requests >= 3


def test_live_token_over_plain_http_off_loopback_is_refused(pytester: pytest.Pytester, monkeypatch):
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATCHKEYS_ACCESS_TOKEN", "not-a-real-token-value")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    monkeypatch.setenv("BATCHKEYS_RESOURCE_GROUP", GROUP)
    monkeypatch.setenv("BATCHKEYS_ACCOUNT_NAME", ACCOUNT)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--batch-live", "--batch-endpoint=http://arm.example.com")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: http://arm.example.com is plain http to a host that is not loopback*"]
    )
    assert "not-a-real-token-value" not in result.stdout.str() + result.stderr.str()


def test_keys_are_base64_of_64_bytes_in_fakes():
    for key in (placeholders.FAKE_PRIMARY_KEY, placeholders.FAKE_SECONDARY_KEY):
        assert len(base64.b64decode(key, validate=True)) == 64
    assert placeholders.FAKE_PRIMARY_KEY != placeholders.FAKE_SECONDARY_KEY
