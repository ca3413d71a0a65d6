"""The simulator's WSGI application: routing, body limits, faults, stats; never a traceback."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_batchkeys.simulator.arm import ArmContext, ArmRequest, list_keys
from pytest_batchkeys.simulator.config import ErrorChoice, SimulatorConfig
from pytest_batchkeys.simulator.discovery import (
    INSTANCE_RE,
    KEYS_RE,
    OPENID_RE,
    instance_discovery,
    openid_configuration,
    signing_keys,
)
from pytest_batchkeys.simulator.entra import TokenRequest, entra_error, token_endpoint
from pytest_batchkeys.simulator.faults import Fault, FaultBook, FaultDecision
from pytest_batchkeys.simulator.profiles import (
    PROFILES,
    Remaining,
    accepts_gzip,
    arm_headers,
    encode_body,
    entra_headers,
)
from pytest_batchkeys.simulator.rotation import KeyRotations, regenerate_keys
from pytest_batchkeys.simulator.throttle import Buckets
from pytest_batchkeys.simulator.tokens import TokenStore
from pytest_batchkeys.simulator.wire import (
    CLOSE_CONNECTION,
    HTML_TYPE,
    Reply,
    RequestIds,
    arm_error,
    retry_after_headers,
    status_line,
)

StartResponse = Callable[..., Any]
LISTKEYS_RE = re.compile(
    r"^/subscriptions/([^/]*)/resourcegroups/([^/]*)/providers/microsoft\.batch"
    r"/batchaccounts/([^/]*)/listkeys/?$",
    re.IGNORECASE,
)
REGENERATE_RE = re.compile(
    r"^/subscriptions/([^/]*)/resourcegroups/([^/]*)/providers/microsoft\.batch"
    r"/batchaccounts/([^/]*)/regeneratekeys/?$",
    re.IGNORECASE,
)
TOKEN_RE = re.compile(r"^/([^/]+)/oauth2/v2\.0/token/?$", re.IGNORECASE)
_DEFAULT_FAULT_STATUS = {"throttle": 429, "error": 500, "html": 502}
_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>{status}</h1>"
    "<p>The gateway received an invalid response (simulated fault).</p></body></html>"
)


@dataclass(frozen=True)
class RequestRecord:
    """One handled request, as the request log keeps it."""

    method: str
    path: str
    status: int
    route: str
    account: str | None
    faults: tuple[str, ...]
    correlation_id: str


@dataclass(frozen=True)
class SimulatorStats:
    """Counters since start (or the last reset), as a snapshot."""

    requests: int = 0
    listkeys_requests: int = 0
    listkeys_succeeded: int = 0
    token_requests: int = 0
    regenerate_requests: int = 0
    regenerate_succeeded: int = 0
    discovery_requests: int = 0
    tokens_issued: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    faults_fired: dict[str, int] = field(default_factory=dict)
    internal_errors: int = 0

    @property
    def total_tokens_issued(self) -> int:
        """Tokens the token endpoint issued, over all client ids."""
        return sum(self.tokens_issued.values())


class _Counters:
    """Mutable counters behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: Counter[str] = Counter()
        self.tokens: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.faults: Counter[str] = Counter()
        self.log: deque[RequestRecord] = deque(maxlen=10_000)

    def snapshot(self) -> SimulatorStats:
        with self.lock:
            return SimulatorStats(
                requests=self.values["requests"],
                listkeys_requests=self.values["listkeys"],
                listkeys_succeeded=self.values["listkeys_ok"],
                token_requests=self.values["token"],
                regenerate_requests=self.values["regenerate"],
                regenerate_succeeded=self.values["regenerate_ok"],
                discovery_requests=self.values["discovery"],
                tokens_issued=dict(self.tokens),
                statuses=dict(self.statuses),
                faults_fired=dict(self.faults),
                internal_errors=self.values["internal_errors"],
            )


@dataclass
class _Routed:
    route: str
    account: str | None
    match: re.Match[str] | None
    operation: str = ""


class SimulatorApp:
    """WSGI callable serving listKeys and the token endpoint from one live SimulatorConfig."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.tokens = TokenStore()
        self.buckets = Buckets(config.throttle)
        self.faults = FaultBook(config.faults, config.seed)
        self.rotations = KeyRotations()
        self.base_url = "http://127.0.0.1"
        self._counters = _Counters()

    def stats(self) -> SimulatorStats:
        """A snapshot of the counters."""
        return self._counters.snapshot()

    def request_log(self) -> list[RequestRecord]:
        """The most recent requests (up to 10,000), oldest first."""
        with self._counters.lock:
            return list(self._counters.log)

    def reset_stats(self) -> None:
        """Zero the counters and empty the request log."""
        with self._counters.lock:
            self._counters = _Counters()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        ids = RequestIds.for_request(environ.get("HTTP_X_MS_CORRELATION_REQUEST_ID"))
        routed = _Routed("none", None, None)
        decision = FaultDecision()
        try:
            routed = self._route(environ)
            reply, decision = self._answer(environ, routed, ids)
        except Exception:  # the server must keep serving whatever a request does
            self._bump("internal_errors")
            reply = arm_error(
                self.config.error("internal_error"), "The simulator failed to handle the request."
            )
        self._record(environ, routed, reply, decision, ids)
        if reply.drop:
            sock = environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("simulated dropped connection")
        body, headers = self._wire(environ, routed, reply, ids)
        if reply.truncate:
            # Content-Length promises the whole body: only closing the connection ends the read.
            environ[CLOSE_CONNECTION] = True
            body = body[: len(body) // 2]
        start_response(status_line(reply.status), headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def _wire(
        self, environ: dict[str, Any], routed: _Routed, reply: Reply, ids: RequestIds
    ) -> tuple[bytes, list[tuple[str, str]]]:
        """The body as sent and every header, by route and the configured header profile."""
        config = self.config
        profile = PROFILES[config.header_profile]
        if routed.route == "token":
            headers = entra_headers(reply, ids, environ.get("HTTP_CLIENT_REQUEST_ID"))
            return encode_body(profile, reply.body, headers, gzip_ok=False)
        headers = arm_headers(
            profile, reply, ids, config.region, self._remaining(routed, reply), reply.caller
        )
        gzip_ok = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
        return encode_body(profile, reply.body, headers, gzip_ok, keep_length=reply.truncate)

    def _remaining(self, routed: _Routed, reply: Reply) -> Remaining:
        """Rate-limit counters: the profile's start (or the configured one) minus writes spent."""
        profile = PROFILES[self.config.header_profile]
        throttle = self.config.throttle
        start = throttle.remaining_writes
        global_start = throttle.remaining_global_writes
        if start is None:
            start = profile.remaining_writes
        if global_start is None:
            global_start = profile.remaining_global_writes
        used = reply.writes_used
        if used is None:
            subscription = (
                _text(routed.match.group(1)) if routed.route == "arm" and routed.match else ""
            )
            used = self.buckets.used(subscription.lower()) if subscription else 0
        return Remaining.after(start, global_start, used, reply.exhausted)

    def _bump(self, name: str) -> None:
        with self._counters.lock:
            self._counters.values[name] += 1

    def _record(
        self,
        environ: dict[str, Any],
        routed: _Routed,
        reply: Reply,
        decision: FaultDecision,
        ids: RequestIds,
    ) -> None:
        record = RequestRecord(
            environ.get("REQUEST_METHOD", ""),
            environ.get("PATH_INFO", ""),
            reply.status,
            routed.route,
            routed.account,
            decision.fired,
            ids.correlation_id,
        )
        counters = self._counters
        with counters.lock:
            counters.values["requests"] += 1
            counters.statuses[reply.status] += 1
            counters.faults.update(decision.fired)
            if routed.operation == "regenerateKeys":
                counters.values["regenerate"] += 1
                counters.values["regenerate_ok"] += reply.status == 200
            elif routed.route == "arm":
                counters.values["listkeys"] += 1
                counters.values["listkeys_ok"] += reply.status == 200
            elif routed.route == "token":
                counters.values["token"] += 1
            elif routed.route == "discovery":
                counters.values["discovery"] += 1
            counters.log.append(record)

    def _route(self, environ: dict[str, Any]) -> _Routed:
        path = environ.get("PATH_INFO", "")
        match = LISTKEYS_RE.match(path)
        if match is not None:
            return _Routed("arm", _text(match.group(3)), match, "listKeys")
        match = REGENERATE_RE.match(path)
        if match is not None:
            return _Routed("arm", _text(match.group(3)), match, "regenerateKeys")
        match = TOKEN_RE.match(path)
        if match is not None:
            return _Routed("token", None, match)
        return _discovery_route(path)

    def _answer(
        self, environ: dict[str, Any], routed: _Routed, ids: RequestIds
    ) -> tuple[Reply, FaultDecision]:
        config = self.config
        if routed.match is None:
            path = _text(environ.get("PATH_INFO", ""))[:200]
            message = (
                f"The requested path '{path}' is not served: this simulator serves POST "
                ".../providers/Microsoft.Batch/batchAccounts/{accountName}/listKeys, "
                "POST .../batchAccounts/{accountName}/regenerateKeys, "
                "POST /{tenant}/oauth2/v2.0/token and Entra discovery (GET "
                "/{tenant}/v2.0/.well-known/openid-configuration, /common/discovery/instance)."
            )
            return arm_error(config.error("route_not_found"), message), FaultDecision()
        method = environ.get("REQUEST_METHOD", "")
        if routed.route == "discovery":
            return self._discovery(environ, routed.match, ids), FaultDecision()
        if method != "POST":
            return arm_error(
                config.error("method_not_allowed"),
                f"The requested resource does not support http method '{method[:20]}'.",
                headers=[("Allow", "POST")],
            ), FaultDecision()
        try:
            body = _read_body(environ, config.max_body_bytes)
        except (OSError, ValueError):  # werkzeug: invalid chunk size or a cut chunked body
            return unreadable_body(config), FaultDecision()
        if body is None:
            reply = arm_error(
                config.error("body_too_large"),
                f"The request body is larger than {config.max_body_bytes} bytes.",
            )
            return reply, FaultDecision()
        decision = self.faults.decide(routed.route, routed.account)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.replace is not None:
            return self._fault_reply(environ, decision.replace, routed, ids), decision
        reply = self._handle(environ, routed, body, ids)
        reply.truncate = decision.truncate
        return reply, decision

    def _handle(
        self, environ: dict[str, Any], routed: _Routed, body: bytes, ids: RequestIds
    ) -> Reply:
        assert routed.match is not None
        content_type = environ.get("CONTENT_TYPE", "")
        authorization = environ.get("HTTP_AUTHORIZATION")
        if routed.route == "token":
            request = TokenRequest(
                _text(routed.match.group(1)), content_type, body, authorization, ids.correlation_id
            )
            reply, client_id = token_endpoint(request, self.config, self.tokens, self.base_url)
            if client_id is not None:
                with self._counters.lock:
                    self._counters.tokens[client_id] += 1
            return reply
        sub, group, account = (_text(g) for g in routed.match.groups())
        arm_request = ArmRequest(
            sub,
            group,
            account,
            environ.get("QUERY_STRING", ""),
            authorization,
            content_type,
            body,
            request_id=ids.request_id,
        )
        ctx = ArmContext(self.config, self.tokens, self.buckets, self.base_url)
        if routed.operation == "regenerateKeys":
            return regenerate_keys(ctx, arm_request, self.rotations)
        return list_keys(ctx, arm_request)

    def _discovery(self, environ: dict[str, Any], match: re.Match[str], ids: RequestIds) -> Reply:
        """Entra's discovery documents: GET (or HEAD) only, no body, no faults."""
        method = environ.get("REQUEST_METHOD", "")
        if method not in ("GET", "HEAD"):
            return arm_error(
                self.config.error("method_not_allowed"),
                f"The requested resource does not support http method '{method[:20]}'.",
                headers=[("Allow", "GET, HEAD")],
            )
        if match.re is INSTANCE_RE:
            query = _text(environ.get("QUERY_STRING", ""))
            return instance_discovery(query, self.base_url, ids.correlation_id)
        tenant = _text(match.group(1))
        if match.re is KEYS_RE:
            return signing_keys(tenant, self.config, ids.correlation_id)
        return openid_configuration(tenant, self.config, self.base_url, ids.correlation_id)

    def _fault_reply(
        self, environ: dict[str, Any], fault: Fault, routed: _Routed, ids: RequestIds
    ) -> Reply:
        if fault.kind == "drop":
            return Reply(0, b"", drop=True)
        status = fault.status or _DEFAULT_FAULT_STATUS[fault.kind]
        retry = (
            fault.retry_after
            if fault.retry_after is not None
            else (1.0 if fault.kind == "throttle" else None)
        )
        headers = (
            retry_after_headers(retry, with_ms=self.config.retry_after_ms)
            if retry is not None
            else []
        )
        if fault.kind == "html":
            page = _HTML_PAGE.format(status=status_line(status)).encode()
            return Reply(status, page, headers, content_type=HTML_TYPE)
        code = fault.code or (
            self.config.error("throttled").code if status == 429 else _fault_code(status)
        )
        if routed.route == "token":
            reply = entra_error(
                status,
                fault.code or "temporarily_unavailable",
                90033,
                "A transient error has occurred. Please try again (simulated fault).",
                ids.correlation_id,
            )
            reply.headers.extend(headers)
            return reply
        return arm_error(
            ErrorChoice(status, code),
            f"Simulated {fault.kind} fault: status {status}.",
            headers=headers,
        )


def _discovery_route(path: str) -> _Routed:
    for pattern in (OPENID_RE, INSTANCE_RE, KEYS_RE):
        match = pattern.match(path)
        if match is not None:
            return _Routed("discovery", None, match)
    return _Routed("none", None, None)


def _fault_code(status: int) -> str:
    return {
        429: "TooManyRequests",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
    }.get(status, "SimulatedFault")


def _text(wsgi_value: str) -> str:
    """A WSGI (latin-1 transported) path piece as the UTF-8 text the client meant."""
    if wsgi_value.isascii():
        return wsgi_value  # ASCII reads the same in latin-1 and UTF-8
    try:
        return wsgi_value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return wsgi_value


def unreadable_body(config: SimulatorConfig) -> Reply:
    """The 400 for a body that cannot be read (bad chunked encoding): client input, never 5xx."""
    return arm_error(
        config.error("invalid_body"),
        "The request body cannot be read: its chunked transfer encoding is invalid.",
    )


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    raw_length = environ.get("CONTENT_LENGTH") or ""
    if raw_length.strip():
        try:
            length = int(raw_length)
        except ValueError:
            length = limit + 1
        if length > limit:
            return None
        return bytes(stream.read(length)) if length > 0 else b""
    if environ.get("wsgi.input_terminated"):
        data = bytes(stream.read(limit + 1))
        return None if len(data) > limit else data
    return b""
