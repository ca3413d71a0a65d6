"""Identifiers are replaced only where they stand whole; ARM error GUIDs and userinfo never kept.

Records against a simulator world whose resource group is `batch` and account is `api` (names
that are substrings of `Microsoft.Batch`, `batchAccounts` and `api-version`), replays offline,
and checks the recorded URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.real_target import TARGET_VARS, RealTarget

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.identifiers import replace_error_guids, replace_identifiers
from pytest_batchkeys.simulator import (
    Account,
    Principal,
    ResourceGroup,
    Simulator,
    SimulatorConfig,
    StaticToken,
    Subscription,
)

SUBSCRIPTION = "5a7b9c1d-3e5f-4a6b-8c7d-9e0f1a2b3c4d"
TENANT = "6b8c0d2e-4f6a-4b7c-9d8e-0f1a2b3c4d5e"
CLIENT_ID = "7c9d1e3f-5a7b-4c8d-8e9f-1a2b3c4d5e6f"
WORLD = RealTarget(SUBSCRIPTION, TENANT, CLIENT_ID, "wid~Secret.value-42424242", "batch", "api")
PAIRS = (
    (SUBSCRIPTION, placeholders.SUBSCRIPTION_ID),
    ("batch", placeholders.RESOURCE_GROUP),
    ("api", placeholders.ACCOUNT_NAME),
)

TESTS = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    response = batchkeys_client.list_keys()
    assert response.status_code == 200, response.text
    assert response.json()["primary"]
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in TARGET_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with WORLD.simulator() as sim:
        yield sim


def test_batch_and_api_record_and_replay(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, simulator: Simulator
) -> None:
    pytester.makepyfile(test_ids=TESTS)
    for name, value in WORLD.env(simulator.url).items():
        clean_env.setenv(name, value)
    recorded = pytester.runpytest_subprocess("--batch-record", "-p", "no:randomly")
    recorded.assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_ids" / "test_keys.yaml").read_text()
    expected = (
        f"/subscriptions/{placeholders.SUBSCRIPTION_ID}/resourceGroups/{placeholders.RESOURCE_GROUP}"
        f"/providers/Microsoft.Batch/batchAccounts/{placeholders.ACCOUNT_NAME}/listKeys?api-version="
    )
    assert expected in text
    assert "batchkeys-rgAccounts" not in text
    assert "Microsoft.batchkeys" not in text
    assert "batchkeysacct-version" not in text

    for name in TARGET_VARS:
        clean_env.delenv(name, raising=False)
    simulator.stop()
    replayed = pytester.runpytest_subprocess("-p", "no:randomly")
    replayed.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/resourceGroups/batch/providers/Microsoft.Batch/batchAccounts/api/listKeys"
            "?api-version=2024-07-01",
            "/resourceGroups/batchkeys-rg/providers/Microsoft.Batch/batchAccounts/batchkeysacct"
            "/listKeys?api-version=2024-07-01",
        ),
        (
            '{"name": "api", "type": "Microsoft.Batch/batchAccounts"}',
            '{"name": "batchkeysacct", "type": "Microsoft.Batch/batchAccounts"}',
        ),
        ("resource group 'batch' was not found", "resource group 'batchkeys-rg' was not found"),
        ("?account=api&group=batch", "?account=batchkeysacct&group=batchkeys-rg"),
        ("%2FresourceGroups%2Fbatch%2Fproviders", "%2FresourceGroups%2Fbatchkeys-rg%2Fproviders"),
        ("a batch job calls the api", "a batch job calls the api"),
        ('"https://api.eastus.batch.azure.com"', '"https://batchkeysacct.eastus.batch.azure.com"'),
        ("Microsoft.Batch/batch.json", "Microsoft.Batch/batchkeys-rg.json"),
        ("api", "batchkeysacct"),
        (
            f"scope '/subscriptions/{SUBSCRIPTION.upper()}'",
            f"scope '/subscriptions/{placeholders.SUBSCRIPTION_ID}'",
        ),
        (f"x{SUBSCRIPTION}", f"x{SUBSCRIPTION}"),
    ],
)
def test_identifiers_are_replaced_only_whole(text: str, expected: str) -> None:
    assert replace_identifiers(text, PAIRS) == expected


def test_guids_in_arm_error_messages_become_the_documented_placeholder() -> None:
    body = {
        "error": {
            "code": "AuthorizationFailed",
            "message": "The client '11111111-2222-4333-8444-555555555555' with object id "
            f"'99999999-8888-4777-8666-555555555555' over scope '/subscriptions/"
            f"{placeholders.SUBSCRIPTION_ID}'",
        },
        "id": "99999999-8888-4777-8666-555555555555",
    }
    out = replace_error_guids(body)
    assert "99999999" not in out["error"]["message"]
    assert "11111111" not in out["error"]["message"]
    assert out["error"]["message"].count(placeholders.OTHER_ID) == 2
    assert placeholders.SUBSCRIPTION_ID in out["error"]["message"]
    assert out["id"] == body["id"]  # outside an error object nothing changes
    assert replace_error_guids(out) == out


def test_a_403_recorded_with_an_access_token_keeps_no_object_id(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
) -> None:
    object_id = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
    principal = "4a3b2c1d-0e9f-4876-9543-21fedcba0987"
    token = "static-token-for-a-principal-without-rights-0123456789"
    group = ResourceGroup("Prod-RG", accounts=[Account("prodacct")])
    config = SimulatorConfig(
        subscriptions=[Subscription(SUBSCRIPTION, tenant=TENANT, resource_groups=[group])],
        principals=[Principal(principal, actions=[], object_id=object_id)],
        static_tokens=[StaticToken(token, principal=principal, tenant=TENANT)],
    )
    pytester.makepyfile(
        test_denied="""
import pytest

@pytest.mark.batchkeys
def test_denied(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 403
"""
    )
    with Simulator(config) as sim:
        clean_env.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
        clean_env.setenv("BATCHKEYS_RESOURCE_GROUP", "Prod-RG")
        clean_env.setenv("BATCHKEYS_ACCOUNT_NAME", "prodacct")
        clean_env.setenv("BATCHKEYS_ENDPOINT", sim.url)
        clean_env.setenv("BATCHKEYS_ACCESS_TOKEN", token)
        result = pytester.runpytest_subprocess("--batch-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_denied" / "test_denied.yaml").read_text()
    assert "AuthorizationFailed" in text
    assert object_id not in text
    assert principal not in text
    assert placeholders.OTHER_ID in text


def test_userinfo_of_the_endpoint_is_never_printed(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, simulator: Simulator
) -> None:
    pytester.makepyfile(
        test_fail="""
def test_fail(batchkeys_settings):
    assert False, batchkeys_settings.arm_url
"""
    )
    for name, value in WORLD.env(simulator.url).items():
        clean_env.setenv(name, value)
    url = simulator.url.replace("http://", "http://someone:hunter2secret@")
    clean_env.setenv("BATCHKEYS_ENDPOINT", url)
    result = pytester.runpytest_subprocess("--batch-live", "-rA", "-p", "no:randomly")
    output = result.stdout.str() + result.stderr.str()
    assert "endpoint: http://127.0.0.1" in output
    assert "hunter2secret" not in output
    assert "someone:" not in output
