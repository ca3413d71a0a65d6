"""HTTPS for the simulator: a throwaway test CA (trustme), its loopback certificate, TLS serving.

trustme (and cryptography under it) is imported only when a simulator is asked for TLS.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.simulator.server import QuietHandler, QuietServer

#: The names every simulator certificate is valid for, whatever address it binds.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
ORGANIZATION = "pytest-batchkeys simulator (test CA, never trust in production)"


def _trustme() -> Any:
    try:
        import trustme
    except ImportError:
        raise ConfigError(
            "The simulator's TLS needs the trustme package, which is not installed. "
            "Install it with: pip install 'pytest-batchkeys[tls]'"
        ) from None
    return trustme


class TestAuthority:
    """A certificate authority made for one simulator and the server certificate it issued."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, hosts: Sequence[str] = ()) -> None:
        trustme = _trustme()
        names = list(dict.fromkeys([*LOOPBACK_NAMES, *(h.strip("[]") for h in hosts)]))
        self.hosts = tuple(names)
        self._ca = trustme.CA(organization_name=ORGANIZATION)
        self._leaf = self._ca.issue_cert(*names, organization_name=ORGANIZATION)
        self.ca_pem: bytes = self._ca.cert_pem.bytes()

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the loopback certificate (TLS 1.2 or newer)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client-side context that trusts this authority only, hostname checks on."""
        return ssl.create_default_context(cadata=self.ca_pem.decode("ascii"))

    def write_ca(self, path: str | Path) -> Path:
        """Write the CA certificate (PEM, public) to `path`, creating parent folders."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.ca_pem)
        except OSError as exc:
            raise ConfigError(
                f"Cannot write the simulator's CA certificate to {target}: {exc.strerror or exc}. "
                "Choose a writable path."
            ) from None
        return target


class TlsHandler(QuietHandler):
    """QuietHandler whose TLS handshake runs in the connection's own thread, under its timeout."""

    def setup(self) -> None:
        super().setup()
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            connection.do_handshake()


class TlsServer(QuietServer):
    """QuietServer over TLS: accepts plain sockets and wraps each one without a handshake, so a
    silent or slow client holds up only its own thread, never the accept loop."""

    tls_context: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        wrapped = self.tls_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address


def make_tls_server(host: str, port: int, app: Any, context: ssl.SSLContext) -> TlsServer:
    """A bound, listening HTTPS server for `app`; port 0 picks a free port."""
    server = TlsServer(host, port, app, TlsHandler)
    server.tls_context = context
    server.ssl_context = context  # werkzeug then reports wsgi.url_scheme "https"
    return server
