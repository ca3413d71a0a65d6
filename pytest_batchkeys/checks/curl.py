"""A request as a curl line with every secret (header, query, body field, userinfo) redacted."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from pytest_batchkeys.recording.interactions import is_secret_header, redacted_header_value
from pytest_batchkeys.safeload import json_load
from pytest_batchkeys.secrets.placeholders import REDACTED

__all__ = ["SECRET_FIELDS", "curl_line"]

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
_MAX_BODY_IN_CURL: Final = 300


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
        text = json.dumps(_redacted_json(json_load(body)), separators=(",", ":"))
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
