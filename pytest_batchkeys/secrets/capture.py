"""Transport capture: every secret that crosses `http.client` is registered before anyone reads it.

requests, urllib3, azure-core's default transport and vcrpy (when it records) all end in
`http.client`, so this is the one place that sees every exchange, whichever client made it:

- requests sent: credentials in `Authorization` and other secret-named headers, secret form or
  query fields (`client_secret=`), credential fields of JSON bodies;
- responses: the body is copied as it is read from the socket (`HTTPResponse.fp` is wrapped after
  the headers are parsed), and when the last byte has been read, before the read call returns to
  the client, the body is de-chunked, gunzipped or inflated and searched: credential fields of
  JSON (listKeys `primary`/`secondary`, `access_token`...), account-key-shaped values and JWTs
  anywhere (an error body that echoes a key).

Installed for live and record runs only; the original methods come back on uninstall.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import zlib
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import unquote_plus

from pytest_batchkeys.secrets.encodings import find_glued_keys, find_keys
from pytest_batchkeys.secrets.leakguard import REGISTRY, SecretRegistry

#: Bodies larger than this are not captured (no credential response is that big).
MAX_CAPTURE: Final = 8 * 1024 * 1024
_MAX_DECOMPRESSED: Final = 16 * 1024 * 1024

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def _kind_for(field: str) -> str:
    """The registry kind of a credential found in a JSON field."""
    lowered = field.lower()
    if lowered in ("primary", "secondary"):
        return f"{lowered} key"
    if "token" in lowered:
        return "bearer token"
    return "credential"


def register_text(text: str, registry: SecretRegistry = REGISTRY) -> int:
    """Register every credential in a request or response text; returns how many were new."""
    from pytest_batchkeys.secrets.scrub import (
        JWT_SHAPE,
        KEY_SHAPE,
        SECRET_PARAM,
        is_placeholder_key,
        json_secrets,
        parse_json_body,
        unescape,
    )

    added = 0
    parsed = parse_json_body(text)
    if parsed is not None:
        for field, value, _ in json_secrets(parsed):
            added += registry.add(value, _kind_for(field))
    keys = [unescape(match[0]) for match in KEY_SHAPE.finditer(text)]
    keys += [key for _, key in find_keys(text)] + list(find_glued_keys(text))
    for key in keys:
        if not is_placeholder_key(key):
            added += registry.add(key, "account key")
    if "eyJ" in text:
        added += registry.add_all((m[0] for m in JWT_SHAPE.finditer(text)), "bearer token")
    for match in SECRET_PARAM.finditer(text):
        added += registry.add(unquote_plus(match[3]), "credential")
    return added


def register_header(name: str, value: str, registry: SecretRegistry = REGISTRY) -> None:
    """Register the credential a request header carries (Authorization, api-key, cookies...)."""
    from pytest_batchkeys.secrets.scrub import _SECRET_HEADER

    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, credential = value.strip().partition(" ")
        registry.add(credential.strip() or scheme, "bearer token")
    elif _SECRET_HEADER.fullmatch(name):
        registry.add(value.strip(), "credential")


def dechunk(data: bytes) -> bytes:
    """The payload of a chunked transfer-encoded body (tolerant: stops at the first bad size)."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        if end < 0:
            break
        size_text = data[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            break
        if size == 0:
            break
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


def decode_body(data: bytes, encoding: str | None) -> str:
    """A captured body as text: gunzipped or inflated when declared or recognisable."""
    declared = (encoding or "").lower()
    if "gzip" in declared or "deflate" in declared or data[:2] == b"\x1f\x8b":
        for wbits in (47, -15):  # gzip or zlib header (detected), then raw deflate
            try:
                data = zlib.decompressobj(wbits).decompress(data, _MAX_DECOMPRESSED)
                break
            except zlib.error:
                continue
    return data.decode("utf-8", errors="replace")


class _Tee:
    """Wraps a response's socket file: passes every read through and keeps a copy of the bytes."""

    def __init__(self, fp: Any, chunked: bool, encoding: str | None, registry: SecretRegistry):
        self._fp = fp
        self._chunked = chunked
        self._encoding = encoding
        self._registry = registry
        self._parts: list[bytes] = []
        self._size = 0
        self._done = False

    def _keep(self, data: bytes) -> None:
        if data and self._size < MAX_CAPTURE:
            self._parts.append(bytes(data))
            self._size += len(data)

    def read(self, *args: Any) -> bytes:
        data: bytes = self._fp.read(*args)
        self._keep(data)
        return data

    def read1(self, *args: Any) -> bytes:
        data: bytes = self._fp.read1(*args)
        self._keep(data)
        return data

    def readline(self, *args: Any) -> bytes:
        data: bytes = self._fp.readline(*args)
        self._keep(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count: int = self._fp.readinto(buffer)
        if count:
            self._keep(bytes(memoryview(buffer)[:count]))
        return count

    def finish(self) -> None:
        """Register what the body holds (once; a failure here never breaks the client)."""
        if self._done:
            return
        self._done = True
        data = b"".join(self._parts)
        self._parts = []
        if not data or self._size >= MAX_CAPTURE:
            return
        try:
            body = dechunk(data) if self._chunked else data
            register_text(decode_body(body, self._encoding), self._registry)
        except Exception:
            pass

    def close(self) -> None:
        self.finish()
        self._fp.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def install_capture(registry: SecretRegistry = REGISTRY) -> None:
    """Patch http.client so every request sent and response read registers its secrets."""
    with _lock:
        if _originals:
            return
        response_cls, connection_cls = http.client.HTTPResponse, http.client.HTTPConnection
        begin, putheader, send = response_cls.begin, connection_cls.putheader, connection_cls.send
        putrequest = connection_cls.putrequest
        _originals.update(begin=begin, putheader=putheader, send=send, putrequest=putrequest)

        def patched_begin(self: http.client.HTTPResponse) -> None:
            begin(self)
            if self.fp is not None and not isinstance(self.fp, _Tee):
                encoding = self.getheader("content-encoding")
                self.fp = _Tee(self.fp, bool(self.chunked), encoding, registry)  # type: ignore[assignment]

        def patched_putheader(self: Any, header: Any, *values: Any) -> None:
            with contextlib.suppress(Exception):
                register_header(_text(header), " ".join(_text(v) for v in values), registry)
            putheader(self, header, *values)

        def patched_putrequest(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> None:
            if "=" in url:
                register_text(url, registry)
            putrequest(self, method, url, *args, **kwargs)

        def patched_send(self: Any, data: Any) -> None:
            if isinstance(data, bytes | bytearray | str) and len(data) < MAX_CAPTURE:
                text = data.decode("utf-8", "replace") if not isinstance(data, str) else data
                with contextlib.suppress(Exception):
                    register_text(_body_of(text), registry)
            send(self, data)

        response_cls.begin = patched_begin  # type: ignore[method-assign]
        connection_cls.putheader = patched_putheader  # type: ignore[method-assign]
        connection_cls.putrequest = patched_putrequest  # type: ignore[method-assign]
        connection_cls.send = patched_send  # type: ignore[method-assign]


def _body_of(sent: str) -> str:
    """What follows the header block of a sent message (the whole text when it has none)."""
    head, sep, body = sent.partition("\r\n\r\n")
    return body if sep and head[:12].count(" ") >= 1 and "HTTP/" in head[:200] else sent


def uninstall_capture() -> None:
    """Put http.client back as it was."""
    with _lock:
        if not _originals:
            return
        http.client.HTTPResponse.begin = _originals["begin"]  # type: ignore[method-assign]
        connection_cls = http.client.HTTPConnection
        connection_cls.putheader = _originals["putheader"]  # type: ignore[method-assign]
        connection_cls.putrequest = _originals["putrequest"]  # type: ignore[method-assign]
        connection_cls.send = _originals["send"]  # type: ignore[method-assign]
        _originals.clear()


def is_installed() -> bool:
    """True while http.client is patched."""
    return bool(_originals)


__all__ = ["dechunk", "decode_body", "install_capture", "register_text", "uninstall_capture"]
