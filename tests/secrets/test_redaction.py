"""Live output shows no secret: a failing live suite against the simulator, output searched."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from pytest_batchkeys.secrets import placeholders

SECRET = "redaction~client.secret-value-42"
CLIENT = "redaction-test-client"

LEAKY_TESTS = """
import logging
import pytest

@pytest.mark.batchkeys
def test_prints_keys(batchkeys_client):
    body = batchkeys_client.list_keys().json()
    print("keys:", body)
    logging.getLogger("user.code").warning("primary key is %s", body["primary"])
    assert body["primary"] == "something else"

@pytest.mark.batchkeys
def test_token_in_exception(batchkeys_session, tmp_path_factory):
    token = batchkeys_session.auth.provider.token()
    (tmp_path_factory.getbasetemp().parent / "token.txt").write_text(token)
    raise RuntimeError(f"token was {token!r}")

@pytest.mark.batchkeys
def test_keys_in_repr(batchkeys_client):
    response = batchkeys_client.list_keys()
    keys = response.json()
    assert keys == {}, f"got {keys!r} and {response.text}"
"""


def _forms(value: str) -> set[str]:
    escaped = json.dumps(value)[1:-1]
    return {
        value,
        escaped,
        escaped.replace("+", "\\u002B").replace("/", "\\/"),
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(value.encode()).decode(),
    }


@pytest.mark.parametrize("mode", ["--batch-live", "--batch-record"])
def test_failing_live_suite_output_holds_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, batchkeys_simulator, mode: str
):
    sim = batchkeys_simulator
    for name, value in {
        "AZURE_SUBSCRIPTION_ID": placeholders.SUBSCRIPTION_ID,
        "BATCHKEYS_RESOURCE_GROUP": placeholders.RESOURCE_GROUP,
        "BATCHKEYS_ACCOUNT_NAME": placeholders.ACCOUNT_NAME,
        "AZURE_TENANT_ID": placeholders.TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_CLIENT_SECRET": SECRET,
        "BATCHKEYS_ENDPOINT": sim.url,
    }.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    result = pytester.runpytest_subprocess(
        mode, "-rA", "-p", "no:cacheprovider", "--log-level=INFO"
    )
    result.assert_outcomes(failed=3)

    account = sim.config.subscriptions[0].resource_groups[0].accounts[0]
    token_file = next(pytester.path.parent.rglob("token.txt"), None)
    token = token_file.read_text() if token_file else None
    assert token, "the inner test did not leave the token for the check"
    output = result.stdout.str() + result.stderr.str()
    assert "REDACTED" in output  # the leaks were there, and were replaced
    for secret in (account.primary, account.secondary, token, SECRET):
        assert secret
        for form in _forms(secret):
            assert form not in output, f"a secret leaked in the output ({len(form)} chars)"
