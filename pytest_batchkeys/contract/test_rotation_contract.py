"""The shipped BatchAccount_RegenerateKey contract tests: opt-in, because they rotate keys.

Collected by `pytest --batch-contract --batch-rotation`. In live and record mode every test here
REGENERATES the target account's keys: run them only against an account whose keys nothing
else uses. Replay (default) uses the cassettes under `<cassette dir>/contract/`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import pytest

from pytest_batchkeys.contract.expect import expect_status
from pytest_batchkeys.contract.rotation_bodies import invalid_bodies, valid_bodies
from pytest_batchkeys.live.client import OMIT, BatchKeysClient
from pytest_batchkeys.spec.regenerate import regenerate_body_schema, regenerate_operation

Check = Callable[..., Any]
SCHEMA = regenerate_body_schema()
INVALID_KEY_NAMES = ["Tertiary", "", 1, None]


@pytest.fixture(autouse=True)
def _rotation_allowed(request: pytest.FixtureRequest, batchkeys_settings: Any) -> None:
    """Live and record, these tests rotate keys: they run only with --batch-rotation."""
    if batchkeys_settings.is_live and not batchkeys_settings.rotation:
        pytest.skip(
            "key-rotation tests regenerate the target account's keys; pass --batch-rotation "
            "(ini batchkeys_rotation, env BATCHKEYS_ROTATION) to run them live"
        )


@pytest.fixture
def check_regenerate(
    batchkeys_settings: Any, batchkeys_target: Any, batchkeys_check: Check
) -> Check:
    """Every contract check on a regenerateKeys answer, against BatchAccount_RegenerateKey."""
    operation = regenerate_operation(batchkeys_settings.arm_url)

    def check(response: Any, *, negative: bool = False) -> Any:
        __tracebackhide__ = True
        return batchkeys_check(
            response,
            negative=negative,
            operation=operation,
            expected_account=batchkeys_target.account_name,
        )

    return check


def _keys(response: Any, what: str) -> dict[str, str]:
    """The keys of a 200 answer, each checked to be base64 of 64 bytes."""
    __tracebackhide__ = True
    expect_status(response, 200, what)
    body = response.json()
    for name in ("primary", "secondary"):
        try:
            size = len(base64.b64decode(body[name], validate=True))
        except (KeyError, TypeError, binascii.Error):
            size = -1
        if size != 64:
            pytest.fail(f"{what}: '{name}' is not base64 of 64 bytes", pytrace=False)
    return {"primary": body["primary"], "secondary": body["secondary"]}


def _rotate(client: BatchKeysClient, check: Check, check_regenerate: Check, key_name: str) -> None:
    __tracebackhide__ = True
    changed, kept = key_name.lower(), "secondary" if key_name == "Primary" else "primary"
    before = client.list_keys()
    check(before)
    old = _keys(before, "listKeys before the rotation")
    rotated = client.regenerate_key(key_name)
    check_regenerate(rotated)
    new = _keys(rotated, f"regenerateKeys {key_name}")
    if new[changed] == old[changed]:
        pytest.fail(f"regenerateKeys {key_name}: the {changed} key did not change", pytrace=False)
    if new[kept] != old[kept]:
        pytest.fail(f"regenerateKeys {key_name}: the {kept} key changed too", pytrace=False)
    if new["primary"] == new["secondary"]:
        pytest.fail(f"regenerateKeys {key_name}: primary equals secondary", pytrace=False)
    after = client.list_keys()
    check(after)
    if _keys(after, "listKeys after the rotation") != new:
        pytest.fail(
            f"listKeys after regenerateKeys {key_name} does not return the new pair",
            pytrace=False,
        )


@pytest.mark.batchkeys
def test_rotating_primary_changes_only_primary(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check, check_regenerate: Check
) -> None:
    _rotate(batchkeys_client, batchkeys_check, check_regenerate, "Primary")


@pytest.mark.batchkeys
def test_rotating_secondary_changes_only_secondary(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check, check_regenerate: Check
) -> None:
    _rotate(batchkeys_client, batchkeys_check, check_regenerate, "Secondary")


@pytest.mark.batchkeys
@pytest.mark.parametrize("key_name", INVALID_KEY_NAMES, ids=["tertiary", "empty", "number", "null"])
def test_invalid_key_name_is_400_and_changes_nothing(
    batchkeys_client: BatchKeysClient, check_regenerate: Check, key_name: Any
) -> None:
    before = _keys(batchkeys_client.list_keys(), "listKeys before")
    response = batchkeys_client.regenerate_key(body={"keyName": key_name})
    check_regenerate(response, negative=True)
    expect_status(response, 400, f"regenerateKeys with keyName {key_name!r}")
    if _keys(batchkeys_client.list_keys(), "listKeys after") != before:
        pytest.fail(f"regenerateKeys with keyName {key_name!r} changed a key", pytrace=False)


@pytest.mark.batchkeys
def test_generated_bodies_never_5xx(
    batchkeys_client: BatchKeysClient, check_regenerate: Check
) -> None:
    """Every body derived from the spec's schema: valid ones rotate, none gets a 5xx."""
    for body in valid_bodies(SCHEMA) + invalid_bodies(SCHEMA):
        response = batchkeys_client.regenerate_key(body=body.data or OMIT)
        what = f"regenerateKeys with body {body.id}"
        if response.status_code >= 500:
            expect_status(response, range(200, 500), what)
        check_regenerate(response, negative=not body.valid)
        if body.valid:
            _keys(response, what)
        else:
            expect_status(response, range(400, 500), what)
