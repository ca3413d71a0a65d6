"""The simulator's ARM listKeys route over real sockets: answers, validation order, headers."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator

import pytest
import requests

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import (
    ErrorChoice,
    Principal,
    Simulator,
    SimulatorConfig,
    StaticToken,
    Subscription,
    Throttle,
)

TIMEOUT = 5


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def post(url: str, token: str | None, **headers: str) -> requests.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(url, headers=headers, timeout=TIMEOUT)


def error_code(response: requests.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])


def test_default_account_answers_keys_of_the_real_shape(sim: Simulator) -> None:
    response = post(sim.listkeys_url(), sim.issue_token())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accountName", "primary", "secondary"}
    assert body["accountName"] == placeholders.ACCOUNT_NAME
    assert body["primary"] != body["secondary"]
    for key in (body["primary"], body["secondary"]):
        assert len(base64.b64decode(key, validate=True)) == 64


def test_keys_are_stable_for_the_simulator_lifetime_and_match_case_insensitively(
    sim: Simulator,
) -> None:
    token = sim.issue_token()
    first = post(sim.listkeys_url(), token).json()
    url = sim.listkeys_url("BatchKeysAcct", resource_group="BATCHKEYS-RG")
    second = post(url.replace("/providers/Microsoft.Batch/", "/providers/microsoft.batch/"), token)
    assert second.status_code == 200
    assert second.json() == first


def test_configured_keys_are_served_and_seeded_keys_repeat() -> None:
    config = SimulatorConfig(seed=7)
    with Simulator(config) as one, Simulator(SimulatorConfig(seed=7)) as two:
        a = post(one.listkeys_url(), one.issue_token()).json()
        b = post(two.listkeys_url(), two.issue_token()).json()
        one.add_account("fixedkeys", primary="UA==", secondary="Ug==")
        fixed = post(one.listkeys_url("fixedkeys"), one.issue_token()).json()
    assert a == b
    assert (fixed["primary"], fixed["secondary"]) == ("UA==", "Ug==")


def test_every_response_carries_the_arm_headers(sim: Simulator) -> None:
    correlation = str(uuid.uuid4())
    ok = post(sim.listkeys_url(), sim.issue_token(), **{"x-ms-client-request-id": "c-1"})
    failed = post(sim.url + "/nowhere", None, **{"x-ms-correlation-request-id": correlation})
    for response in (ok, failed):
        headers = response.headers
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["Cache-Control"] == "no-cache"
        assert headers["Pragma"] == "no-cache"
        assert headers["Expires"] == "-1"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert uuid.UUID(headers["x-ms-request-id"])
        assert int(headers["x-ms-ratelimit-remaining-subscription-writes"]) >= 0
        routing = headers["x-ms-routing-request-id"]
        assert re.fullmatch(
            r"[A-Z0-9]+:\d{8}T\d{6}Z:" + headers["x-ms-correlation-request-id"], routing
        )
    # facts §8: the client's id is never echoed, and the request id is not the correlation id.
    assert "x-ms-client-request-id" not in ok.headers
    assert uuid.UUID(ok.headers["x-ms-correlation-request-id"])
    assert ok.headers["x-ms-correlation-request-id"] != ok.headers["x-ms-request-id"]
    assert failed.headers["x-ms-correlation-request-id"] == correlation
    assert "x-ms-client-request-id" not in failed.headers


def test_ratelimit_header_counts_down_per_subscription() -> None:
    # ARM's bucket size, refilled slowly: at the default 10 writes/s a loaded machine that takes
    # 0.1 s between two requests gets a write back (798, 798).
    config = SimulatorConfig(throttle=Throttle(capacity=200, refill_per_second=0.01))
    with Simulator(config) as sim:
        token = sim.issue_token()
        values = [
            int(
                post(sim.listkeys_url(), token).headers[
                    "x-ms-ratelimit-remaining-subscription-writes"
                ]
            )
            for _ in range(3)
        ]
    assert values == [799, 798, 797]  # facts §8: the 2026 recording's first write says 799


def test_missing_authorization_gets_401_with_a_bearer_challenge(sim: Simulator) -> None:
    response = post(sim.listkeys_url(), None)
    assert response.status_code == 401
    assert error_code(response) == "AuthenticationFailed"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer authorization_uri="{sim.url}/')
    assert 'error="invalid_token"' in challenge
    assert "error_description=" in challenge


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Basic dXNlcjpwYXNz", "AuthenticationFailed"),
        ("Bearer", "AuthenticationFailed"),
        ("Bearer not-a-token-we-issued", "InvalidAuthenticationToken"),
    ],
)
def test_bad_tokens_get_401(sim: Simulator, authorization: str, code: str) -> None:
    response = requests.post(
        sim.listkeys_url(), headers={"Authorization": authorization}, timeout=TIMEOUT
    )
    assert response.status_code == 401
    assert error_code(response) == code
    assert "WWW-Authenticate" in response.headers


def test_expired_token_gets_401_expired(sim: Simulator) -> None:
    response = post(sim.listkeys_url(), sim.issue_token(expires_in=-1))
    assert response.status_code == 401
    assert error_code(response) == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in response.json()["error"]["message"]


def test_static_tokens_are_accepted() -> None:
    config = SimulatorConfig(static_tokens=[StaticToken("static-test-token")])
    with Simulator(config) as sim:
        assert post(sim.listkeys_url(), "static-test-token").status_code == 200


@pytest.mark.parametrize(
    ("api_version", "status", "code"),
    [
        (None, 400, "MissingApiVersionParameter"),
        ("", 400, "MissingApiVersionParameter"),
        ("1999-01-01", 400, "NoRegisteredProviderFound"),
        ("2025-06-01", 200, None),
        ("2024-02-01", 200, None),
        ("2015-12-01", 200, None),
    ],
)
def test_api_version_checks(
    sim: Simulator, api_version: str | None, status: int, code: str | None
) -> None:
    url = sim.listkeys_url(api_version=None)
    if api_version is not None:
        url += f"?api-version={api_version}"
    response = post(url, sim.issue_token())
    assert response.status_code == status
    if code is not None:
        assert error_code(response) == code


def test_unsupported_api_version_lists_the_supported_ones_and_its_code_is_configurable() -> None:
    choice = ErrorChoice(400, "NoRegisteredProviderFound")
    config = SimulatorConfig(
        api_versions=["2024-07-01"], errors={"unsupported_api_version": choice}
    )
    with Simulator(config) as sim:
        response = post(sim.listkeys_url(api_version="2026-08-01"), sim.issue_token())
    assert error_code(response) == "NoRegisteredProviderFound"
    assert "2024-07-01" in response.json()["error"]["message"]


def test_default_unsupported_message_lists_versions(sim: Simulator) -> None:
    response = post(sim.listkeys_url(api_version="2000-01-01"), sim.issue_token())
    message = response.json()["error"]["message"]
    assert message.startswith(
        "No registered resource provider found for location 'eastus' and API version "
        "'2000-01-01' for type 'batchAccounts'. The supported api-versions are '2026-08-01, "
    )
    assert message.endswith("The supported locations are 'eastus'.")


def test_the_old_invalid_api_version_answer_is_reachable_through_errors() -> None:
    choice = ErrorChoice(400, "InvalidApiVersionParameter")
    with Simulator(SimulatorConfig(errors={"unsupported_api_version": choice})) as sim:
        response = post(sim.listkeys_url(api_version="2000-01-01"), sim.issue_token())
    assert error_code(response) == "InvalidApiVersionParameter"
    assert (
        "The supported versions are '2026-08-01,2025-06-01," in response.json()["error"]["message"]
    )


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"subscription_id": "not-a-uuid"}, 400, "InvalidSubscriptionId"),
        ({"subscription_id": str(uuid.uuid4())}, 404, "SubscriptionNotFound"),
        ({"resource_group": "no-such-rg"}, 404, "ResourceGroupNotFound"),
        ({"resource_group": "r" * 91}, 400, "InvalidResourceGroupName"),
        ({"resource_group": "gr%C3%BCn"}, 404, "ResourceGroupNotFound"),
        ({"resource_group": "%C3%B8rg"}, 404, "ResourceGroupNotFound"),
        ({"resource_group": "rg."}, 400, "InvalidResourceGroupName"),
        ({"resource_group": "rg%20x"}, 400, "InvalidResourceGroupName"),
        ({"resource_group": "rg%E2%82%AC"}, 400, "InvalidResourceGroupName"),
        ({"resource_group": "ok(1)._-rg"}, 404, "ResourceGroupNotFound"),
        ({"account": "nosuchaccount"}, 404, "AccountNotFound"),
        ({"account": "ab"}, 400, "AccountNameInvalid"),
        ({"account": "a" * 25}, 400, "AccountNameInvalid"),
        ({"account": "bad-name"}, 400, "AccountNameInvalid"),
    ],
)
def test_lookups_and_name_validation(
    sim: Simulator, kwargs: dict[str, str], status: int, code: str
) -> None:
    response = post(sim.listkeys_url(**kwargs), sim.issue_token())
    assert response.status_code == status
    assert error_code(response) == code


def test_unknown_account_gets_the_batch_rp_shape(sim: Simulator) -> None:
    response = post(sim.listkeys_url("ghostacct"), sim.issue_token())
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["target"]) == (
        404,
        "AccountNotFound",
        "BatchAccount",
    )
    first, request_id, time = error["message"].split("\n")
    assert first == "The specified account does not exist."
    assert request_id == f"RequestId:{response.headers['x-ms-request-id']}"
    assert re.fullmatch(r"Time:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", time)
    assert "x-ms-failure-cause" not in response.headers


@pytest.mark.parametrize(
    ("choice", "code", "gateway"),
    [
        (ErrorChoice(404, "ResourceNotFound"), "ResourceNotFound", True),
        (ErrorChoice(404, "AccountNotFound", "gateway"), "AccountNotFound", True),
        (ErrorChoice(404, "ResourceNotFound", "rp"), "ResourceNotFound", False),
    ],
)
def test_unknown_account_gateway_form_is_reachable_through_errors(
    choice: ErrorChoice, code: str, gateway: bool
) -> None:
    with Simulator(SimulatorConfig(errors={"account_not_found": choice})) as sim:
        response = post(sim.listkeys_url("ghostacct"), sim.issue_token())
    error = response.json()["error"]
    assert error["code"] == code
    if gateway:
        assert "Microsoft.Batch/batchAccounts/ghostacct" in error["message"]
        assert placeholders.RESOURCE_GROUP in error["message"]
        assert "target" not in error
        assert response.headers["x-ms-failure-cause"] == "gateway"
    else:
        assert error["message"].startswith("The specified account does not exist.\nRequestId:")
        assert error["target"] == "BatchAccount"


def test_order_auth_before_api_version_before_lookup(sim: Simulator) -> None:
    bad_everything = sim.listkeys_url("x", subscription_id="nope", api_version=None)
    assert error_code(post(bad_everything, None)) == "AuthenticationFailed"
    assert error_code(post(bad_everything, sim.issue_token())) == "MissingApiVersionParameter"
    unknown = sim.listkeys_url("ghostacct", subscription_id=str(uuid.uuid4()))
    assert error_code(post(unknown, sim.issue_token())) == "SubscriptionNotFound"


def test_principal_without_listkeys_permission_gets_403(sim: Simulator) -> None:
    sim.set_permissions("reader-app", ["Microsoft.Batch/batchAccounts/read"])
    response = post(sim.listkeys_url(), sim.issue_token("reader-app"))
    assert response.status_code == 403
    assert error_code(response) == "AuthorizationFailed"
    message = response.json()["error"]["message"]
    assert "'Microsoft.Batch/batchAccounts/listKeys/action'" in message
    assert "reader-app" in message
    sim.set_permissions("reader-app", ["Microsoft.Batch/*"])
    assert post(sim.listkeys_url(), sim.issue_token("reader-app")).status_code == 200


def test_permission_scope_limits_which_accounts_a_principal_reads() -> None:
    scope = f"/subscriptions/{placeholders.SUBSCRIPTION_ID}/resourceGroups/other-rg"
    config = SimulatorConfig(principals=[Principal("scoped", ["*"], [scope])], default_actions=[])
    with Simulator(config) as sim:
        sim.add_account("otheracct", resource_group="other-rg")
        assert post(sim.listkeys_url(), sim.issue_token("scoped")).status_code == 403
        allowed = post(
            sim.listkeys_url("otheracct", resource_group="OTHER-rg"), sim.issue_token("scoped")
        )
        assert allowed.status_code == 200
        assert post(sim.listkeys_url(), sim.issue_token("stranger")).status_code == 403


def test_shared_key_disabled_and_user_subscription_accounts_fail_configurably(
    sim: Simulator,
) -> None:
    sim.add_account("aadonly", allowed_authentication_modes=["AAD"])
    sim.add_account("byosacct", pool_allocation_mode="UserSubscription")
    token = sim.issue_token()
    for name in ("aadonly", "byosacct"):
        response = post(sim.listkeys_url(name), token)
        assert response.status_code == 409
        assert error_code(response) == "OperationNotAllowed"
    sim.config.errors["shared_key_disabled"] = ErrorChoice(400, "SharedKeyDisabled")
    response = post(sim.listkeys_url("aadonly"), token)
    assert (response.status_code, error_code(response)) == (400, "SharedKeyDisabled")


def test_subscription_tenant_rejects_tokens_from_another_tenant() -> None:
    tenant = "11111111-1111-1111-1111-111111111111"
    config = SimulatorConfig(subscriptions=[Subscription(tenant=tenant)])
    with Simulator(config) as sim:
        wrong = post(sim.listkeys_url(), sim.issue_token(tenant=placeholders.TENANT_ID))
        right = post(sim.listkeys_url(), sim.issue_token(tenant=tenant))
    assert wrong.status_code == 401
    assert error_code(wrong) == "InvalidAuthenticationTokenTenant"
    assert tenant in wrong.headers["WWW-Authenticate"]
    assert right.status_code == 200


@pytest.mark.parametrize(
    "method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "QUERY"]
)
def test_other_methods_get_405_with_allow(sim: Simulator, method: str) -> None:
    response = requests.request(method, sim.listkeys_url(), timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    if method != "HEAD":
        assert error_code(response) == "MethodNotAllowed"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/subscriptions",
        "/subscriptions/x/resourceGroups/y/providers/Microsoft.Batch/batchAccounts/z",
        "/subscriptions/x/resourceGroups/y/providers/Microsoft.Batch/batchAccounts/z/syncAutoStorageKeys",
        "/%00%ff/..%2f..%2fetc/passwd",
        "/" + "a/" * 500,
    ],
)
def test_other_paths_get_arm_shaped_404(sim: Simulator, path: str) -> None:
    response = requests.post(sim.url + path, timeout=TIMEOUT)
    assert response.status_code == 404
    assert error_code(response) == "NotFound"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_generated_keys_are_visible_in_the_config_before_any_request(sim: Simulator) -> None:
    account = sim.config.subscriptions[0].resource_groups[0].accounts[0]
    added = sim.add_account("laterone")
    assert None not in (account.primary, account.secondary, added.primary, added.secondary)
    body = post(sim.listkeys_url(), sim.issue_token()).json()
    assert (body["primary"], body["secondary"]) == (account.primary, account.secondary)
