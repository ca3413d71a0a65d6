"""Contract checks for one listKeys exchange: schemathesis's response checks plus Azure's own rules.

Every failure is a `ContractViolation` (an AssertionError) with a title, the request as a redacted
curl line, what was expected and what came back; no check ever prints a key or a token.
schemathesis is imported only when a schemathesis check runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

import requests

from pytest_batchkeys.checks.azure import AZURE, KEY_FIELDS, Exchange, exchange_for, make_exchange
from pytest_batchkeys.checks.curl import curl_line
from pytest_batchkeys.checks.schema import run_schemathesis_check, schemathesis_response
from pytest_batchkeys.checks.violations import (
    CheckReport,
    ContractViolation,
    ContractViolations,
    Problem,
)
from pytest_batchkeys.errors import UsageProblem
from pytest_batchkeys.secrets.placeholders import REDACTED

__all__ = [
    "AZURE_CHECKS",
    "CHECKS",
    "SCHEMATHESIS_CHECKS",
    "assert_conforms",
    "run_checks",
    "run_recorded_checks",
]

SCHEMATHESIS_CHECKS: Final = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
AZURE_CHECKS: Final = (
    "json_body",
    "keys_are_base64_64_bytes",
    "keys_differ",
    "account_name_echoes_request",
    "request_id_headers_present",
    "cloud_error_shape",
    "unauthorized_has_www_authenticate",
    "throttled_has_retry_after",
    "rejects_invalid_input",
)
CHECKS: Final = SCHEMATHESIS_CHECKS + AZURE_CHECKS
#: Checks that only apply to requests made with invalid input (`negative=True`).
NEGATIVE_ONLY_CHECKS: Final = frozenset({"rejects_invalid_input"})
#: Where several checks see one body that is not JSON, the first of these that failed reports it.
_NOT_JSON_PRIORITY: Final = ("json_body", "cloud_error_shape", "response_schema_conformance")


# --- running -----------------------------------------------------------------------------------


@functools.cache
def _default_selection(has_operation: bool, negative: bool) -> tuple[str, ...]:
    """Every applicable check, in CHECKS order (four possible answers, computed once each)."""
    pool = CHECKS if has_operation else AZURE_CHECKS
    return tuple(n for n in pool if negative or n not in NEGATIVE_ONLY_CHECKS)


def _selected(
    checks: Iterable[str] | None, *, has_operation: bool, negative: bool
) -> tuple[str, ...]:
    """The checks to run, in CHECKS order; unknown names or no operation raise UsageProblem."""
    if checks is None:
        return _default_selection(has_operation, negative)
    wanted = set(checks)
    unknown = sorted(wanted - set(CHECKS))
    if unknown:
        raise UsageProblem(
            f"Unknown check(s) {', '.join(unknown)}; known checks: {', '.join(CHECKS)}."
        )
    needs_operation = sorted(wanted & set(SCHEMATHESIS_CHECKS))
    if needs_operation and not has_operation:
        raise UsageProblem(
            f"Check(s) {', '.join(needs_operation)} need the schemathesis operation: "
            "pass operation=... (see pytest_batchkeys.spec.load.get_operation)."
        )
    return tuple(name for name in CHECKS if name in wanted)


def _dedupe_not_json(found: list[tuple[str, Problem]]) -> list[tuple[str, Problem]]:
    """Keep one report of 'the body is not JSON': the first failing check of _NOT_JSON_PRIORITY."""
    owners = [name for name, problem in found if problem.not_json]
    if not owners:
        return found
    keep = min(owners, key=lambda n: _NOT_JSON_PRIORITY.index(n) if n in _NOT_JSON_PRIORITY else 99)
    return [(name, p) for name, p in found if not p.not_json or name == keep]


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item)


def _body_secrets(exchange: Exchange) -> list[str]:
    """Strings of 8+ characters under the body's primary/secondary, to keep out of messages."""
    body = exchange.body if isinstance(exchange.body, dict) else {}
    found = [text for name in KEY_FIELDS for text in _strings(body.get(name))]
    return sorted({text for text in found if len(text) >= 8}, key=len, reverse=True)


def _scrubber(exchange: Exchange, redact: Callable[[str], str] | None) -> Callable[[str], str]:
    """A text filter removing the response's own keys, then applying the caller's redact."""
    secrets = _body_secrets(exchange)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return redact(text) if redact is not None else text

    return scrub


def _collect(
    exchange: Exchange,
    names: tuple[str, ...],
    operation: Any | None,
    response: requests.Response | None = None,
) -> list[tuple[str, Problem]]:
    """Run the named checks in order; (check name, problem) for everything they found.

    The schemathesis checks need the requests.Response itself (`response`) and the operation.
    """
    found: list[tuple[str, Problem]] = []
    st_names = [name for name in names if name in SCHEMATHESIS_CHECKS]
    if st_names and operation is not None and response is not None:
        from pytest_batchkeys.recording.interactions import case_for_request

        case = case_for_request(operation, response.request)
        st_response = schemathesis_response(response)
        for name in st_names:
            found += [(name, p) for p in run_schemathesis_check(name, case, st_response, response)]
    for name in names:
        if name in AZURE:
            found += [(name, p) for p in AZURE[name](exchange)]
    return _dedupe_not_json(found)


def _require_request(response: requests.Response) -> requests.PreparedRequest:
    """The response's request; a response without one cannot be checked."""
    request = getattr(response, "request", None)
    if not isinstance(request, requests.PreparedRequest):
        raise UsageProblem(
            "The response has no .request (a requests.PreparedRequest); the checks need it for the "
            "curl line and the requested account. Build recorded responses with "
            "response_from_interaction()."
        )
    return request


def run_checks(
    response: requests.Response,
    *,
    operation: Any | None = None,
    expected_account: str | None = None,
    checks: Iterable[str] | None = None,
    redact: Callable[[str], str] | None = None,
    negative: bool = False,
) -> CheckReport:
    """Run the selected (default: all applicable) checks; every failure is reported, redacted."""
    request = _require_request(response)
    names = _selected(checks, has_operation=operation is not None, negative=negative)
    exchange = make_exchange(
        response, expected_account=expected_account, selected=names, negative=negative
    )
    found = _collect(exchange, names, operation, response)
    return _report(exchange, names, found, lambda: request, redact)


def run_recorded_checks(
    interaction: Mapping[str, Any], *, redact: Callable[[str], str] | None = None
) -> CheckReport:
    """The Azure checks on one recorded exchange, as `run_checks` runs them on the response
    `response_from_interaction` rebuilds, without building it (`batchkeys verify` over many
    recordings). The request is rebuilt only for the curl line of a failure."""
    from pytest_batchkeys.recording.interactions import recorded_view, request_from_interaction

    names = _default_selection(False, False)
    exchange = exchange_for(
        recorded_view(interaction), url=str(interaction["request"]["uri"]), selected=names
    )
    found = _collect(exchange, names, None)
    return _report(exchange, names, found, lambda: request_from_interaction(interaction), redact)


def _report(
    exchange: Exchange,
    names: tuple[str, ...],
    found: list[tuple[str, Problem]],
    request: Callable[[], requests.PreparedRequest],
    redact: Callable[[str], str] | None,
) -> CheckReport:
    """The report of what the checks found: each failure scrubbed, with the curl line."""
    if not found:  # the common case: no curl line or scrubbing needed
        return CheckReport(ran=names, failures=())
    scrub = _scrubber(exchange, redact)
    curl = curl_line(request(), redact=scrub)
    failures = tuple(
        ContractViolation(
            check=name,
            title=scrub(problem.title),
            curl=curl,
            expected=scrub(problem.expected),
            actual=scrub(problem.actual),
        )
        for name, problem in found
    )
    return CheckReport(ran=names, failures=failures)


def assert_conforms(
    response: requests.Response,
    *,
    operation: Any | None = None,
    expected_account: str | None = None,
    checks: Iterable[str] | None = None,
    redact: Callable[[str], str] | None = None,
    negative: bool = False,
) -> CheckReport:
    """run_checks, raising ContractViolations (all failures in one message) if any check failed."""
    __tracebackhide__ = True
    report = run_checks(
        response,
        operation=operation,
        expected_account=expected_account,
        checks=checks,
        redact=redact,
        negative=negative,
    )
    if not report.ok:
        raise ContractViolations(report.failures)
    return report
