"""The HTTP side of a test: a requests session with timeouts and bounded retries, list_keys and
regenerate_key."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, TypedDict, Unpack
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import IncompleteRead, InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from pytest_batchkeys.live.auth import TokenProvider, ensure_safe_transport
from pytest_batchkeys.settings import Settings

LIST_KEYS_PATH: Final = (
    "/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
    "/providers/Microsoft.Batch/batchAccounts/{account_name}/listKeys"
)
RETRY_STATUSES: Final = (429, 500, 502, 503, 504)


class _Omit:
    """Marker for 'leave this part out of the request'."""

    def __repr__(self) -> str:
        return "OMIT"


#: Pass as a keyword to `list_keys` to leave that part out (e.g. `api_version=OMIT`).
OMIT: Final = _Omit()


@dataclass(frozen=True, kw_only=True)
class Target:
    """Which account a test talks to: placeholders in replay, real values live."""

    subscription_id: str
    resource_group: str
    account_name: str
    api_version: str

    def path(self, action: str = "listKeys") -> str:
        """The listKeys (or another account action's) path, each segment percent-encoded."""
        path = LIST_KEYS_PATH.format(
            subscription_id=quote(self.subscription_id, safe=""),
            resource_group=quote(self.resource_group, safe=""),
            account_name=quote(self.account_name, safe=""),
        )
        return path.removesuffix("/listKeys") + "/" + action


class RequestOverrides(TypedDict, total=False):
    """Keyword overrides of one request: None keeps the target's value, OMIT leaves it out."""

    subscription_id: str | None
    resource_group: str | None
    account_name: str | None
    api_version: str | _Omit | None
    token: str | _Omit | None
    headers: Mapping[str, str | None] | None
    params: Mapping[str, str] | None
    method: str
    path: str | None
    timeout: float | tuple[float, float] | None


class BoundedRetry(Retry):
    """urllib3 Retry whose sleeps (Retry-After and backoff) add up to at most `max_total_wait`.

    When the next wait would exceed the budget, retrying stops: an answer (a 429 or 5xx) is
    returned to the caller, a connection error is raised, instead of sleeping past the budget.
    A malformed Retry-After header counts as absent (exponential backoff applies).
    """

    def __init__(
        self,
        *args: Any,
        max_total_wait: float = 60.0,
        waited: float = 0.0,
        sleeps: bool = True,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.max_total_wait = max_total_wait
        self.waited = waited
        self.sleeps = sleeps

    def new(self, **kw: Any) -> BoundedRetry:
        kw.setdefault("max_total_wait", self.max_total_wait)
        kw.setdefault("waited", self.waited)
        kw.setdefault("sleeps", self.sleeps)
        return super().new(**kw)

    def sleep(self, response: Any = None) -> None:
        """Wait as Retry-After or backoff says; in replay (sleeps=False) the answer is on disk."""
        if self.sleeps:
            super().sleep(response)

    def get_retry_after(self, response: Any) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> BoundedRetry:
        nxt: BoundedRetry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after is not None and self.respect_retry_after_header:
            wait = retry_after
        else:
            wait = nxt.get_backoff_time()
        if self.waited + wait > self.max_total_wait:
            reason = error or ResponseError(
                f"waiting {wait:g}s more would exceed the retry wait budget of "
                f"{self.max_total_wait:g}s"
            )
            raise MaxRetryError(_pool, url or "", reason)
        nxt.waited = self.waited + wait
        return nxt


class TimeoutAdapter(HTTPAdapter):
    """An HTTPAdapter that applies a default (connect, read) timeout to every request."""

    def __init__(self, *, timeout: tuple[float, float], **kw: Any) -> None:
        self.timeout = timeout
        super().__init__(**kw)

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:  # type: ignore[override]
        if kw.get("timeout") is None:
            kw["timeout"] = self.timeout
        return super().send(request, **kw)


def retry_policy(
    settings: Settings, *, retries: int | None = None, sleeps: bool = True
) -> BoundedRetry:
    """Bounded retries for 429 (honouring Retry-After) and 5xx (exponential backoff).

    Read errors (a read timeout, a connection dropped mid-answer) are not retried: they surface
    at once as requests' ReadTimeout / ConnectionError, so one slow answer costs one timeout.
    `retries` overrides --batch-max-retries (replay uses the count the cassette was recorded
    with); `sleeps=False` retries without waiting.
    """
    count = settings.max_retries if retries is None else retries
    return BoundedRetry(
        total=count,
        connect=count,
        read=False,
        status=count,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # listKeys is a POST that changes nothing: safe to repeat
        backoff_factor=0.5,
        backoff_max=10.0,
        respect_retry_after_header=True,
        raise_on_status=False,
        max_total_wait=settings.max_retry_wait,
        sleeps=sleeps,
    )


def build_session(
    settings: Settings, provider: TokenProvider | None, *, replay_retries: int = 0
) -> requests.Session:
    """A session with auth, default timeouts and retries.

    Live, retries follow the settings. In replay they follow the recording (`replay_retries`,
    the count it was recorded with; 0 for older cassettes) and never wait, so a recorded 429
    and its retry replay as the same sequence, at once.
    """
    session = requests.Session()
    session.trust_env = False  # no proxies or netrc from the environment in tests
    session.verify = ca_bundle(os.environ)  # ...but a CA bundle (e.g. the simulator's test CA)
    retries: Retry | int = 0
    if settings.is_live:
        retries = retry_policy(settings)
    elif replay_retries:
        retries = retry_policy(settings, retries=replay_retries, sleeps=False)
    adapter = TimeoutAdapter(
        timeout=(settings.connect_timeout, settings.read_timeout), max_retries=retries
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if provider is not None:
        session.auth = BearerAuth(provider)
    if settings.is_live:
        session.hooks["response"].append(_remember_secrets)
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "pytest-batchkeys"
    return session


def ca_bundle(env: Mapping[str, str]) -> str | bool:
    """The CA bundle requests itself would use: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, or certifi."""
    return env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True


class BearerAuth(requests.auth.AuthBase):
    """Adds `Authorization: Bearer <token>`; never over plain http off loopback."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if "Authorization" in request.headers:
            return request  # an explicit header (or a deliberate bad token) wins
        ensure_safe_transport(request.url or "")
        request.headers["Authorization"] = f"Bearer {self.provider.token()}"
        return request


def _remember_secrets(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Response hook (live): keys in a listKeys answer become secrets to redact and guard."""
    from pytest_batchkeys.secrets.redact import remember_keys

    try:
        content = response.content
    except requests.exceptions.ChunkedEncodingError as exc:
        response.close()
        raise body_cut_off(response, exc) from None
    remember_keys(content)


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Per-request auth that adds nothing (to test the 401 path)."""
    return request


class BatchKeysClient:
    """Calls listKeys on a target; every part of the request can be overridden."""

    def __init__(self, session: requests.Session, base_url: str, target: Target) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.target = target

    def url(self, action: str = "listKeys", **overrides: Any) -> str:
        """The listKeys (or `action`) URL of the target with path overrides applied (no query)."""
        parts = {k: v for k, v in overrides.items() if k in _PATH_FIELDS}
        return self.base_url + replace(self.target, **parts).path(action)

    def list_keys(self, **overrides: Unpack[RequestOverrides]) -> requests.Response:
        """POST listKeys; None keeps the target's value, OMIT leaves the part out entirely."""
        return self._send("listKeys", None, **overrides)

    def regenerate_key(
        self,
        key_name: str = "Primary",
        *,
        body: object = None,
        **overrides: Unpack[RequestOverrides],
    ) -> requests.Response:
        """POST regenerateKeys with `{"keyName": key_name}`: this rotates the account's key.

        The same overrides as `list_keys`; `body` replaces the JSON body (a str or bytes is sent
        as it is, OMIT sends none). Live, the session's bounded retries apply as for list_keys,
        so a retried 5xx may rotate the key twice; the new pair is in the answer either way.
        """
        payload: object = {"keyName": key_name} if body is None else body
        return self._send("regenerateKeys", payload, **overrides)

    def _send(
        self,
        action: str,
        payload: object,
        *,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        account_name: str | None = None,
        api_version: str | _Omit | None = None,
        token: str | _Omit | None = None,
        headers: Mapping[str, str | None] | None = None,
        params: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> requests.Response:
        """One POST to an account action; `payload` None or OMIT sends an empty body."""
        overrides = {
            "subscription_id": subscription_id,
            "resource_group": resource_group,
            "account_name": account_name,
        }
        url = (
            self.base_url + path
            if path is not None
            else self.url(action, **{k: v for k, v in overrides.items() if v is not None})
        )
        query: dict[str, str] = {}
        version = self.target.api_version if api_version is None else api_version
        if not isinstance(version, _Omit):
            query["api-version"] = version
        query.update(params or {})
        data = _encode_body(payload)
        request_headers: dict[str, str | None] = {
            "x-ms-client-request-id": str(uuid.uuid4()),
            "Content-Length": str(len(data)),
        }
        if data:
            request_headers["Content-Type"] = "application/json"
        request_headers.update(headers or {})
        auth: Any = None
        if isinstance(token, _Omit):
            auth = _no_auth
        elif token is not None:
            request_headers["Authorization"] = f"Bearer {token}"
        response = self.session.request(
            method,
            url,
            params=query,
            data=data or None,
            headers=request_headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        try:
            response.content  # noqa: B018 - read the body now, under the read timeout
        except requests.exceptions.ChunkedEncodingError as exc:
            response.close()
            raise body_cut_off(response, exc) from None
        return response


def _encode_body(payload: object) -> bytes:
    """The request body: nothing for None or OMIT, str/bytes as given, anything else as JSON."""
    if payload is None or isinstance(payload, _Omit):
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def body_cut_off(response: requests.Response, error: Exception) -> AssertionError:
    """A readable contract failure for a body that ended before its declared length."""
    from pytest_batchkeys.checks.curl import curl_line
    from pytest_batchkeys.checks.violations import ContractViolation, ContractViolations

    incomplete = _incomplete_read(error)
    declared = response.headers.get("Content-Length")
    if incomplete is not None:
        got = f"{incomplete.partial} bytes"
        expected = f"{incomplete.partial + incomplete.expected} bytes"
    else:
        got, expected = "part of it", f"{declared} bytes" if declared else "all of it"
    kind = response.headers.get("Content-Type", "no Content-Type")
    return ContractViolations(
        [
            ContractViolation(
                check="complete_body",
                title="Response body cut off: the connection closed before the body was complete",
                curl=curl_line(response.request),
                expected=f"a complete body of {expected}"
                + (f" (Content-Length: {declared})" if declared else ""),
                actual=f"HTTP {response.status_code} ({kind}) with {got} of body, then the "
                "connection closed",
            )
        ]
    )


def _incomplete_read(error: BaseException | None) -> Any:
    """urllib3's IncompleteRead (partial and expected byte counts) inside `error`, or None."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, IncompleteRead):
            return error
        nested = [arg for arg in error.args if isinstance(arg, BaseException)]
        error = nested[-1] if nested else None
        seen += 1
    return None


_PATH_FIELDS: Final = frozenset({"subscription_id", "resource_group", "account_name"})
