"""regenerateKeys in the simulator: rotation, validation, the listKeys rules, threads, the SDK."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator, SimulatorConfig, Throttle

TIMEOUT = 5


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def regenerate(sim: Simulator, body: Any = None, *, raw: bytes | None = None, **kw: Any) -> Any:
    token = kw.pop("token", None) or sim.issue_token()
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return requests.post(
        sim.regenerate_url(**kw),
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )


def list_keys(sim: Simulator, **kw: Any) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {sim.issue_token()}"}
    answer = requests.post(sim.listkeys_url(**kw), headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def well_formed(key: str) -> bool:
    return len(base64.b64decode(key, validate=True)) == 64


@pytest.mark.parametrize(
    ("name", "changed", "kept"),
    [("Primary", "primary", "secondary"), ("Secondary", "secondary", "primary")],
)
def test_regenerating_one_key_changes_only_that_key_and_later_listkeys_agree(
    sim: Simulator, name: str, changed: str, kept: str
) -> None:
    before = list_keys(sim)
    answer = regenerate(sim, {"keyName": name})
    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert list(after) == ["accountName", "primary", "secondary"]
    assert after["accountName"] == placeholders.ACCOUNT_NAME
    assert after[changed] != before[changed]
    assert after[kept] == before[kept]
    assert well_formed(after[changed])
    assert list_keys(sim) == after
    again = regenerate(sim, {"keyName": name}).json()
    assert again[changed] not in (after[changed], before[changed])
    assert again[kept] == before[kept]


def test_state_is_per_account(sim: Simulator) -> None:
    sim.add_account("otheracct")
    other = list_keys(sim, account="otheracct")
    assert regenerate(sim, {"keyName": "Primary"}).status_code == 200
    assert list_keys(sim, account="otheracct") == other


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "InvalidRequestBody"),
        (b"[]", "InvalidRequestBody"),
        (b'"Primary"', "InvalidRequestBody"),
        (b"{}", "MissingRequiredProperty"),
        (b'{"keyName": null}', "MissingRequiredProperty"),
        (b'{"keyName": "primary"}', "InvalidPropertyValue"),
        (b'{"keyName": "PRIMARY"}', "InvalidPropertyValue"),
        (b'{"keyName": "Tertiary"}', "InvalidPropertyValue"),
        (b'{"keyName": 1}', "InvalidPropertyValue"),
        (b'{"keyName": ["Primary"]}', "InvalidPropertyValue"),
        (b"{not json", "InvalidRequestContent"),
    ],
)
def test_bad_bodies_get_a_400_and_change_nothing(sim: Simulator, raw: bytes, code: str) -> None:
    before = list_keys(sim)
    answer = regenerate(sim, raw=raw)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert list_keys(sim) == before


def test_missing_key_name_names_the_property_like_the_batch_provider(sim: Simulator) -> None:
    error = regenerate(sim, {}).json()["error"]
    assert error["target"] == "BatchAccount"
    assert error["details"] == [{"code": "PropertyName", "message": "keyName"}]
    assert "\nRequestId:" in error["message"]


def test_own_rbac_action_is_required(sim: Simulator) -> None:
    sim.set_permissions(placeholders.CLIENT_ID, ["Microsoft.Batch/batchAccounts/listKeys/action"])
    answer = regenerate(sim, {"keyName": "Primary"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "AuthorizationFailed"
    assert "regenerateKeys/action" in answer.json()["error"]["message"]
    sim.set_permissions(
        placeholders.CLIENT_ID, ["Microsoft.Batch/batchAccounts/regenerateKeys/action"]
    )
    assert regenerate(sim, {"keyName": "Primary"}).status_code == 200


@pytest.mark.parametrize(
    "account",
    [
        {"allowed_authentication_modes": ["AAD"]},
        {"pool_allocation_mode": "UserSubscription"},
    ],
)
def test_shared_key_and_user_subscription_rules_apply(
    sim: Simulator, account: dict[str, Any]
) -> None:
    sim.add_account("nokeys", **account)
    answer = regenerate(sim, {"keyName": "Primary"}, account="nokeys")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "OperationNotAllowed"


def test_checks_before_the_body_answer_first(sim: Simulator) -> None:
    assert regenerate(sim, {"keyName": "Primary"}, account="missing1").status_code == 404
    assert regenerate(sim, {"keyName": "x"}, api_version="1999-01-01").status_code == 400
    answer = requests.post(sim.regenerate_url(), json={"keyName": "Primary"}, timeout=TIMEOUT)
    assert answer.status_code == 401
    assert requests.get(sim.regenerate_url(), timeout=TIMEOUT).status_code == 405


def test_throttling_and_faults_apply(sim: Simulator) -> None:
    sim.add_fault(kind="error", first=1, status=503)
    assert regenerate(sim, {"keyName": "Primary"}).status_code == 503
    assert regenerate(sim, {"keyName": "Primary"}).status_code == 200
    assert sim.stats.regenerate_requests == 2
    assert sim.stats.regenerate_succeeded == 1
    with Simulator(SimulatorConfig(throttle=Throttle(1, 0.001))) as throttled:
        assert regenerate(throttled, {"keyName": "Primary"}).status_code == 200
        answer = regenerate(throttled, {"keyName": "Primary"})
        assert answer.status_code == 429
        assert answer.headers["Retry-After"]


def test_concurrent_rotations_never_lose_or_repeat_a_key(sim: Simulator) -> None:
    token = sim.issue_token()
    first = list_keys(sim)

    def rotate(_: int) -> str:
        answer = regenerate(sim, {"keyName": "Primary"}, token=token)
        assert answer.status_code == 200
        assert answer.json()["secondary"] == first["secondary"]
        return str(answer.json()["primary"])

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(rotate, range(24)))
    assert len(set(seen)) == 24
    assert first["primary"] not in seen
    assert list_keys(sim)["primary"] in seen


def test_seeded_simulators_rotate_to_the_same_keys() -> None:
    def run() -> list[dict[str, str]]:
        with Simulator(SimulatorConfig(seed=7)) as sim:
            return [regenerate(sim, {"keyName": n}).json() for n in ("Primary", "Secondary")]

    assert run() == run()


def test_official_sdk_regenerate_key(sim: Simulator) -> None:
    from azure.mgmt.batch import BatchManagementClient
    from azure.mgmt.batch.models import BatchAccountRegenerateKeyParameters

    from tests.simulator.test_simulator_sdk import SimulatorCredential

    client = BatchManagementClient(
        SimulatorCredential(sim),
        placeholders.SUBSCRIPTION_ID,
        base_url=sim.url,
        credential_scopes=["https://management.azure.com/.default"],
    )
    ops = client.batch_account
    group, name = placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME
    before = ops.get_keys(group, name, enforce_https=False)
    rotated = ops.regenerate_key(
        group, name, BatchAccountRegenerateKeyParameters(key_name="Primary"), enforce_https=False
    )
    after = ops.get_keys(group, name, enforce_https=False)
    assert rotated.primary != before.primary
    assert rotated.secondary == before.secondary
    assert (after.primary, after.secondary) == (rotated.primary, rotated.secondary)
