"""HTTP serving: werkzeug, threaded, quiet; unparsable requests get an ARM-shaped answer."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from pytest_batchkeys.simulator.wire import JSON_TYPE


class QuietHandler(WSGIRequestHandler):
    """Logs nothing, times out idle clients, and answers unparsable HTTP with an ARM body."""

    timeout = 30

    def log(self, type: str, message: str, *args: Any) -> None:
        """Silence: per-request logs would cost time and could echo tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence, see log()."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Status line and Date only: the app sends a Server header when its profile has one.

        source: facts §8, 2024+ ARM responses carry no Server header.
        """
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def parse_request(self) -> bool:
        """Refuse HTTP/0.9 before reading headers: its answer would have no status line."""
        words = self.raw_requestline.decode("iso-8859-1").split()
        if len(words) == 2 or (len(words) == 3 and words[2].upper() == "HTTP/0.9"):
            self.command = words[0] if words else ""
            self.send_error(400, "HTTP/0.9 is not supported; send HTTP/1.0 or HTTP/1.1")
            return False
        return bool(super().parse_request())

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """ARM-shaped error for requests http.server rejects before the app sees them."""
        body = json.dumps(
            {"error": {"code": "BadRequest", "message": f"Malformed HTTP request: {message}"}}
        ).encode()
        self.close_connection = True
        code = code if code < 500 else 400  # bad client input is never a server error here
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # an unparsable request line still gets a status line
        try:
            self.send_response(code)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", None) != "HEAD" and code >= 200:
                self.wfile.write(body)
        except OSError:
            pass


class QuietServer(ThreadedWSGIServer):
    """A threaded werkzeug server that never prints a traceback for a bad connection."""

    daemon_threads = True
    handler_errors = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Count instead of printing: a bad client must not spam or stop the server."""
        self.handler_errors += 1


def make_quiet_server(host: str, port: int, app: Any) -> QuietServer:
    """A bound, listening server for `app`; port 0 picks a free port."""
    return QuietServer(host, port, app, QuietHandler)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
