"""A rotation test written like Azure's SDK tests: record against the simulator, verify, replay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.real_target import TARGET_VARS, RealTarget

from pytest_batchkeys.cli.verify import run_verify
from pytest_batchkeys.secrets.fakes import fake_key
from pytest_batchkeys.simulator import Simulator

WORLD = RealTarget(
    "5d0c9a1e-7b3f-4e2a-9c8d-1f2e3a4b5c6d",
    "8a7b6c5d-4e3f-4a1b-9c2d-3e4f5a6b7c8d",
    "fade0000-5678-4abc-8def-0123456789ab",
    "rot~Client.Secret_value-987654",
    "Rotation-RG",
    "rotacct01",
)

TESTS = """
import base64
import pytest
from azure.mgmt.batch import BatchManagementClient
from azure.mgmt.batch.models import BatchAccountRegenerateKeyParameters


@pytest.mark.batchkeys
def test_regenerate_primary(batchkeys_credential, batchkeys_settings, batchkeys_target):
    http = {"enforce_https": False} if batchkeys_settings.arm_url.startswith("http:") else {}
    client = BatchManagementClient(
        batchkeys_credential, batchkeys_target.subscription_id, base_url=batchkeys_settings.arm_url
    )
    group, name = batchkeys_target.resource_group, batchkeys_target.account_name
    keys = client.batch_account.get_keys(group, name, **http)
    new = client.batch_account.regenerate_key(
        group, name, BatchAccountRegenerateKeyParameters(key_name="Primary"), **http
    )
    assert new.primary != keys.primary
    assert new.secondary == keys.secondary
    again = client.batch_account.get_keys(group, name, **http)
    assert (again.primary, again.secondary) == (new.primary, new.secondary)
    assert len(base64.b64decode(again.primary)) == 64


@pytest.mark.batchkeys
def test_regenerate_both(batchkeys_client):
    first = batchkeys_client.list_keys().json()
    second = batchkeys_client.regenerate_key("Secondary").json()
    third = batchkeys_client.regenerate_key("Primary").json()
    assert second["primary"] == first["primary"] != third["primary"]
    assert second["secondary"] != first["secondary"]
    assert third["secondary"] == second["secondary"]
    assert batchkeys_client.list_keys().json() == third
"""


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with WORLD.simulator() as sim:
        yield sim


def _bodies(directory: Path) -> list[str]:
    """Every recorded response body string (keys and account only: ids and dates vary)."""
    texts = sorted(p.read_text() for p in directory.rglob("*.yaml"))
    return [m for text in texts for m in re.findall(r"string: '(\{.*?\})'", text)]


def test_rotation_records_scrubbed_verifies_clean_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, simulator: Simulator
) -> None:
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_rotation=TESTS)
    for name, value in WORLD.env(simulator.url).items():
        monkeypatch.setenv(name, value)

    pytester.runpytest("--batch-record=all", "-p", "no:randomly").assert_outcomes(passed=2)
    assert simulator.stats.regenerate_succeeded == 3
    cassettes = pytester.path / "cassettes"
    first = _bodies(cassettes)
    account = simulator.config.subscriptions[0].resource_groups[0].accounts[0]
    text = "\n".join(p.read_text() for p in cassettes.rglob("*.yaml"))
    for real in (account.primary, account.secondary, WORLD.client_secret, WORLD.subscription):
        assert real is not None
        assert real not in text
    for n in (1, 2, 3):
        assert fake_key(n) in text
    report = run_verify([str(cassettes)])
    assert report.exit_code() == 0, [i.message for i in report.issues]

    # re-recording the same sequence (new real keys) gives the same fakes
    pytester.runpytest("--batch-record=all", "-p", "no:randomly").assert_outcomes(passed=2)
    assert _bodies(cassettes) == first

    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    simulator.stop()
    replayed = pytester.runpytest("-p", "no:randomly")
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["cassettes: 2 replayed, 0 recorded, 0 missing"])
