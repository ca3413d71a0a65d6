"""Unit tests for pytest_batchkeys.checks.run and .interactions: no network, no pytester."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_batchkeys.checks import azure as azure_checks
from pytest_batchkeys.checks import run as checks
from pytest_batchkeys.checks.curl import curl_line
from pytest_batchkeys.checks.run import (
    AZURE_CHECKS,
    CHECKS,
    SCHEMATHESIS_CHECKS,
    assert_conforms,
    run_checks,
)
from pytest_batchkeys.checks.violations import CheckReport, ContractViolation, ContractViolations
from pytest_batchkeys.errors import UsageProblem
from pytest_batchkeys.recording.interactions import (
    case_for_request,
    path_parameters,
    query_parameters,
    response_from_interaction,
)
from pytest_batchkeys.secrets import placeholders

REFERENCE = Path("/work/shared/reference/BatchAccount_GetKeys.2026-08-01.json")
BASE_URL = "https://management.azure.com"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2lnbmF0dXJl"
PRIMARY = base64.b64encode(bytes(range(64))).decode()
SECONDARY = base64.b64encode(bytes(range(64, 128))).decode()
ACCOUNT = placeholders.ACCOUNT_NAME
PATH = (
    f"/subscriptions/{placeholders.SUBSCRIPTION_ID}/resourceGroups/{placeholders.RESOURCE_GROUP}"
    f"/providers/Microsoft.Batch/batchAccounts/{ACCOUNT}/listKeys"
)
URL = f"{BASE_URL}{PATH}?api-version=2026-08-01"
DEFAULT_SET = tuple(name for name in CHECKS if name != "rejects_invalid_input")


# --- building blocks ----------------------------------------------------------------------------


def _resolve_refs(operation: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """The verbatim operation with its common-types parameter $refs inlined."""
    resolved = copy.deepcopy(operation)
    params = []
    for param in resolved["post"]["parameters"]:
        ref = param.get("$ref")
        params.append(copy.deepcopy(common[ref.rsplit("/", 1)[1]]) if ref else param)
    resolved["post"]["parameters"] = params
    return resolved


def _spec() -> dict[str, Any]:
    """A Swagger 2.0 document holding only listKeys (2026-08-01), CloudError as default."""
    ref = json.loads(REFERENCE.read_text())
    return {
        "swagger": "2.0",
        "info": {"title": "listKeys", "version": "2026-08-01"},
        "host": "management.azure.com",
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": {
            ref["path"]: _resolve_refs(
                ref["operation_verbatim"], ref["common_types_v5_parameters_verbatim"]
            )
        },
        "definitions": ref["definitions_verbatim"],
    }


@pytest.fixture(scope="module")
def operation() -> Any:
    """The schemathesis APIOperation for listKeys, built from the reference spec."""
    import schemathesis

    schema = schemathesis.openapi.from_dict(_spec(), config=schemathesis.Config())
    schema.config.update(base_url=BASE_URL)
    (result,) = list(schema.get_all_operations())
    return result.ok()


def good_body() -> dict[str, Any]:
    return {"accountName": ACCOUNT, "primary": PRIMARY, "secondary": SECONDARY}


def good_headers() -> dict[str, list[str]]:
    return {
        "Content-Type": ["application/json; charset=utf-8"],
        "x-ms-request-id": ["0134a7df-011a-4970-b635-3cb65474de77"],
        "x-ms-correlation-request-id": ["6daf7550-f04a-45c2-9183-68264239f758"],
    }


def cloud_error(code: str = "ResourceNotFound", message: str = "Not found.") -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def interaction(
    *,
    status: int = 200,
    body: Any = None,
    raw_body: str | bytes | None = None,
    headers: dict[str, list[str]] | None = None,
    url: str = URL,
    request_headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A vcrpy-serialized interaction; body is JSON-encoded unless raw_body is given."""
    text = raw_body if raw_body is not None else json.dumps(good_body() if body is None else body)
    return {
        "request": {
            "method": "POST",
            "uri": url,
            "body": None,
            "headers": request_headers
            or {
                "Accept": ["application/json"],
                "Authorization": [f"Bearer {TOKEN}"],
                "Content-Length": ["0"],
            },
        },
        "response": {
            "status": {"code": status, "message": HTTPStatus(status).phrase},
            "headers": good_headers() if headers is None else headers,
            "body": {"string": text},
        },
    }


def response(**kwargs: Any) -> requests.Response:
    return response_from_interaction(interaction(**kwargs))


def without(mapping: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key != name}


def failed(report: CheckReport) -> dict[str, str]:
    """check name -> title of every failure (one per check in these tests)."""
    return {violation.check: violation.title for violation in report.failures}


# --- a good response ----------------------------------------------------------------------------


def test_good_200_passes_every_check(operation: Any) -> None:
    report = run_checks(response(), operation=operation)
    assert report.ok, str(report.failures)
    assert report.ran == DEFAULT_SET


def test_without_operation_only_azure_checks_run() -> None:
    report = run_checks(response())
    assert report.ok
    assert report.ran == tuple(name for name in AZURE_CHECKS if name != "rejects_invalid_input")


def test_check_name_tuples_are_consistent() -> None:
    assert CHECKS == SCHEMATHESIS_CHECKS + AZURE_CHECKS
    assert len(set(CHECKS)) == len(CHECKS)


def test_good_error_responses_pass(operation: Any) -> None:
    unauthorized = good_headers() | {"WWW-Authenticate": ['Bearer authorization_uri="x"']}
    throttled = good_headers() | {"Retry-After": ["17"]}
    dated = good_headers() | {"Retry-After": ["Wed, 21 Oct 2026 07:28:00 GMT"]}
    for status, headers in [(404, None), (401, unauthorized), (429, throttled), (429, dated)]:
        report = run_checks(
            response(status=status, body=cloud_error(), headers=headers), operation=operation
        )
        assert report.ok, (status, [str(f) for f in report.failures])


# --- each broken input fails exactly the expected checks -----------------------------------------

SHORT_KEY = base64.b64encode(b"k" * 32).decode()
HTML = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
JSON_TEXT = {"Content-Type": ["text/plain"]}

BROKEN: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (
        "key too short",
        {"body": good_body() | {"primary": SHORT_KEY}},
        {"keys_are_base64_64_bytes": "Account key is not base64 of 64 bytes"},
    ),
    (
        "key not base64",
        {"body": good_body() | {"secondary": "not*base64" + SECONDARY[10:]}},
        {"keys_are_base64_64_bytes": "Account key is not base64 of 64 bytes"},
    ),
    (
        "missing key",
        {"body": without(good_body(), "secondary")},
        {"keys_are_base64_64_bytes": "Account key is not base64 of 64 bytes"},
    ),
    (
        "equal keys",
        {"body": good_body() | {"secondary": PRIMARY}},
        {"keys_differ": "Primary and secondary keys are equal"},
    ),
    (
        "missing accountName",
        {"body": without(good_body(), "accountName")},
        {"account_name_echoes_request": "accountName does not echo the requested account"},
    ),
    (
        "wrong accountName",
        {"body": good_body() | {"accountName": "otheracct"}},
        {"account_name_echoes_request": "accountName does not echo the requested account"},
    ),
    (
        "status 500",
        {"status": 500, "body": cloud_error("InternalError")},
        {"not_a_server_error": "Server error"},
    ),
    (
        "HTML body claiming JSON",
        {"raw_body": HTML},
        {"json_body": "Response body is not valid JSON"},
    ),
    (
        "HTML gateway page",
        {
            "status": 502,
            "raw_body": HTML,
            "headers": good_headers() | {"Content-Type": ["text/html"]},
        },
        {
            "not_a_server_error": "Server error",
            "content_type_conformance": "Undocumented Content-Type",
            "cloud_error_shape": "Error body is not a CloudError",
        },
    ),
    (
        "wrong content type",
        {"headers": good_headers() | JSON_TEXT},
        {"content_type_conformance": "Undocumented Content-Type"},
    ),
    (
        "missing request-id header",
        {"headers": without(good_headers(), "x-ms-request-id")},
        {"request_id_headers_present": "Request-id headers missing"},
    ),
    (
        "CloudError without code",
        {"status": 400, "body": {"error": {"message": "Bad."}}},
        {"cloud_error_shape": "Error body is not a CloudError"},
    ),
    (
        "CloudError with empty message",
        {"status": 404, "body": cloud_error(message="")},
        {"cloud_error_shape": "Error body is not a CloudError"},
    ),
    (
        "CloudError not wrapped in error",
        {"status": 404, "body": {"code": "ResourceNotFound", "message": "x"}},
        {"cloud_error_shape": "Error body is not a CloudError"},
    ),
    (
        "401 without WWW-Authenticate",
        {"status": 401, "body": cloud_error("AuthenticationFailed")},
        {"unauthorized_has_www_authenticate": "401 without WWW-Authenticate"},
    ),
    (
        "429 without Retry-After",
        {"status": 429, "body": cloud_error("TooManyRequests")},
        {"throttled_has_retry_after": "429 without a valid Retry-After"},
    ),
    (
        "429 with a negative Retry-After",
        {"status": 429, "body": cloud_error(), "headers": good_headers() | {"Retry-After": ["-1"]}},
        {"throttled_has_retry_after": "429 without a valid Retry-After"},
    ),
    (
        "wrong type in error target",
        {"status": 400, "body": {"error": {"code": "X", "message": "m", "target": 5}}},
        {"response_schema_conformance": "Response violates schema"},
    ),
    (
        "primary is a number",
        {"body": good_body() | {"primary": 12345}},
        {
            "response_schema_conformance": "Response violates schema",
            "keys_are_base64_64_bytes": "Account key is not base64 of 64 bytes",
        },
    ),
    (
        "truncated JSON",
        {"raw_body": json.dumps(good_body())[:60]},
        {"json_body": "Response body is not valid JSON"},
    ),
    (
        "truncated JSON error body",
        {"status": 404, "raw_body": json.dumps(cloud_error())[:20]},
        {"json_body": "Response body is not valid JSON"},
    ),
]


@pytest.mark.parametrize(
    ("broken", "expected"), [(b, e) for _, b, e in BROKEN], ids=[i for i, _, _ in BROKEN]
)
def test_broken_input_fails_exactly_the_expected_checks(
    operation: Any, broken: dict[str, Any], expected: dict[str, str]
) -> None:
    report = run_checks(response(**broken), operation=operation)
    assert failed(report) == expected


# --- messages ------------------------------------------------------------------------------------

CURL = f"curl -X POST -H 'Accept: application/json' -H 'Authorization: Bearer REDACTED' '{URL}'"


def test_key_too_short_message_is_pinned() -> None:
    (violation,) = run_checks(response(body=good_body() | {"primary": SHORT_KEY})).failures
    assert str(violation) == (
        "Account key is not base64 of 64 bytes [keys_are_base64_64_bytes]\n"
        f"Request: {CURL}\n"
        "Expected: primary and secondary: strict base64 of exactly 64 bytes (88 characters)\n"
        "Got: primary decodes to 32 bytes (44 characters)"
    )
    assert violation.check == "keys_are_base64_64_bytes"
    assert violation.curl == CURL
    assert violation.actual == "primary decodes to 32 bytes (44 characters)"


def test_aggregate_message_lists_every_failure() -> None:
    body = {"accountName": "otheracct", "primary": PRIMARY, "secondary": PRIMARY}
    with pytest.raises(ContractViolations) as raised:
        assert_conforms(response(body=body, headers=without(good_headers(), "x-ms-request-id")))
    assert str(raised.value) == (
        "3 contract violations:\n"
        "1. Primary and secondary keys are equal [keys_differ]\n"
        f"   Request: {CURL}\n"
        "   Expected: two different keys\n"
        "   Got: primary and secondary are the same 88-character value\n"
        "2. accountName does not echo the requested account [account_name_echoes_request]\n"
        f"   Request: {CURL}\n"
        '   Expected: accountName "batchkeysacct" (any case)\n'
        '   Got: accountName "otheracct"\n'
        "3. Request-id headers missing [request_id_headers_present]\n"
        f"   Request: {CURL}\n"
        "   Expected: headers x-ms-request-id and x-ms-correlation-request-id\n"
        "   Got: no x-ms-request-id"
    )
    assert isinstance(raised.value, AssertionError)
    assert [v.check for v in raised.value.violations] == [
        "keys_differ",
        "account_name_echoes_request",
        "request_id_headers_present",
    ]


def test_schemathesis_failure_message(operation: Any) -> None:
    report = run_checks(response(headers=good_headers() | JSON_TEXT), operation=operation)
    (violation,) = report.failures
    assert violation.expected == "application/json"
    assert violation.actual == "text/plain"
    schema = run_checks(response(body=good_body() | {"primary": 1}), operation=operation)
    st = next(v for v in schema.failures if v.check == "response_schema_conformance")
    assert st.actual == '1 at /primary breaks "type": "string"'
    listed = run_checks(response(body=good_body() | {"primary": [PRIMARY]}), operation=operation)
    st = next(v for v in listed.failures if v.check == "response_schema_conformance")
    assert st.actual == 'an array of 1 item at /primary breaks "type": "string"'


def test_truncated_json_is_described_without_quoting_the_body() -> None:
    text = json.dumps(good_body())[:60]
    (violation,) = run_checks(response(raw_body=text)).failures
    assert violation.actual == (
        "the JSON is cut off after 60 bytes (Unterminated string) (Content-Type: application/json)"
    )
    assert PRIMARY[:10] not in str(violation)


def test_html_body_is_described_readably() -> None:
    (violation,) = run_checks(response(raw_body=HTML)).failures
    assert "looks like an HTML/XML page" in violation.actual
    assert "502 Bad Gateway" not in str(violation)


def test_assert_conforms_returns_the_report_when_ok() -> None:
    report = assert_conforms(response())
    assert report.ok
    assert report.failures == ()


def test_assert_conforms_raises_even_for_a_single_failure() -> None:
    with pytest.raises(ContractViolations, match="1 contract violation:"):
        assert_conforms(response(body=good_body() | {"secondary": PRIMARY}))


# --- secrets never shown -----------------------------------------------------------------------


def all_text(report: CheckReport) -> str:
    return "\n".join(str(v) for v in report.failures)


def test_no_token_or_key_in_any_failure(operation: Any) -> None:
    bodies = [
        good_body() | {"secondary": PRIMARY},
        good_body() | {"primary": [PRIMARY]},
        good_body() | {"primary": {"value": PRIMARY}},
        good_body() | {"accountName": "x", "primary": PRIMARY + "A"},
        good_body() | {"accountName": PRIMARY},
        good_body() | {"primary": PRIMARY[:-4], "secondary": {"k": [SECONDARY]}},
    ]
    for body in bodies:
        report = run_checks(response(body=body), operation=operation)
        assert report.failures
        text = all_text(report)
        assert TOKEN not in text
        assert PRIMARY[:16] not in text
        assert SECONDARY[:16] not in text
        assert "Bearer REDACTED" in text


def test_scrubber_removes_body_keys_at_any_depth_then_applies_redact() -> None:
    built = response(body=good_body() | {"secondary": {"old": [SECONDARY]}})
    scrub = checks._scrubber(azure_checks.make_exchange(built), lambda text: text.upper())
    assert scrub(f"a {PRIMARY} b {SECONDARY}") == "A REDACTED B REDACTED"


def test_curl_line_redacts_auth_cookies_and_secret_fields() -> None:
    request = requests.Request(
        "POST",
        "https://login.example/tenant/oauth2/v2.0/token?sig=abc123&api-version=1",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Cookie": "session=topsecret",
            "X-Api-Key": "k-secret",
            "x-ms-client-request-id": "id-1",
        },
        data={
            "client_id": "app",
            "client_secret": "s3cr3t-value",
            "grant_type": "client_credentials",
        },
    ).prepare()
    line = curl_line(request)
    assert line == (
        "curl -X POST -H 'Authorization: Bearer REDACTED' -H 'Cookie: REDACTED' "
        "-H 'X-Api-Key: REDACTED' -H 'x-ms-client-request-id: id-1' "
        "-H 'Content-Type: application/x-www-form-urlencoded' "
        "-d 'client_id=app&client_secret=REDACTED&grant_type=client_credentials' "
        "'https://login.example/tenant/oauth2/v2.0/token?sig=REDACTED&api-version=1'"
    )
    for secret in (TOKEN, "topsecret", "k-secret", "s3cr3t-value", "abc123"):
        assert secret not in line


def test_curl_line_redacts_json_body_keys_and_applies_redact() -> None:
    request = requests.Request(
        "POST", URL, json={"primary": PRIMARY, "nested": [{"secondary": SECONDARY}]}
    ).prepare()
    line = curl_line(request, redact=lambda text: text.replace(ACCOUNT, "<account>"))
    assert PRIMARY not in line
    assert SECONDARY not in line
    assert ACCOUNT not in line
    assert "<account>" in line
    assert '"primary":"REDACTED"' in line


def test_redact_callable_reaches_every_field() -> None:
    report = run_checks(
        response(body=good_body() | {"accountName": "realname"}),
        redact=lambda text: text.replace("realname", "***").replace(ACCOUNT, "***"),
    )
    text = all_text(report)
    assert "realname" not in text
    assert ACCOUNT not in text


def test_authorization_is_redacted_even_when_not_bearer() -> None:
    request = requests.Request(
        "POST", URL, headers={"authorization": "SharedKey acct:sig"}
    ).prepare()
    assert "authorization: Bearer REDACTED" in curl_line(request)
    assert "acct:sig" not in curl_line(request)


# --- options ------------------------------------------------------------------------------------


def test_expected_account_overrides_url() -> None:
    ok = run_checks(response(body=good_body() | {"accountName": "Other"}), expected_account="other")
    assert ok.ok
    bad = run_checks(response(), expected_account="other")
    assert failed(bad) == {
        "account_name_echoes_request": "accountName does not echo the requested account"
    }


def test_account_name_is_case_insensitive() -> None:
    assert run_checks(response(body=good_body() | {"accountName": ACCOUNT.upper()})).ok


def test_account_unknown_when_url_is_not_listkeys() -> None:
    report = run_checks(response(url=f"{BASE_URL}/somewhere/else"))
    (violation,) = report.failures
    assert violation.check == "account_name_echoes_request"
    assert violation.actual == "no account name in '/somewhere/else'"


def test_old_api_version_may_omit_account_name() -> None:
    url = URL.replace("2026-08-01", "2015-12-01")
    assert run_checks(response(url=url, body=without(good_body(), "accountName"))).ok


def test_selected_checks_run_in_check_order() -> None:
    report = run_checks(response(), checks=["keys_differ", "json_body"])
    assert report.ran == ("json_body", "keys_differ")


def test_unknown_check_is_a_usage_problem() -> None:
    with pytest.raises(UsageProblem, match="Unknown check"):
        run_checks(response(), checks=["keys_are_fine"])


def test_schemathesis_check_without_operation_is_a_usage_problem() -> None:
    with pytest.raises(UsageProblem, match="need the schemathesis operation"):
        run_checks(response(), checks=["not_a_server_error"])


def test_response_without_request_is_a_usage_problem() -> None:
    bare = requests.Response()
    bare.status_code = 200
    with pytest.raises(UsageProblem, match=r"no \.request"):
        run_checks(bare)


def test_negative_request_must_be_rejected_with_4xx(operation: Any) -> None:
    accepted = run_checks(response(), negative=True)
    assert failed(accepted) == {
        "rejects_invalid_input": "Invalid request was not rejected with 4xx"
    }
    assert run_checks(response(status=400, body=cloud_error()), negative=True).ok
    server = response(status=500, body=cloud_error())
    assert failed(run_checks(server, negative=True)) == {
        "rejects_invalid_input": "Invalid request was not rejected with 4xx"
    }
    assert failed(run_checks(server, operation=operation, negative=True)) == {
        "not_a_server_error": "Server error"
    }


def test_negative_request_error_must_be_cloud_error() -> None:
    report = run_checks(
        response(status=400, raw_body="Bad Request", headers=JSON_TEXT), negative=True
    )
    assert set(failed(report)) == {"cloud_error_shape", "request_id_headers_present"}


# --- interactions → requests / schemathesis ---------------------------------------------------


def test_response_from_interaction_keeps_status_headers_body_and_request() -> None:
    recorded = interaction(headers=good_headers() | {"Vary": ["Accept", "Origin"]})
    recorded["request"]["body"] = '{"x": 1}'
    built = response_from_interaction(recorded)
    assert built.status_code == 200
    assert built.reason == "OK"
    assert built.headers["vary"] == "Accept, Origin"
    assert built.raw.headers.getlist("Vary") == ["Accept", "Origin"]
    assert built.json() == good_body()
    assert isinstance(built.request, requests.PreparedRequest)
    assert built.request.method == "POST"
    assert built.request.url == URL
    assert built.request.body == b'{"x": 1}'
    assert built.request.headers["authorization"] == f"Bearer {TOKEN}"


def test_response_from_interaction_decodes_gzip_bytes() -> None:
    packed = gzip.compress(json.dumps(good_body()).encode())
    headers = good_headers() | {"Content-Encoding": ["gzip"]}
    built = response_from_interaction(interaction(raw_body=packed, headers=headers))
    assert built.json() == good_body()
    assert run_checks(built).ok


def test_schemathesis_sees_headers_of_a_recorded_response() -> None:
    import schemathesis

    converted = schemathesis.Response.from_any(response())
    assert converted.headers["x-ms-request-id"] == ["0134a7df-011a-4970-b635-3cb65474de77"]


def test_case_for_request_parses_path_query_and_hides_secrets(operation: Any) -> None:
    built = response(url=f"https://proxy.example/arm{PATH}?api-version=2026-08-01&x=1&x=2")
    case = case_for_request(operation, built.request)
    assert case.path_parameters == {
        "subscriptionId": placeholders.SUBSCRIPTION_ID,
        "resourceGroupName": placeholders.RESOURCE_GROUP,
        "accountName": ACCOUNT,
    }
    assert case.query == {"api-version": "2026-08-01", "x": ["1", "2"]}
    assert case.headers["Authorization"] == "Bearer REDACTED"
    assert case.method == "POST"


def test_case_for_request_rejects_another_operation(operation: Any) -> None:
    with pytest.raises(UsageProblem, match="does not match the operation path"):
        case_for_request(operation, response(url=f"{BASE_URL}/elsewhere").request)


def test_path_parameters_are_percent_decoded_and_none_on_mismatch() -> None:
    template = "/a/{x}/b/{y}"
    assert path_parameters(template, "/prefix/a/one%20two/b/3") == {"x": "one two", "y": "3"}
    assert path_parameters(template, "/a/1/c/2") is None
    assert query_parameters("http://h/p?a=1&b=&a=2") == {"a": ["1", "2"], "b": ""}


# --- import cost ---------------------------------------------------------------------------------


def test_import_does_not_load_schemathesis_or_vcrpy() -> None:
    code = (
        "import sys, pytest_batchkeys.checks.run; "
        "print(sorted(m for m in ('schemathesis', 'vcr') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_azure_check_is_a_function_named_after_it() -> None:
    for name in AZURE_CHECKS:
        assert getattr(azure_checks, name).__name__ == name


def test_contract_violation_is_an_assertion_error_with_fields() -> None:
    violation = ContractViolation(check="c", title="T", curl="curl x", expected="E", actual="A")
    assert isinstance(violation, AssertionError)
    assert str(violation) == "T [c]\nRequest: curl x\nExpected: E\nGot: A"


@pytest.fixture(scope="module")
def bundled_operation() -> Any:
    """The listKeys operation as spec.py builds it from the bundled 2026-08-01 contract."""
    from pytest_batchkeys.spec import load as spec
    from pytest_batchkeys.spec import schemathesis_adapter as adapter

    schema = adapter.schemathesis_schema(spec.load_bundled(), BASE_URL)
    return adapter.get_operation(schema)


def test_bundled_operation_passes_good_and_catches_every_break(bundled_operation: Any) -> None:
    assert run_checks(response(), operation=bundled_operation).ok
    for name, broken, expected in BROKEN:
        got = failed(run_checks(response(**broken), operation=bundled_operation))
        assert expected.items() <= got.items(), name
