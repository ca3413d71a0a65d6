"""Contract checks for one listKeys exchange: schemathesis's response checks plus Azure's own rules.

Every failure is a `ContractViolation` (an AssertionError) with a title, the request as a redacted
curl line, what was expected and what came back; no check ever prints a key or a token.
schemathesis is imported only when a schemathesis check runs.
"""

from __future__ import annotations

import base64
import binascii
import json
import shlex
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Final, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from pytest_batchkeys.errors import UsageProblem
from pytest_batchkeys.interactions import (
    is_secret_header,
    path_parameters,
    redacted_header_value,
    response_from_interaction,
)
from pytest_batchkeys.placeholders import REDACTED

__all__ = [
    "AZURE_CHECKS",
    "CHECKS",
    "SCHEMATHESIS_CHECKS",
    "CheckReport",
    "ContractViolation",
    "ContractViolations",
    "Exchange",
    "Problem",
    "assert_conforms",
    "curl_line",
    "response_from_interaction",
    "run_checks",
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

KEY_FIELDS: Final = ("primary", "secondary")
KEY_BYTES: Final = 64
REQUEST_ID_HEADERS: Final = ("x-ms-request-id", "x-ms-correlation-request-id")
#: Query and body fields whose values are secrets wherever they appear.
SECRET_FIELDS: Final = frozenset(
    {
        "primary",
        "secondary",
        "client_secret",
        "client_assertion",
        "access_token",
        "refresh_token",
        "password",
        "sig",
        "signature",
        "code",
        "token",
        "key",
    }
)
#: Where several checks see one body that is not JSON, the first of these that failed reports it.
_NOT_JSON_PRIORITY: Final = ("json_body", "cloud_error_shape", "response_schema_conformance")
_MAX_BODY_IN_CURL: Final = 300


# --- failure types -----------------------------------------------------------------------------


class ContractViolation(AssertionError):
    """One broken contract rule; str() is title, redacted curl line, expected and actual."""

    def __init__(self, *, check: str, title: str, curl: str, expected: str, actual: str) -> None:
        self.check = check
        self.title = title
        self.curl = curl
        self.expected = expected
        self.actual = actual
        super().__init__(self.render())

    def render(self) -> str:
        """The multi-line message: title [check], Request, Expected, Got."""
        return (
            f"{self.title} [{self.check}]\n"
            f"Request: {self.curl}\n"
            f"Expected: {self.expected}\n"
            f"Got: {self.actual}"
        )

    def __str__(self) -> str:
        return self.render()


class ContractViolations(AssertionError):
    """All violations found in one response, listed in check order in one message."""

    def __init__(self, violations: Iterable[ContractViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__(self.render())

    def render(self) -> str:
        """A count line, then each violation numbered and indented."""
        count = len(self.violations)
        noun = "violation" if count == 1 else "violations"
        items = [
            f"{index}. " + textwrap.indent(str(violation), "   ").lstrip()
            for index, violation in enumerate(self.violations, start=1)
        ]
        return f"{count} contract {noun}:\n" + "\n".join(items)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class CheckReport:
    """Which checks ran on one response and what each one found."""

    ran: tuple[str, ...]
    failures: tuple[ContractViolation, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures


class Problem(NamedTuple):
    """What a check found wrong, before the request's curl line is attached."""

    title: str
    expected: str
    actual: str
    not_json: bool = False


# --- curl line ---------------------------------------------------------------------------------


def _redacted_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Name/value pairs with the values of secret-named fields replaced by REDACTED."""
    return [(name, REDACTED if name.lower() in SECRET_FIELDS else value) for name, value in pairs]


def _redacted_url(url: str) -> str:
    """The URL with secret query values and any userinfo password replaced."""
    parts = urlsplit(url)
    query = urlencode(_redacted_pairs(parse_qsl(parts.query, keep_blank_values=True)), safe="/:,")
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redacted_json(value: Any) -> Any:
    """JSON with secret-named fields replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if str(key).lower() in SECRET_FIELDS else _redacted_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted_json(item) for item in value]
    return value


def _redacted_body(body: str) -> str:
    """A request body with secret fields replaced (JSON or form), cut to a readable length."""
    try:
        text = json.dumps(_redacted_json(json.loads(body)), separators=(",", ":"))
    except ValueError:
        pairs = parse_qsl(body, keep_blank_values=True)
        text = urlencode(_redacted_pairs(pairs)) if pairs and "=" in body else body
    if len(text) > _MAX_BODY_IN_CURL:
        return text[:_MAX_BODY_IN_CURL] + f"...({len(text)} chars)"
    return text


def _text(value: str | bytes | None) -> str:
    """A header value or body as str."""
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def curl_line(
    request: requests.PreparedRequest, *, redact: Callable[[str], str] | None = None
) -> str:
    """The request as a curl command: Authorization is always 'Bearer REDACTED', no secret shows."""
    words = ["curl", "-X", str(request.method or "GET")]
    for name, value in request.headers.items():
        if name.lower() == "content-length":
            continue
        shown = redacted_header_value(name) if is_secret_header(name) else _text(value)
        words += ["-H", f"{name}: {shown}"]
    body = _text(request.body)
    if body:
        words += ["-d", _redacted_body(body)]
    words.append(_redacted_url(str(request.url or "")))
    line = " ".join(shlex.quote(word) for word in words)
    return redact(line) if redact is not None else line


# --- what the checks look at -------------------------------------------------------------------


_NOT_PARSED: Final = object()


@dataclass(frozen=True)
class Exchange:
    """One response and what the checks derive from it: parsed body, requested account, options."""

    response: requests.Response
    body: Any
    body_error: str | None
    requested_account: str | None
    api_version: str | None
    selected: frozenset[str] = field(default_factory=frozenset)
    negative: bool = False

    @property
    def status(self) -> int:
        """The response status code."""
        return int(self.response.status_code)

    def header(self, name: str) -> str:
        """A response header's value, stripped; '' when absent."""
        return str(self.response.headers.get(name) or "").strip()


def media_type(response: requests.Response) -> str:
    """The response's media type, lower-cased, without parameters ('' when absent)."""
    return str(response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def claims_json(response: requests.Response) -> bool:
    """True when the Content-Type says the body is JSON (application/json or any +json type)."""
    kind = media_type(response)
    return kind == "application/json" or kind.endswith("+json")


def _json_error_text(content: bytes, error: ValueError) -> str:
    """Why the body is not JSON, in words, without quoting the body (it may hold keys)."""
    stripped = content.lstrip()
    if stripped.startswith(b"<"):
        return f"the body looks like an HTML/XML page ({len(content)} bytes starting with '<')"
    if isinstance(error, json.JSONDecodeError):
        reason = error.msg.removesuffix(" starting at")
        if error.pos >= len(error.doc.rstrip()) or reason == "Unterminated string":
            return f"the JSON is cut off after {len(content)} bytes ({reason})"
        return (
            f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg} "
            f"({len(content)} bytes)"
        )
    return f"the body is not UTF-8 text ({len(content)} bytes)"


def parse_body(content: bytes) -> tuple[Any, str | None]:
    """(parsed JSON, None), or (_NOT_PARSED, reason) when the body is empty or not JSON."""
    if not content.strip():
        return _NOT_PARSED, "the body is empty"
    try:
        return json.loads(content), None
    except ValueError as error:
        return _NOT_PARSED, _json_error_text(content, error)


def _listkeys_parts(url: str) -> tuple[str | None, str | None]:
    """(account name from a listKeys URL or None, api-version query value or None)."""
    parts = urlsplit(url)
    template = "/batchAccounts/{accountName}/listKeys"
    found = path_parameters(template, parts.path)
    versions = [value for name, value in parse_qsl(parts.query) if name.lower() == "api-version"]
    account = found["accountName"] if found else None
    return account, versions[0] if versions else None


def make_exchange(
    response: requests.Response,
    *,
    expected_account: str | None = None,
    selected: Iterable[str] = (),
    negative: bool = False,
) -> Exchange:
    """The Exchange for a response; the requested account is expected_account or the URL's."""
    body, error = parse_body(response.content or b"")
    account, api_version = _listkeys_parts(str(response.request.url or ""))
    return Exchange(
        response=response,
        body=body,
        body_error=error,
        requested_account=expected_account if expected_account is not None else account,
        api_version=api_version,
        selected=frozenset(selected),
        negative=negative,
    )


def _success_object(exchange: Exchange) -> dict[str, Any] | None:
    """The 2xx body as a JSON object ({} for other JSON); None when not 2xx or not JSON."""
    if not 200 <= exchange.status < 300 or exchange.body is _NOT_PARSED:
        return None
    return exchange.body if isinstance(exchange.body, dict) else {}


# --- Azure checks: each takes an Exchange and returns what it found wrong ------------------------


def _json_body_applies(exchange: Exchange) -> bool:
    """json_body judges every 2xx body and the 4xx bodies that claim JSON (and are not empty)."""
    if 200 <= exchange.status < 300:
        return True
    content = exchange.response.content or b""
    return 400 <= exchange.status < 500 and claims_json(exchange.response) and bool(content.strip())


def json_body(exchange: Exchange) -> list[Problem]:
    """2xx bodies, and 4xx bodies that claim JSON, parse as JSON."""
    if not _json_body_applies(exchange) or exchange.body_error is None:
        return []
    kind = media_type(exchange.response) or "no Content-Type"
    return [
        Problem(
            "Response body is not valid JSON",
            f"a complete JSON document in the {exchange.status} body",
            f"{exchange.body_error} (Content-Type: {kind})",
            not_json=True,
        )
    ]


def _key_problem(name: str, value: Any) -> str | None:
    """Why one key is not strict base64 of 64 bytes (never quoting it), or None."""
    if value is None:
        return f"{name} is missing"
    if not isinstance(value, str):
        return f"{name} is a JSON {type(value).__name__}, not a string"
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return f"{name} is not strict base64 ({len(value)} characters)"
    if len(raw) != KEY_BYTES:
        return f"{name} decodes to {len(raw)} bytes ({len(value)} characters)"
    return None


def keys_are_base64_64_bytes(exchange: Exchange) -> list[Problem]:
    """In a 2xx body, primary and secondary are strict base64 that decodes to exactly 64 bytes."""
    body = _success_object(exchange)
    if body is None:
        return []
    found = [_key_problem(name, body.get(name)) for name in KEY_FIELDS]
    expected = f"primary and secondary: strict base64 of exactly {KEY_BYTES} bytes (88 characters)"
    return [Problem("Account key is not base64 of 64 bytes", expected, f) for f in found if f]


def keys_differ(exchange: Exchange) -> list[Problem]:
    """In a 2xx body that has both keys as strings, primary differs from secondary."""
    body = _success_object(exchange)
    if body is None:
        return []
    primary, secondary = (body.get(name) for name in KEY_FIELDS)
    if not isinstance(primary, str) or not isinstance(secondary, str) or primary != secondary:
        return []
    return [
        Problem(
            "Primary and secondary keys are equal",
            "two different keys",
            f"primary and secondary are the same {len(primary)}-character value",
        )
    ]


def _accountname_optional(api_version: str | None) -> bool:
    """True for api-versions whose response had no accountName (before 2017-05-01)."""
    return api_version is not None and api_version < "2017-05-01"


def account_name_echoes_request(exchange: Exchange) -> list[Problem]:
    """In a 2xx body, accountName equals the requested account, ignoring case."""
    body = _success_object(exchange)
    if body is None:
        return []
    wanted = exchange.requested_account
    title = "accountName does not echo the requested account"
    if wanted is None:
        return [
            Problem(
                title,
                "a URL ending in /batchAccounts/{accountName}/listKeys, or expected_account",
                f"no account name in {urlsplit(str(exchange.response.request.url)).path!r}",
            )
        ]
    name = body.get("accountName")
    if name is None and _accountname_optional(exchange.api_version):
        return []
    if isinstance(name, str) and name.casefold() == wanted.casefold():
        return []
    shown = json.dumps(name) if isinstance(name, str) and len(name) <= 64 else describe_value(name)
    got = "no accountName" if name is None else f"accountName {shown}"
    return [Problem(title, f"accountName {json.dumps(wanted)} (any case)", got)]


def request_id_headers_present(exchange: Exchange) -> list[Problem]:
    """Every response carries non-empty x-ms-request-id and x-ms-correlation-request-id."""
    missing = [name for name in REQUEST_ID_HEADERS if not exchange.header(name)]
    if not missing:
        return []
    return [
        Problem(
            "Request-id headers missing",
            "headers " + " and ".join(REQUEST_ID_HEADERS),
            "no " + " and no ".join(missing),
        )
    ]


def _cloud_error_defects(body: Any) -> list[str]:
    """What keeps a parsed body from being {"error": {"code": str, "message": str, ...}}."""
    if not isinstance(body, dict):
        return [f"the body is a JSON {type(body).__name__}, not an object"]
    error = body.get("error")
    if not isinstance(error, dict):
        return ["no error object" if error is None else "error is not an object"]
    defects = []
    for name in ("code", "message"):
        value = error.get(name)
        if value is None:
            defects.append(f"error.{name} is missing")
        elif not isinstance(value, str):
            defects.append(f"error.{name} is a JSON {type(value).__name__}, not a string")
        elif not value.strip():
            defects.append(f"error.{name} is empty")
    return defects


def cloud_error_shape(exchange: Exchange) -> list[Problem]:
    """Every non-2xx body is JSON {"error": {"code": str, "message": str, ...}}, both non-empty."""
    if 200 <= exchange.status < 300:
        return []
    if exchange.body_error is not None:
        defects, not_json = [exchange.body_error], True
    else:
        defects, not_json = _cloud_error_defects(exchange.body), False
    if not defects:
        return []
    return [
        Problem(
            "Error body is not a CloudError",
            f'a {exchange.status} body {{"error": {{"code": "...", "message": "..."}}}}'
            " with non-empty code and message",
            "; ".join(defects),
            not_json=not_json,
        )
    ]


def unauthorized_has_www_authenticate(exchange: Exchange) -> list[Problem]:
    """A 401 response carries a non-empty WWW-Authenticate header."""
    if exchange.status != 401 or exchange.header("WWW-Authenticate"):
        return []
    return [
        Problem(
            "401 without WWW-Authenticate",
            'a WWW-Authenticate header (e.g. Bearer authorization_uri="...")',
            "no WWW-Authenticate header",
        )
    ]


def _retry_after_valid(value: str) -> bool:
    """True for a non-negative integer of seconds or an HTTP date."""
    if value.isascii() and value.isdigit():
        return True
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


def throttled_has_retry_after(exchange: Exchange) -> list[Problem]:
    """A 429 response carries Retry-After as a non-negative integer or an HTTP date."""
    value = exchange.header("Retry-After")
    if exchange.status != 429 or _retry_after_valid(value):
        return []
    got = f"Retry-After: {value!r}" if value else "no Retry-After header"
    return [
        Problem(
            "429 without a valid Retry-After",
            "Retry-After: a non-negative number of seconds or an HTTP date",
            got,
        )
    ]


def rejects_invalid_input(exchange: Exchange) -> list[Problem]:
    """With negative=True the status is 4xx (5xx is not_a_server_error's job when it runs)."""
    status = exchange.status
    if not exchange.negative or 400 <= status < 500:
        return []
    if status >= 500 and "not_a_server_error" in exchange.selected:
        return []
    return [
        Problem(
            "Invalid request was not rejected with 4xx",
            "a 4xx status with a CloudError body for a request with invalid input",
            f"{status} {exchange.response.reason or ''}".strip(),
        )
    ]


AzureCheck = Callable[[Exchange], list[Problem]]
_AZURE: Final[Mapping[str, AzureCheck]] = {
    "json_body": json_body,
    "keys_are_base64_64_bytes": keys_are_base64_64_bytes,
    "keys_differ": keys_differ,
    "account_name_echoes_request": account_name_echoes_request,
    "request_id_headers_present": request_id_headers_present,
    "cloud_error_shape": cloud_error_shape,
    "unauthorized_has_www_authenticate": unauthorized_has_www_authenticate,
    "throttled_has_retry_after": throttled_has_retry_after,
    "rejects_invalid_input": rejects_invalid_input,
}


# --- schemathesis checks ------------------------------------------------------------------------


_SCHEMATHESIS_EXPECTED: Final = {
    "not_a_server_error": "a status below 500",
    "status_code_conformance": "a status documented for the operation",
    "content_type_conformance": "a Content-Type documented for the operation",
    "response_headers_conformance": "the response headers documented for this status",
    "response_schema_conformance": "a body matching the documented schema for this status",
}


def schemathesis_response(response: requests.Response) -> Any:
    """The schemathesis Response for a requests.Response (repeated headers kept via .raw)."""
    from schemathesis import Response

    raw_headers = getattr(response.raw, "headers", None)
    if raw_headers is not None and hasattr(raw_headers, "getlist"):
        headers = {name: list(raw_headers.getlist(name)) for name in raw_headers}
    else:
        headers = {name: [str(value)] for name, value in response.headers.items()}
    return Response(
        status_code=int(response.status_code),
        headers=headers,
        content=response.content or b"",
        request=response.request,
        elapsed=response.elapsed.total_seconds(),
        verify=True,
        message=response.reason or "",
        encoding=response.encoding,
    )


def _first_line(text: str) -> str:
    """The first non-blank line of a text ('' if none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _line_after(text: str, label: str) -> str | None:
    """The value of a 'Label: value' line in a schemathesis message, if present."""
    for line in text.splitlines():
        if line.startswith(f"{label}:"):
            return line.split(":", 1)[1].strip()
    return None


def describe_value(value: Any) -> str:
    """A JSON value in words that never quote a string (it may be a key): numbers as they are."""
    if isinstance(value, str):
        return f"a {len(value)}-character string"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"an object with keys {', '.join(sorted(map(str, value))[:6]) or '(none)'}"
    return json.dumps(value)


def _schema_error_text(failure: Any) -> str:
    """A JSON-schema failure as 'VALUE at /PATH breaks "keyword": RULE', quoting no string value."""
    path = "/" + "/".join(str(part) for part in failure.instance_path)
    keyword = str(failure.schema_path[-1]) if failure.schema_path else "schema"
    rule = failure.schema.get(keyword) if isinstance(failure.schema, dict) else None
    rule_text = json.dumps(rule)[:80] if rule is not None else "?"
    return f"{describe_value(failure.instance)} at {path} breaks {json.dumps(keyword)}: {rule_text}"


def _problem_from_failure(name: str, failure: Any, response: requests.Response) -> Problem:
    """A schemathesis Failure as a Problem: its first message line, or a quote-free schema error."""
    message = str(getattr(failure, "message", "") or "")
    expected = _line_after(message, "Documented") or _SCHEMATHESIS_EXPECTED[name]
    actual = _line_after(message, "Received") or _first_line(message)
    if name == "not_a_server_error":
        actual = f"{response.status_code} {response.reason or ''}".strip()
    if hasattr(failure, "instance_path") and hasattr(failure, "schema_path"):
        actual = _schema_error_text(failure)
    not_json = type(failure).__name__ == "MalformedJson"
    return Problem(str(failure.title), expected, actual or str(failure.title), not_json=not_json)


def run_schemathesis_check(
    name: str, case: Any, st_response: Any, response: requests.Response
) -> list[Problem]:
    """Run one built-in schemathesis check via Case.validate_response; one Problem per failure."""
    from schemathesis import checks as st_checks
    from schemathesis.core.failures import FailureGroup

    st_checks.load_all_checks()
    function = st_checks.CHECKS.get_one(name)
    try:
        case.validate_response(st_response, checks=[function])
    except FailureGroup as group:
        return [_problem_from_failure(name, failure, response) for failure in group.exceptions]
    return []


# --- running -----------------------------------------------------------------------------------


def _selected(
    checks: Iterable[str] | None, *, has_operation: bool, negative: bool
) -> tuple[str, ...]:
    """The checks to run, in CHECKS order; unknown names or no operation raise UsageProblem."""
    if checks is None:
        pool = CHECKS if has_operation else AZURE_CHECKS
        return tuple(n for n in pool if negative or n not in NEGATIVE_ONLY_CHECKS)
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
            "pass operation=... (see pytest_batchkeys.spec.get_operation)."
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
    exchange: Exchange, names: tuple[str, ...], operation: Any | None
) -> list[tuple[str, Problem]]:
    """Run the named checks in order; (check name, problem) for everything they found."""
    found: list[tuple[str, Problem]] = []
    st_names = [name for name in names if name in SCHEMATHESIS_CHECKS]
    if st_names and operation is not None:
        from pytest_batchkeys.interactions import case_for_request

        case = case_for_request(operation, exchange.response.request)
        st_response = schemathesis_response(exchange.response)
        for name in st_names:
            found += [
                (name, p)
                for p in run_schemathesis_check(name, case, st_response, exchange.response)
            ]
    for name in names:
        if name in _AZURE:
            found += [(name, p) for p in _AZURE[name](exchange)]
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
    scrub = _scrubber(exchange, redact)
    curl = curl_line(request, redact=scrub)
    failures = tuple(
        ContractViolation(
            check=name,
            title=scrub(problem.title),
            curl=curl,
            expected=scrub(problem.expected),
            actual=scrub(problem.actual),
        )
        for name, problem in _collect(exchange, names, operation)
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
