"""The one check of a recorded interaction, shared by replay and `batchkeys verify`.

A cassette is valid when vcrpy can replay every interaction without tripping on a value: the
problem is reported as (field, what is wrong) so the caller can say "interaction N, field F".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urlsplit

from pytest_batchkeys.errors import CassetteError

FORMAT_VERSION: Final = 1
#: Our metadata's top-level key in a cassette (vcrpy ignores it).
METADATA_KEY: Final = "batchkeys"
#: What to do about an existing cassette that cannot be used (record mode never replaces one).
REMEDY: Final = (
    "Restore it from version control, or record it again with --batch-record-all "
    "(plain --batch-record keeps existing cassettes, broken ones included)."
)
EXPECTED_SHAPE: Final = (
    f"Expected a vcrpy cassette: a mapping with 'interactions' (a list) and 'version: "
    f"{FORMAT_VERSION}'."
)
REQUEST_KEYS: Final = ("method", "uri", "body", "headers")
#: Status codes an HTTP response can carry (RFC 9110, three digits).
STATUS_RANGE: Final = range(100, 600)
_KINDS: Final = {
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "NoneType": "null",
    "list": "a list",
    "dict": "a mapping",
    "bytes": "binary data",
    "datetime": "a date",
    "date": "a date",
}


def kind(value: Any) -> str:
    """A reader's name for a YAML value's type: 'a string', 'a list', 'null'..."""
    return _KINDS.get(type(value).__name__, f"a {type(value).__name__}")


def _shown(value: Any) -> str:
    """A short quotation of a value for a message (long values cut)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _uri_problem(uri: str) -> str | None:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError for a port out of range or not a number)
    except ValueError as exc:
        return f"{_shown(uri)} is not a valid URI ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{_shown(uri)} is not an absolute http(s) URI"
    return None


def _header_problems(headers: Any, where: str) -> Iterator[tuple[str, str]]:
    """(field, problem) for headers that are not a mapping of names to strings or string lists."""
    if not isinstance(headers, dict):
        yield where, f"is {kind(headers)}, not a mapping of header names to values"
        return
    for name, value in headers.items():
        if not isinstance(name, str) or not name:
            yield f"{where}.{name}", f"the header name is {kind(name)}, not a non-empty string"
            return
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str):
                yield (
                    f"{where}.{name}",
                    f"a header value is {kind(item)} ({_shown(item)}), not a string",
                )
                return
            if "\r" in item or "\n" in item:
                yield f"{where}.{name}", "a header value holds a line break"
                return


def _request_problems(request: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(request, dict):
        yield "request", f"is {kind(request)}, not a mapping"
        return
    missing = [key for key in REQUEST_KEYS if key not in request]
    if missing:
        yield "request", f"has no {', '.join(repr(key) for key in missing)}"
        return
    extra = sorted(str(key) for key in request if key not in REQUEST_KEYS)
    if extra:
        yield "request", f"has unknown keys {', '.join(repr(key) for key in extra)}"
        return
    method, uri = request["method"], request["uri"]
    if not isinstance(method, str) or not method.isalpha():
        yield "request.method", f"is {_shown(method)}, not an HTTP method such as 'POST'"
        return
    if not isinstance(uri, str):
        yield "request.uri", f"is {kind(uri)}, not a string"
        return
    problem = _uri_problem(uri)
    if problem:
        yield "request.uri", problem
        return
    yield from _header_problems(request["headers"], "request.headers")
    if not isinstance(request["body"], str | bytes | None):
        yield "request.body", f"is {kind(request['body'])}, not a string, binary data or null"


def _response_problems(response: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(response, dict):
        yield "response", f"is {kind(response)}, not a mapping"
        return
    status = response.get("status")
    if not isinstance(status, dict):
        yield "response.status", "is missing or not a mapping with 'code' and 'message'"
        return
    code = status.get("code")
    if type(code) is not int:
        yield "response.status.code", f"is {kind(code)} ({_shown(code)}), not an integer"
        return
    if code not in STATUS_RANGE:
        yield "response.status.code", f"{_shown(code)} is not an HTTP status code (100-599)"
        return
    if not isinstance(status.get("message"), str):
        yield "response.status.message", f"is {kind(status.get('message'))}, not a string"
        return
    if "headers" not in response:
        yield "response.headers", "is missing"
        return
    yield from _header_problems(response["headers"], "response.headers")
    body = response.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("string"), str | bytes | None):
        yield "response.body", "is not a mapping with a 'string' (text, binary data or null)"


def interaction_problem(item: Any) -> tuple[str, str] | None:
    """(field, problem) of the first thing vcrpy could not replay, or None if usable."""
    if not isinstance(item, dict):
        return "(interaction)", f"is {kind(item)}, not a mapping with 'request' and 'response'"
    for problem in _request_problems(item.get("request")):
        return problem
    for problem in _response_problems(item.get("response")):
        return problem
    return None


def check_interactions(where: str, interactions: list[Any]) -> None:
    """CassetteError 'Cassette X, interaction N, field F: ...' for the first unusable one."""
    for number, item in enumerate(interactions, start=1):
        found = interaction_problem(item)
        if found is not None:
            field, problem = found
            raise CassetteError(
                f"Cassette {where}, interaction {number}, field {field}: {problem}. vcrpy "
                f"cannot replay it and verify cannot check it. {REMEDY}",
                anchor="cassette-format",
            )


def _format_error(where: str, problem: str) -> CassetteError:
    """A CassetteError for a file that parses but is not a usable vcrpy cassette."""
    return CassetteError(
        f"Cassette {where} {problem}. {EXPECTED_SHAPE} {REMEDY}", anchor="cassette-format"
    )


def check_cassette(where: str, data: Any) -> tuple[list[Any], dict[str, Any]]:
    """(interactions, our metadata) of a valid vcrpy cassette; CassetteError says what is wrong."""
    if isinstance(data, list):
        raise CassetteError(
            f"Cassette {where} is in the pre-1.0 vcrpy format (a bare list of "
            f"interactions). {EXPECTED_SHAPE} vcrpy converts old cassettes with `python -m "
            f"vcr.migration {where}`; or record it again with --batch-record-all.",
            anchor="cassette-format",
        )
    if not isinstance(data, dict):
        raise _format_error(where, f"holds {kind(data)} at the top level, not a mapping")
    if "interactions" not in data:
        keys = ", ".join(map(str, data)) or "none"
        raise _format_error(where, f"has no 'interactions' key (keys found: {keys})")
    if "version" not in data:
        raise _format_error(where, "has no 'version' key")
    version = data["version"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise CassetteError(
            f"Cassette {where} has format version {_shown(version)} ({kind(version)}); "
            f"pytest-batchkeys reads vcrpy's cassette format version {FORMAT_VERSION} (the "
            "number) only (vcrpy 1.0 and later). Was it written by another tool or a newer "
            "vcrpy? " + REMEDY,
            anchor="cassette-format",
        )
    interactions = data["interactions"]
    if not isinstance(interactions, list):
        raise _format_error(where, f"has 'interactions' holding {kind(interactions)}, not a list")
    check_interactions(where, interactions)
    for key in ("metadata", METADATA_KEY):
        if not isinstance(data.get(key) or {}, dict):
            raise _format_error(where, f"has {key!r} holding {kind(data[key])}, not a mapping")
    return interactions, dict(data.get(METADATA_KEY) or {})
