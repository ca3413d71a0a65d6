"""The shipped BatchAccount_GetKeys contract suite. Run it with `pytest --batch-contract`.

Replay (default) uses the cassettes under `<cassette dir>/contract/`; `--batch-live` runs it
against the configured endpoint; `--batch-record` records it (scrubbed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_batchkeys.contract.expect import expect_status as _status
from pytest_batchkeys.live.client import OMIT, BatchKeysClient

Check = Callable[..., Any]
UNKNOWN_ACCOUNT = "batchkeysnosuchacct"
UNKNOWN_GROUP = "batchkeys-no-such-rg"
UNSUPPORTED_API_VERSION = "2000-01-01"


def _skip_if_scope_too_narrow(response: Any, missing: str, scope: str) -> None:
    """A least-privilege principal gets 403 AuthorizationFailed where a wider one sees the 404:
    ARM checks authorization on the requested scope before it looks for what is missing."""
    if response.status_code != 403:
        return
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return
    if code == "AuthorizationFailed":
        pytest.skip(
            f"the principal may not call listKeys on the {missing}'s scope, so ARM answers 403 "
            f"AuthorizationFailed before it looks for the {missing}; to see the 404, grant "
            f"listKeys on the {scope} (batchkeys explain least-privilege)"
        )


@pytest.mark.batchkeys
def test_keys_are_returned_and_well_formed(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check
) -> None:
    response = batchkeys_client.list_keys()
    batchkeys_check(response)
    _status(response, 200, "listKeys on the target account")


@pytest.mark.batchkeys
def test_unknown_account_is_404(batchkeys_client: BatchKeysClient, batchkeys_check: Check) -> None:
    response = batchkeys_client.list_keys(account_name=UNKNOWN_ACCOUNT)
    batchkeys_check(response, negative=True)
    _skip_if_scope_too_narrow(response, "account", "resource group (or the subscription)")
    _status(response, 404, "listKeys on an account that does not exist")


@pytest.mark.batchkeys
def test_unknown_resource_group_is_404(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check
) -> None:
    response = batchkeys_client.list_keys(resource_group=UNKNOWN_GROUP)
    batchkeys_check(response, negative=True)
    _skip_if_scope_too_narrow(response, "resource group", "subscription")
    _status(response, 404, "listKeys in a resource group that does not exist")


@pytest.mark.batchkeys
def test_missing_api_version_is_400(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check
) -> None:
    response = batchkeys_client.list_keys(api_version=OMIT)
    batchkeys_check(response, negative=True)
    _status(response, 400, "listKeys without api-version")


@pytest.mark.batchkeys
def test_unsupported_api_version_is_400(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check
) -> None:
    response = batchkeys_client.list_keys(api_version=UNSUPPORTED_API_VERSION)
    batchkeys_check(response, negative=True)
    _status(response, 400, f"listKeys with api-version {UNSUPPORTED_API_VERSION}")


@pytest.mark.batchkeys
def test_no_token_is_401(batchkeys_client: BatchKeysClient, batchkeys_check: Check) -> None:
    response = batchkeys_client.list_keys(token=OMIT)
    batchkeys_check(response, negative=True)
    _status(response, 401, "listKeys without an Authorization header")


@pytest.mark.batchkeys
def test_invalid_token_is_401(batchkeys_client: BatchKeysClient, batchkeys_check: Check) -> None:
    response = batchkeys_client.list_keys(token="not-a-valid-token")
    batchkeys_check(response, negative=True)
    _status(response, 401, "listKeys with an invalid bearer token")


@pytest.mark.batchkeys
@pytest.mark.parametrize(
    "account_name",
    ["ab", "a" * 25, "bad-name", "bad_name", "bad.name", "name%21"],
    ids=["too-short", "too-long", "hyphen", "underscore", "dot", "bang"],
)
def test_invalid_account_name_is_4xx_never_5xx(
    batchkeys_client: BatchKeysClient, batchkeys_check: Check, account_name: str
) -> None:
    response = batchkeys_client.list_keys(account_name=account_name)
    batchkeys_check(response, negative=True)
    _status(response, range(400, 500), f"listKeys with invalid account name {account_name!r}")


def test_generated_cases(batchkeys_generated_cases: Any) -> None:
    """Cases generated from the spec (positive and negative): never 5xx, always documented."""
    batchkeys_generated_cases.run()
