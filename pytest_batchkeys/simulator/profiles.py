"""Header profiles: which headers ARM sends in a given era, and gzip when the client accepts it.

source: azure-listkeys-facts.md §8 (18 public listKeys recordings, 2019-2026) and §6.4 (a
2022 vcrpy recording with its wire headers).
"""

from __future__ import annotations

import functools
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pytest_batchkeys.simulator.wire import (
    Caller,
    Reply,
    RequestIds,
    client_id_or_none,
    new_uuid,
    random_bits,
)

#: Bodies up to this size keep their gzip form in a small cache (a listKeys body is ~200 bytes).
_GZIP_CACHE_LIMIT = 16 * 1024


@dataclass(frozen=True)
class HeaderProfile:
    """What a response looks like on the wire in one era of ARM."""

    name: str
    #: The Server header; None sends none.
    server: str | None
    #: gzip bodies go with Transfer-Encoding: chunked instead of Content-Length.
    chunked_gzip: bool
    #: X-Cache and X-MSEdge-Ref (the Azure Front Door edge in front of ARM).
    edge_headers: bool
    #: x-ms-operation-identifier naming the caller's tenant and object id.
    operation_identifier: bool
    #: x-ms-ratelimit-remaining-subscription-writes on the first write to a full bucket.
    remaining_writes: int
    #: x-ms-ratelimit-remaining-subscription-global-writes likewise; None: not sent.
    remaining_global_writes: int | None


PROFILES: dict[str, HeaderProfile] = {
    # source: facts §8 "2024+ header set" (test-proxy JSON, JS SDK; 2026 for the operation
    # identifier and the 799 / 11999 counters): no Server header, X-Cache, X-MSEdge-Ref.
    "2024": HeaderProfile(
        name="2024",
        server=None,
        chunked_gzip=False,
        edge_headers=True,
        operation_identifier=True,
        remaining_writes=799,
        remaining_global_writes=11999,
    ),
    # source: facts §6.4 and §8 "2019-2023" (vcrpy wire form): Server: Microsoft-HTTPAPI/2.0,
    # gzip bodies chunked without Content-Length, remaining writes 1199. No Connection header
    # either (source: the §6.4 wire headers and §8 list none), so this profile keeps connections
    # alive like "2024" (server.py QuietHandler).
    "2019": HeaderProfile(
        name="2019",
        server="Microsoft-HTTPAPI/2.0",
        chunked_gzip=True,
        edge_headers=False,
        operation_identifier=False,
        remaining_writes=1199,
        remaining_global_writes=None,
    ),
}


@dataclass(frozen=True)
class Remaining:
    """What the rate-limit headers say for one response."""

    writes: int
    global_writes: int | None

    @classmethod
    def after(cls, start: int, global_start: int | None, used: int, exhausted: bool) -> Remaining:
        """Counters that start at `start` on the first write and count down one per write.

        source: facts §8 "Rate-limit header": 1199 then 1198 on consecutive writes (2019-2024),
        799 with global-writes 11999 (2026). A refused write says 0 (UNCONFIRMED).
        """
        if exhausted:
            return cls(0, 0 if global_start is not None else None)
        spent = max(0, used - 1)
        glob = None if global_start is None else max(0, global_start - spent)
        return cls(max(0, start - spent), glob)


@dataclass(frozen=True)
class _Stamps:
    """The two forms of the current UTC second the ARM headers carry."""

    second: int
    #: x-ms-routing-request-id's form, e.g. 20260801T101500Z.
    compact: str
    #: X-MSEdge-Ref's Ref C form, e.g. 2026-08-01T10:15:00Z.
    iso: str


_stamps = _Stamps(-1, "", "")


def _now_stamps() -> _Stamps:
    """The current second's stamps, formatted once per second (headers carry whole seconds)."""
    global _stamps
    second = int(time.time())
    stamps = _stamps
    if stamps.second != second:
        moment = datetime.fromtimestamp(second, UTC)
        stamps = _Stamps(second, f"{moment:%Y%m%dT%H%M%SZ}", f"{moment:%Y-%m-%dT%H:%M:%SZ}")
        _stamps = stamps  # one assignment: threads see the old or the new stamps, both whole
    return stamps


def _edge_ref(region: str, iso_now: str) -> str:
    """`Ref A: <32 upper hex> Ref B: <edge machine> Ref C: <ISO time>` (facts §8)."""
    ref_a = f"{random_bits(128):032X}"
    machine = f"{(region[:3] or 'SIM').upper()}EDGE{random_bits(32) % 10_000:04d}"
    return f"Ref A: {ref_a} Ref B: {machine} Ref C: {iso_now}"


def operation_identifier(caller: Caller, region: str) -> str:
    """`tenantId=<guid>,objectId=<guid>/<region>/<guid>` (facts §8, 2026 recording)."""
    return f"tenantId={caller.tenant},objectId={caller.object_id}/{region.lower()}/{new_uuid()}"


def arm_headers(
    profile: HeaderProfile,
    reply: Reply,
    ids: RequestIds,
    region: str,
    remaining: Remaining,
    caller: Caller | None,
) -> list[tuple[str, str]]:
    """The ARM header set of one profile, plus the reply's own headers (no length yet).

    source: facts §8 "Ids": x-ms-request-id differs from the correlation id and the client's
    x-ms-client-request-id is never echoed.
    """
    stamps = _now_stamps()
    headers = [
        ("Cache-Control", "no-cache"),
        ("Pragma", "no-cache"),
        ("Content-Type", reply.content_type),
        ("Expires", "-1"),
    ]
    if profile.server is not None:
        headers.append(("Server", profile.server))
    headers += [
        ("x-ms-ratelimit-remaining-subscription-writes", str(remaining.writes)),
    ]
    if remaining.global_writes is not None:
        headers.append(
            ("x-ms-ratelimit-remaining-subscription-global-writes", str(remaining.global_writes))
        )
    headers += [
        ("x-ms-request-id", ids.request_id),
        ("x-ms-correlation-request-id", ids.correlation_id),
        ("x-ms-routing-request-id", f"{region}:{stamps.compact}:{ids.correlation_id}"),
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if profile.operation_identifier and caller is not None:
        headers.append(("x-ms-operation-identifier", operation_identifier(caller, region)))
    if profile.edge_headers:
        headers += [("X-Cache", "CONFIG_NOCACHE"), ("X-MSEdge-Ref", _edge_ref(region, stamps.iso))]
    headers.extend(reply.headers)
    return headers


def entra_headers(
    reply: Reply, ids: RequestIds, client_request: str | None
) -> list[tuple[str, str]]:
    """Entra's token-endpoint header set: no-store caching, its own ids, client-request-id echoed.

    source: issue 15's table (Entra answers `Cache-Control: no-store, no-cache` and echoes
    `client-request-id`); the other headers are the ones every Microsoft front end sends.
    """
    headers = [
        ("Cache-Control", "no-store, no-cache"),
        ("Pragma", "no-cache"),
        ("Content-Type", reply.content_type),
        ("Expires", "-1"),
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("x-ms-request-id", ids.request_id),
    ]
    echoed = client_id_or_none(client_request)
    if echoed is not None:
        headers.append(("client-request-id", echoed))
    headers.extend(reply.headers)
    return headers


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when Accept-Encoding lists gzip (or *) with a non-zero quality."""
    if not accept_encoding:
        return False
    if len(accept_encoding) <= 256:  # the few values clients send, answered from a small cache
        return _accepts_gzip_cached(accept_encoding)
    return _accepts_gzip(accept_encoding)


@functools.lru_cache(maxsize=64)
def _accepts_gzip_cached(accept_encoding: str) -> bool:
    return _accepts_gzip(accept_encoding)


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = params.strip().lower().removeprefix("q=").strip()
        try:
            if not params.strip() or float(quality) > 0:
                return True
        except ValueError:
            continue
    return False


def encode_body(
    profile: HeaderProfile,
    body: bytes,
    headers: list[tuple[str, str]],
    gzip_ok: bool,
    *,
    keep_length: bool = False,
) -> tuple[bytes, list[tuple[str, str]]]:
    """The body as sent and the final headers: gzip + Vary when accepted, then the length.

    source: facts §8 "2019-2023": when the request said Accept-Encoding: gzip the body came
    gzip-compressed with Vary: Accept-Encoding; test-proxy recordings (2024+) store decoded bodies,
    which is no evidence that ARM stopped compressing.
    """
    if not gzip_ok or not body:
        return body, [*headers, ("Content-Length", str(len(body)))]
    packed = _gzip_cached(body) if len(body) <= _GZIP_CACHE_LIMIT else gzip_body(body)
    extra = [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    if keep_length or not profile.chunked_gzip:
        extra.append(("Content-Length", str(len(packed))))
    return packed, [*headers, *extra]


def gzip_body(body: bytes) -> bytes:
    """`body` in gzip form; the same bytes in give the same bytes out (no time in the header).

    gzip wrapper (16 +), 4 KiB window, small state: 36 us instead of gzip.compress's 140 us
    for a listKeys body; bodies are small, so the window costs no compression.
    """
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + 12, 2)
    return packer.compress(body) + packer.flush()


@functools.lru_cache(maxsize=64)
def _gzip_cached(body: bytes) -> bytes:
    """gzip_body of a small body, compressed once: an account's keys answer is sent again and
    again byte for byte, so its gzip form is too."""
    return gzip_body(body)
