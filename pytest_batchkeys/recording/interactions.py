"""Turn recorded (vcrpy-serialized) interactions into requests objects and schemathesis cases.

Nothing here sends a request: the objects are built from what was recorded, so a cassette can be
validated by the contract checks exactly as if its response had just arrived.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict, HTTPResponse

from pytest_batchkeys.safeload import json_load
from pytest_batchkeys.secrets.placeholders import REDACTED, REDACTED_AUTHORIZATION

#: Request headers whose values are credentials; a built case carries placeholders instead.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-ms-authorization-auxiliary",
        "ocp-apim-subscription-key",
        "x-api-key",
        "api-key",
        "x-functions-key",
    }
)
_SECRET_HEADER_WORDS = ("token", "secret", "password", "credential", "signature")

_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


def is_secret_header(name: str) -> bool:
    """True for header names that carry credentials (by exact name or by a telling word)."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in _SECRET_HEADER_WORDS)


def redacted_header_value(name: str) -> str:
    """The placeholder shown instead of a secret header's value."""
    return REDACTED_AUTHORIZATION if name.lower() == "authorization" else REDACTED


def _header_values(value: Any) -> list[str]:
    """A recorded header value (a list, or a bare value from other tools) as a list of str."""
    items = value if isinstance(value, list | tuple) else [value]
    return [
        item
        if item.__class__ is str
        else item.decode("latin-1")
        if isinstance(item, bytes)
        else str(item)
        for item in items
    ]


def _headers_multi(raw: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Recorded headers as (name, value) pairs, one pair per recorded value."""
    return [
        (name, value) for name, values in (raw or {}).items() for value in _header_values(values)
    ]


def _joined(pairs: Iterable[tuple[str, str]]) -> CaseInsensitiveDict[str]:
    """Header pairs folded the way requests folds repeated headers (values joined by ', ').

    A repeated name keeps its first place and takes the spelling it was last given.
    """
    folded: dict[str, tuple[str, str]] = {}
    for name, value in pairs:
        key = name.lower()
        seen = folded.get(key)
        folded[key] = (name, f"{seen[1]}, {value}") if seen else (name, value)
    return CaseInsensitiveDict(dict(folded.values()))


def _as_bytes(body: Any) -> bytes:
    """A recorded body (str, bytes or None) as bytes; str is encoded as UTF-8."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return str(body).encode("utf-8")


def _decoded(content: bytes, encoding: str | None) -> bytes:
    """The body with its Content-Encoding undone, as requests hands it over; raw if that fails."""
    coding = (encoding or "").strip().lower()
    try:
        if coding == "gzip":
            return gzip.decompress(content)
        if coding == "deflate":
            return zlib.decompress(content)
    except (OSError, zlib.error, EOFError):
        return content
    return content


def request_from_interaction(interaction: Mapping[str, Any]) -> requests.PreparedRequest:
    """The recorded request as a PreparedRequest, URL, headers and body byte for byte as stored."""
    recorded = interaction["request"]
    prepared = requests.PreparedRequest()
    prepared.method = str(recorded["method"]).upper()
    prepared.url = str(recorded["uri"])
    prepared.headers = _joined(_headers_multi(recorded.get("headers")))
    body = recorded.get("body")
    prepared.body = None if body is None else _as_bytes(body)
    return prepared


def _raw_response(status: int, reason: str, pairs: list[tuple[str, str]]) -> HTTPResponse:
    """A urllib3 response holding the headers with repeats kept, for code that reads .raw."""
    headers = HTTPHeaderDict()
    for name, value in pairs:
        headers.add(name, value)
    return HTTPResponse(
        body=io.BytesIO(b""),
        headers=headers,
        status=status,
        reason=reason,
        version=11,
        preload_content=False,
    )


class RecordedResponse(requests.Response):
    """A requests.Response rebuilt from a recording; its `.raw` is built when first read.

    Only code that reads repeated headers (the schemathesis checks) needs the urllib3 response,
    and building it is a large part of rebuilding a response, so it waits until asked for.
    """

    _raw_parts: tuple[int, str, list[tuple[str, str]]] | None = None
    _raw_value: Any = None

    @property
    def raw(self) -> Any:
        if self._raw_value is None and self._raw_parts is not None:
            self._raw_value = _raw_response(*self._raw_parts)
            self._raw_parts = None
        return self._raw_value

    @raw.setter
    def raw(self, value: Any) -> None:
        self._raw_value, self._raw_parts = value, None


@dataclass(frozen=True)
class RecordedView:
    """What the Azure checks read of a recorded response, without a requests.Response."""

    status_code: int
    reason: str
    headers: CaseInsensitiveDict[str]
    content: bytes
    pairs: list[tuple[str, str]]


def recorded_view(interaction: Mapping[str, Any]) -> RecordedView:
    """The recorded response: status, reason, folded headers and the decoded body, as
    response_from_interaction gives them."""
    recorded = interaction["response"]
    pairs = _headers_multi(recorded.get("headers"))
    headers = _joined(pairs)
    body = recorded.get("body") or {}
    return RecordedView(
        status_code=int(recorded["status"]["code"]),
        reason=str(recorded["status"].get("message") or ""),
        headers=headers,
        content=_decoded(_as_bytes(body.get("string")), headers.get("Content-Encoding")),
        pairs=pairs,
    )


def response_from_interaction(interaction: Mapping[str, Any]) -> requests.Response:
    """The recorded response as a requests.Response whose .request is the recorded request."""
    view = recorded_view(interaction)
    status, reason, headers, pairs = view.status_code, view.reason, view.headers, view.pairs
    response = RecordedResponse()
    response.status_code = status
    response.reason = reason
    response.headers = headers
    response._content = view.content
    response._content_consumed = True  # type: ignore[attr-defined]
    response.encoding = requests.utils.get_encoding_from_headers(headers)
    response._raw_parts = (status, reason, pairs)
    response.request = request_from_interaction(interaction)
    response.url = str(response.request.url)
    return response


@functools.lru_cache(maxsize=64)
def _template_regex(template: str) -> re.Pattern[str]:
    """A regex matching a path template at the end of a URL path (a base path may precede it)."""
    parts = _PLACEHOLDER.split(template)
    pattern = "".join(
        f"(?P<p{index // 2}>[^/]*)" if index % 2 else re.escape(text)
        for index, text in enumerate(parts)
    )
    return re.compile(f"{pattern}/?$", re.IGNORECASE)


def path_parameters(template: str, path: str) -> dict[str, str] | None:
    """The template's {placeholders} in a URL path, percent-decoded; None if it does not match."""
    names = _PLACEHOLDER.findall(template)
    found = _template_regex(template).search(path)
    if found is None:
        return None
    return {name: unquote(found.group(f"p{index}")) for index, name in enumerate(names)}


def query_parameters(url: str) -> dict[str, str | list[str]]:
    """The URL's query as a dict; a repeated name maps to the list of its values."""
    query: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        previous = query.get(name)
        if previous is None:
            query[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            query[name] = [previous, value]
    return query


def _header_text(value: str | bytes) -> str:
    """A header value as str."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def case_headers(request: requests.PreparedRequest) -> dict[str, str]:
    """The request's headers with every secret value replaced by its placeholder."""
    return {
        name: redacted_header_value(name) if is_secret_header(name) else _header_text(value)
        for name, value in request.headers.items()
    }


def _request_body(request: requests.PreparedRequest) -> Any:
    """The request body for a case: parsed JSON, else the text; NOT_SET when empty."""

    from schemathesis.core import NOT_SET

    body = request.body
    if not body:
        return NOT_SET
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        return json_load(text)
    except ValueError:
        return text


def case_for_request(operation: Any, request: requests.PreparedRequest) -> Any:
    """The schemathesis Case `request` made; secret headers are placeholders (validate only)."""
    url = str(request.url or "")
    params = path_parameters(operation.path, urlsplit(url).path)
    if params is None:
        from pytest_batchkeys.errors import UsageProblem

        raise UsageProblem(
            f"The request URL {urlsplit(url).path!r} does not match the operation path "
            f"{operation.path!r}; pass the operation the request was made for."
        )
    return operation.Case(
        method=str(request.method or operation.method).upper(),
        path_parameters=params,
        query=query_parameters(url),
        headers=case_headers(request),
        body=_request_body(request),
    )


def interaction_from_response(response: requests.Response) -> dict[str, Any]:
    """A live exchange in vcrpy's serialized form (what a cassette stores), body as text."""
    request = response.request
    body = request.body
    return {
        "request": {
            "method": str(request.method),
            "uri": str(request.url),
            "body": body.decode("utf-8", "replace") if isinstance(body, bytes) else body,
            "headers": {name: [str(value)] for name, value in request.headers.items()},
        },
        "response": {
            "status": {"code": response.status_code, "message": response.reason or ""},
            "headers": {name: [value] for name, value in response.headers.items()},
            "body": {"string": response.content.decode("utf-8", "replace")},
        },
    }
