"""Replies as data, ARM/Entra error bodies and the headers every response carries."""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from pytest_batchkeys.simulator.config import ErrorChoice

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
_SAFE_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass
class Reply:
    """One answer before headers; `truncate` sends half the body, `drop` closes with no answer."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON_TYPE
    truncate: bool = False
    writes_remaining: int | None = None
    drop: bool = False


def json_reply(status: int, payload: object, headers: list[tuple[str, str]] | None = None) -> Reply:
    """A JSON reply with compact, deterministic serialization."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, headers or [])


def arm_error(
    choice: ErrorChoice,
    message: str,
    *,
    target: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Reply:
    """An ARM CloudError reply: {"error": {"code", "message", "target"?}}."""
    error: dict[str, str] = {"code": choice.code, "message": message}
    if target is not None:
        error["target"] = target
    return json_reply(choice.status, {"error": error}, headers)


def status_line(status: int) -> str:
    """`"429 Too Many Requests"`; unknown codes get a generic phrase."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"{status} {phrase}"


def retry_after_headers(seconds: float) -> list[tuple[str, str]]:
    """Retry-After in whole seconds (HTTP allows no fractions) plus retry-after-ms when finer."""
    headers = [("Retry-After", str(math.ceil(seconds)))]
    if seconds != math.ceil(seconds):
        headers.append(("retry-after-ms", str(round(seconds * 1000))))
    return headers


def client_id_or_none(value: str | None) -> str | None:
    """A client-sent id worth echoing: short visible ASCII only, never header injection."""
    if value and _SAFE_ID.match(value):
        return value
    return None


@dataclass(frozen=True)
class RequestIds:
    """The ids one response carries in x-ms-* headers."""

    request_id: str
    correlation_id: str
    client_request_id: str | None

    @classmethod
    def for_request(cls, correlation: str | None, client_request: str | None) -> RequestIds:
        """New request id; the client's correlation id when it sent a usable one."""
        request_id = str(uuid.uuid4())
        return cls(
            request_id,
            client_id_or_none(correlation) or request_id,
            client_id_or_none(client_request),
        )


def common_headers(
    reply: Reply, ids: RequestIds, region: str, writes: int
) -> list[tuple[str, str]]:
    """The ARM header set every simulator response carries, plus the reply's own headers."""
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = [
        ("Content-Type", reply.content_type),
        ("Content-Length", str(len(reply.body))),
        ("Cache-Control", "no-cache"),
        ("Pragma", "no-cache"),
        ("Expires", "-1"),
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("x-ms-request-id", ids.request_id),
        ("x-ms-correlation-request-id", ids.correlation_id),
        ("x-ms-routing-request-id", f"{region}:{now}:{ids.correlation_id}"),
        ("x-ms-ratelimit-remaining-subscription-writes", str(writes)),
    ]
    if ids.client_request_id is not None:
        headers.append(("x-ms-client-request-id", ids.client_request_id))
    headers.extend(reply.headers)
    return headers
