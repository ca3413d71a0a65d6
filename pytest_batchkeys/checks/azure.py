"""Azure's own listKeys rules: each check takes an Exchange and returns the Problems it found."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests

from pytest_batchkeys.checks.violations import Problem, describe_value
from pytest_batchkeys.recording.interactions import path_parameters
from pytest_batchkeys.safeload import LoadRefused, json_load

__all__ = [
    "AZURE",
    "KEY_FIELDS",
    "AzureCheck",
    "Exchange",
    "account_name_echoes_request",
    "cloud_error_shape",
    "exchange_for",
    "json_body",
    "keys_are_base64_64_bytes",
    "keys_differ",
    "make_exchange",
    "rejects_invalid_input",
    "request_id_headers_present",
    "throttled_has_retry_after",
    "unauthorized_has_www_authenticate",
]

KEY_FIELDS: Final = ("primary", "secondary")
KEY_BYTES: Final = 64
REQUEST_ID_HEADERS: Final = ("x-ms-request-id", "x-ms-correlation-request-id")


# --- what the checks look at -------------------------------------------------------------------


_NOT_PARSED: Final = object()


class ResponseLike(Protocol):
    """What the Azure checks read of a response: a requests.Response, or a recording's view."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


@dataclass(frozen=True)
class Exchange:
    """One response and what the checks derive from it: parsed body, requested account, options."""

    response: ResponseLike
    url: str
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


def media_type(response: ResponseLike) -> str:
    """The response's media type, lower-cased, without parameters ('' when absent)."""
    return str(response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def claims_json(response: ResponseLike) -> bool:
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
    if isinstance(error, LoadRefused):
        return f"the JSON {error.problem} ({len(content)} bytes)"
    return f"the body is not UTF-8 text ({len(content)} bytes)"


def parse_body(content: bytes) -> tuple[Any, str | None]:
    """(parsed JSON, None), or (_NOT_PARSED, reason) when the body is empty or not JSON."""
    if not content.strip():
        return _NOT_PARSED, "the body is empty"
    try:
        return json_load(content), None
    except ValueError as error:
        return _NOT_PARSED, _json_error_text(content, error)


@functools.lru_cache(maxsize=256)  # a run or a recording asks for the same URLs again
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
    return exchange_for(
        response,
        url=str(response.request.url or ""),
        expected_account=expected_account,
        selected=selected,
        negative=negative,
    )


def exchange_for(
    response: ResponseLike,
    *,
    url: str,
    expected_account: str | None = None,
    selected: Iterable[str] = (),
    negative: bool = False,
) -> Exchange:
    """The Exchange for any response-like object sent to `url` (see make_exchange)."""
    body, error = parse_body(response.content or b"")
    account, api_version = _listkeys_parts(url)
    return Exchange(
        response=response,
        url=url,
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
                f"no account name in {urlsplit(exchange.url).path!r}",
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
#: Every Azure check by name.
AZURE: Final[Mapping[str, AzureCheck]] = {
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
