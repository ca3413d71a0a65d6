"""Replies as data, ARM/Entra error bodies and the headers every response carries."""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from pytest_batchkeys.simulator.config import ErrorChoice

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
#: environ key the app sets (to True) when its answer must end the connection (a cut body).
CLOSE_CONNECTION = "pytest_batchkeys.close_connection"
_SAFE_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
#: The generator behind new_uuid: its own state, so random.seed() in a test changes no id.
_IDS = random.Random(os.urandom(32))
if hasattr(os, "register_at_fork"):  # POSIX: a forked child reseeds, so it repeats no id
    os.register_at_fork(after_in_child=lambda: _IDS.seed(os.urandom(32)))


@dataclass(frozen=True)
class Caller:
    """Who made an authenticated request (x-ms-operation-identifier names them)."""

    tenant: str
    object_id: str


@dataclass
class Reply:
    """One answer before headers; `truncate` sends half the body, `drop` closes with no answer.

    `writes_used`: writes the subscription's bucket has spent, this one included (None: not a
    counted write); `exhausted`: the bucket refused this write; `caller`: who authenticated.
    """

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON_TYPE
    truncate: bool = False
    drop: bool = False
    writes_used: int | None = None
    exhausted: bool = False
    caller: Caller | None = None


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


def rp_error(
    choice: ErrorChoice,
    message: str,
    request_id: str,
    *,
    target: str = "BatchAccount",
    headers: list[tuple[str, str]] | None = None,
) -> Reply:
    """A Batch resource-provider error: message with RequestId/Time lines, and a target.

    source: facts §8 "A Batch resource provider 404": `The specified account does not
    exist.\nRequestId:<guid>\nTime:<ISO 8601 with 7 fractional digits>Z`, target "BatchAccount".
    """
    now = datetime.now(UTC)
    stamp = f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond:06d}0Z"
    text = f"{message}\nRequestId:{request_id}\nTime:{stamp}"
    return arm_error(choice, text, target=target, headers=headers)


def new_uuid() -> str:
    """A random (version 4) UUID as text, the same shape as `str(uuid.uuid4())` at a fifth of its
    cost: 122 random bits, version nibble 4, variant nibble one of 8, 9, a, b.

    The bits come from a private generator seeded from os.urandom, not from os.urandom itself:
    these are request ids, not secrets, and os.urandom releases the GIL on every call, which lets
    another thread take it in the middle of an answer (four ids per answer, four handoffs).
    """
    digits = f"{_IDS.getrandbits(128):032x}"
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def random_bits(count: int) -> int:
    """`count` random bits from new_uuid's generator (ids and edge references, not secrets)."""
    return _IDS.getrandbits(count)


@functools.lru_cache(maxsize=128)
def status_line(status: int) -> str:
    """`"429 Too Many Requests"`; unknown codes get a generic phrase."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"{status} {phrase}"


def retry_after_headers(seconds: float, *, with_ms: bool = False) -> list[tuple[str, str]]:
    """ARM's Retry-After: whole seconds, at least 1; retry-after-ms only when configured.

    source: facts §6.2 (request-limits-and-throttling.md: "a Retry-After value, which specifies
    the number of seconds") and §8 (no capture shows retry-after-ms from ARM; azure-core reads
    retry-after-ms first, so sending it makes SDK clients retry sooner than against Azure).
    """
    headers = [("Retry-After", str(max(1, math.ceil(seconds))))]
    if with_ms:
        headers.append(("retry-after-ms", str(max(0, round(seconds * 1000)))))
    return headers


def client_id_or_none(value: str | None) -> str | None:
    """A client-sent id worth echoing: short visible ASCII only, never header injection."""
    if value and _SAFE_ID.match(value):
        return value
    return None


@dataclass(frozen=True)
class RequestIds:
    """The ids one response carries in x-ms-* headers.

    source: facts §8 "Ids": x-ms-request-id and x-ms-correlation-request-id are two different
    UUIDs; the client's x-ms-client-request-id is never echoed. §6.4: the correlation id equals
    the client's value or is generated.
    """

    request_id: str
    correlation_id: str

    @classmethod
    def for_request(cls, correlation: str | None) -> RequestIds:
        """A new request id; the client's correlation id when usable, else another new one."""
        return cls(new_uuid(), client_id_or_none(correlation) or new_uuid())
