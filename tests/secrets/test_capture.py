"""Transport capture: whatever client reads a response, its secrets are registered by the time
the client hands the body over (gzip, deflate and chunked bodies included)."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import urllib3

from pytest_batchkeys.secrets import capture
from pytest_batchkeys.secrets.leakguard import SecretRegistry

KEYS: dict[str, str] = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/token"):
            body = json.dumps({"access_token": KEYS["token"], "token_type": "Bearer"}).encode()
        elif self.path.startswith("/echo"):
            body = json.dumps({"error": {"code": f"Bad{KEYS['echo']}", "message": "x"}}).encode()
        else:
            body = json.dumps({"primary": KEYS["primary"], "secondary": KEYS["secondary"]}).encode()
        encoding = self.path.rpartition("/")[2]
        if encoding == "gzip":
            body = gzip.compress(body)
        elif encoding == "deflate":
            body = zlib.compress(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if encoding in ("gzip", "deflate"):
            self.send_header("Content-Encoding", encoding)
        if "chunked" in self.path:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 7):
                piece = body[start : start + 7]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    KEYS.update(
        primary=base64.b64encode(os.urandom(64)).decode(),
        secondary=base64.b64encode(os.urandom(64)).decode(),
        echo=base64.b64encode(os.urandom(64)).decode(),
        token="tok-" + base64.urlsafe_b64encode(os.urandom(30)).decode(),
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def registry() -> Iterator[SecretRegistry]:
    reg = SecretRegistry()
    capture.install_capture(reg)
    try:
        yield reg
    finally:
        capture.uninstall_capture()


def _requests(url: str) -> Any:
    return requests.post(url, timeout=5).json()


def _urllib3(url: str) -> Any:
    return json.loads(urllib3.PoolManager().request("POST", url).data)


def _http_client(url: str) -> Any:
    host, _, path = url.removeprefix("http://").partition("/")
    name, _, port = host.partition(":")
    conn = http.client.HTTPConnection(name, int(port), timeout=5)
    conn.request("POST", "/" + path, body=b"")
    response = conn.getresponse()
    data = response.read()
    if response.getheader("content-encoding") == "gzip":
        data = gzip.decompress(data)
    elif response.getheader("content-encoding") == "deflate":
        data = zlib.decompress(data)
    return json.loads(data)


def _azure_core(url: str) -> Any:
    from azure.core.pipeline.transport import RequestsTransport
    from azure.core.rest import HttpRequest

    with RequestsTransport() as transport:
        response = transport.send(HttpRequest("POST", url))
        response.read()
        return json.loads(response.text())


CLIENTS = {
    "requests": _requests,
    "urllib3": _urllib3,
    "http.client": _http_client,
    "azure-core": _azure_core,
}


@pytest.mark.parametrize("encoding", ["identity", "gzip", "deflate"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_keys_are_registered_before_the_client_returns(
    server: str, registry: SecretRegistry, client: str, framing: str, encoding: str
) -> None:
    body = CLIENTS[client](f"{server}/keys/{framing}/{encoding}")
    # the moment the client returns, both keys are known: the test body can print nothing
    assert body["primary"] == KEYS["primary"]
    assert registry.redact(body["primary"]) == "REDACTED"
    assert registry.redact(json.dumps(body)).count("REDACTED") == 2


def test_token_responses_and_echoed_keys_are_registered(
    server: str, registry: SecretRegistry
) -> None:
    token = _requests(f"{server}/token/length/gzip")["access_token"]
    assert registry.redact(token) == "REDACTED"
    echoed = _requests(f"{server}/echo/chunked/identity")["error"]["code"]
    assert KEYS["echo"] not in registry.redact(echoed)


def test_credentials_sent_are_registered(server: str, registry: SecretRegistry) -> None:
    bearer = "opaque-bearer-" + os.urandom(8).hex()
    secret = "cs~" + os.urandom(8).hex()
    requests.post(
        f"{server}/keys/length/identity",
        headers={"Authorization": f"Bearer {bearer}"},
        data={"client_id": "x", "client_secret": secret, "grant_type": "client_credentials"},
        timeout=5,
    )
    assert registry.redact(f"{bearer} {secret}") == "REDACTED REDACTED"


def test_uninstall_restores_http_client(server: str) -> None:
    originals = (http.client.HTTPResponse.begin, http.client.HTTPConnection.send)
    reg = SecretRegistry()
    capture.install_capture(reg)
    capture.uninstall_capture()
    assert (http.client.HTTPResponse.begin, http.client.HTTPConnection.send) == originals
    _requests(f"{server}/keys/length/identity")
    assert len(reg) == 0


def test_dechunk_and_decode() -> None:
    assert capture.dechunk(b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n") == b"abcde"
    assert capture.decode_body(gzip.compress(b'{"a": 1}'), "gzip") == '{"a": 1}'
    assert capture.decode_body(b"plain", None) == "plain"
