"""HTTP serving: werkzeug, threaded, quiet, HTTP/1.1 keep-alive; unparsable requests get an
ARM-shaped answer."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import selectors
import socket
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, connection_dropped_errors

from pytest_batchkeys.simulator.wire import CLOSE_CONNECTION, JSON_TYPE

#: An unread request body up to this size is read and discarded to keep the connection.
DRAIN_LIMIT = 64 * 1024
_DIGITS = re.compile(r"^[0-9]{1,18}$")


class RequestBody:
    """wsgi.input for a Content-Length body: reads stop at its end and count what is left."""

    def __init__(self, rfile: Any, length: int) -> None:
        self._rfile = rfile
        self.remaining = length
        self.cut = False  # the client closed before sending the whole body

    def _limit(self, size: int | None) -> int:
        if size is None or size < 0 or size > self.remaining:
            return self.remaining
        return size

    def _count(self, data: bytes, wanted: int) -> bytes:
        self.remaining -= len(data)
        if len(data) < wanted and not data.endswith(b"\n"):
            self.cut = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._limit(size)
        return self._count(bytes(self._rfile.read(wanted)), wanted) if wanted > 0 else b""

    def readline(self, size: int | None = -1) -> bytes:
        wanted = self._limit(size)
        return self._count(bytes(self._rfile.readline(wanted)), wanted) if wanted > 0 else b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def discard(self, limit: int) -> bool:
        """Read and drop the rest when it is at most `limit` bytes; True when nothing is left."""
        if self.remaining > limit:
            return False
        try:
            while self.remaining > 0 and not self.cut:
                self.read(min(self.remaining, 65536))
        except OSError:
            return False
        return self.remaining == 0 and not self.cut


class QuietHandler(WSGIRequestHandler):
    """Logs nothing, keeps HTTP/1.1 connections alive unless reuse is unsafe (see run_wsgi),
    times out idle clients, and answers unparsable HTTP with an ARM body."""

    #: Seconds a read or write may wait, and how long a kept-alive connection may sit idle.
    timeout = 30
    #: Answers go out as soon as they are written (keep-alive would otherwise meet delayed ACKs).
    disable_nagle_algorithm = True
    _served = False
    _body: RequestBody | None = None
    _must_close = False

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

    def handle_one_request(self) -> None:
        """Wait for the next request of a kept-alive connection as an idle connection: the
        server's stop closes idle connections, and the timeout ends a silent one."""
        if self._served:
            server = self.server
            if isinstance(server, QuietServer) and not server.mark_idle(self.connection, True):
                self.close_connection = True
                return
            try:
                rfile: Any = self.rfile  # a BufferedReader: peek waits for the next byte
                waiting = bytes(rfile.peek(1))
            except (OSError, ValueError):
                waiting = b""
            finally:
                if isinstance(server, QuietServer):
                    server.mark_idle(self.connection, False)
            if not waiting:
                self.close_connection = True
                return
        self._served = True
        super().handle_one_request()

    def parse_request(self) -> bool:
        """Refuse HTTP/0.9 before reading headers: its answer would have no status line."""
        words = self.raw_requestline.decode("iso-8859-1").split()
        if len(words) == 2 or (len(words) == 3 and words[2].upper() == "HTTP/0.9"):
            self.command = words[0] if words else ""
            self.send_error(400, "HTTP/0.9 is not supported; send HTTP/1.0 or HTTP/1.1")
            return False
        return bool(super().parse_request())

    def _frame(self, environ: dict[str, Any]) -> bool:
        """Put a counting reader on the body (none: an empty one); False when the request
        forbids reusing the connection (HTTP/1.0, `Connection: close`, any Transfer-Encoding,
        a repeated or invalid Content-Length)."""
        self._body = None
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") is not None:
            return False  # chunked (or unknown) framing: werkzeug's reader, then close
        if not lengths:
            self._body = RequestBody(self.rfile, 0)
            environ["wsgi.input"] = self._body
            return not self.close_connection and self.request_version >= "HTTP/1.1"
        if len(lengths) > 1 or not _DIGITS.match(lengths[0].strip()):
            return False
        self._body = RequestBody(self.rfile, int(lengths[0].strip()))
        environ["wsgi.input"] = self._body
        return not self.close_connection and self.request_version >= "HTTP/1.1"

    def _keep_alive(self, environ: dict[str, Any]) -> bool:
        """True when the connection can carry another request after this answer."""
        server = self.server
        if self._must_close or environ.get(CLOSE_CONNECTION):
            return False
        if isinstance(server, QuietServer) and server.closing:
            return False
        body = self._body
        return body is not None and not body.cut and body.remaining <= DRAIN_LIMIT

    def run_wsgi(self) -> None:
        """werkzeug's run_wsgi with HTTP/1.1 keep-alive: `Connection: close` (and a close) only
        when reusing the connection would be unsafe.

        source: facts §8 "2024+ header set": Azure's answers carry no `Connection: close`.
        """
        self.environ = environ = self.make_environ()
        self._must_close = not self._frame(environ)
        is_head = environ["REQUEST_METHOD"] == "HEAD"
        state: dict[str, Any] = {"status": None, "headers": None, "sent": False}
        length: list[int | None] = [None]
        written = [0]
        chunked = [False]

        def write(data: bytes) -> None:
            assert state["status"] is not None, "write() before start_response"
            head = b""
            if not state["sent"]:
                state["sent"] = True
                head = self._head(str(state["status"]), state["headers"], is_head, length, chunked)
                if not self._keep_alive(environ):
                    self.close_connection = True
                    head = head[:-2] + b"Connection: close\r\n\r\n"
            if data:
                written[0] += len(data)
                if chunked[0]:
                    data = b"%x\r\n%s\r\n" % (len(data), data)
            if head or data:
                self.wfile.write(head + data)  # the head and the first data in one send
            self.wfile.flush()

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            if exc_info:
                try:
                    if state["sent"]:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif state["headers"] is not None:
                raise AssertionError("Headers already set")
            state["status"], state["headers"] = status, headers
            return write

        try:
            result = self.server.app(environ, start_response)
            try:
                for data in result:
                    write(data)
                if not state["sent"]:
                    write(b"")
                if chunked[0]:
                    self.wfile.write(b"0\r\n\r\n")
            finally:
                if hasattr(result, "close"):
                    result.close()
        except connection_dropped_errors:
            self.close_connection = True
            return
        except Exception:
            self.close_connection = True
            if isinstance(self.server, QuietServer):
                self.server.handler_errors += 1
            if not state["sent"]:
                self._send_json(500, "InternalServerError", "The simulator failed to answer.")
            return
        if length[0] is not None and length[0] != written[0]:
            self.close_connection = True  # a cut or overlong body: the framing is lost
        body = self._body
        if not self.close_connection and (body is None or not body.discard(DRAIN_LIMIT)):
            self.close_connection = True
        if self.close_connection:
            self._discard_pending()

    def _head(
        self,
        status: str,
        headers: list[tuple[str, str]],
        is_head: bool,
        length: list[int | None],
        chunked: list[bool],
    ) -> bytes:
        """The status line, Date and the app's headers as one block (http.server's send_header
        per header cost 1 us each); sets the answer's framing in `length` and `chunked`, and
        honours a `Connection` header of the app as send_header would."""
        code_str, _, message = status.partition(" ")
        code = int(code_str)
        self.log_request(code)
        lines = [f"{self.protocol_version} {code} {message}", f"Date: {self.date_time_string()}"]
        for key, value in headers:
            lines.append(f"{key}: {value}")
            lowered = key.lower()
            if lowered == "content-length":
                length[0] = int(value) if _DIGITS.match(value.strip()) else -1
            elif lowered == "connection" and value.lower() in ("close", "keep-alive"):
                self.close_connection = value.lower() == "close"
        no_body = is_head or 100 <= code < 200 or code in (204, 304)
        if length[0] is None and not no_body:
            if self.request_version >= "HTTP/1.1":
                chunked[0] = True
                lines.append("Transfer-Encoding: chunked")
            else:
                self._must_close = True  # the close ends an HTTP/1.0 body
        if no_body:
            length[0] = None
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1", "strict")

    def _discard_pending(self) -> None:
        """Before closing, read what the client is still sending (briefly, bounded), so it sees
        the answer (a 413, say) rather than a connection reset."""
        selector = selectors.DefaultSelector()
        try:
            selector.register(self.connection, selectors.EVENT_READ)
            total = 0
            for _ in range(1000):
                if not selector.select(timeout=0.01):
                    break
                data = self.rfile.read1(1 << 20)
                total += len(data)
                if not data or total >= 1 << 30:
                    break
        except (OSError, ValueError):
            pass
        finally:
            selector.close()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """ARM-shaped error for requests http.server rejects before the app sees them; the
        connection closes (the rest of the request cannot be framed)."""
        code = code if code < 500 else 400  # bad client input is never a server error here
        self._send_json(code, "BadRequest", f"Malformed HTTP request: {message}")

    def _send_json(self, code: int, error_code: str, message: str) -> None:
        """An ARM error body with `Connection: close`, then the connection closes."""
        body = json.dumps({"error": {"code": error_code, "message": message}}).encode()
        self.close_connection = True
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle_lock = threading.Lock()
        self._idle: set[Any] = set()
        self.closing = False

    def mark_idle(self, connection: Any, idle: bool) -> bool:
        """Track connections waiting for their next request; False once the server closes."""
        with self._idle_lock:
            if not idle:
                self._idle.discard(connection)
                return True
            if self.closing:
                return False
            self._idle.add(connection)
            return True

    def server_close(self) -> None:
        """Close the listening socket and every idle kept-alive connection; a connection in
        the middle of a request closes after its answer."""
        with self._idle_lock:
            self.closing = True
            idle, self._idle = list(self._idle), set()
        for connection in idle:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RDWR)
        super().server_close()

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
