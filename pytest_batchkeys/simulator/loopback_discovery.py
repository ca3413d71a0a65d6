"""Client side: MSAL's instance discovery for a loopback authority is asked of that authority.

MSAL (under azure-identity) checks an authority host it does not know by asking
`https://login.microsoftonline.com/common/discovery/instance?authorization_endpoint=...`, unless
the credential was built with `disable_instance_discovery=True`. Code that builds
`DefaultAzureCredential()` from environment variables alone cannot pass that flag, so with
AZURE_AUTHORITY_HOST pointing at the simulator it would reach out to Entra, which answers
invalid_instance for any loopback host anyway. While this patch is active, exactly that one
request, when its authorization_endpoint is an https loopback URL, is sent to the loopback
authority itself (the simulator serves `/common/discovery/instance`); every other request is
untouched. It patches requests' HTTPAdapter.send, the transport azure-core uses by default.

MSAL Python leaves the authority's port out of that authorization_endpoint, so a port-less
loopback endpoint is sent to the registered authority on that host (the most recent one).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from pytest_batchkeys.settings import is_loopback_url

#: Where MSAL sends instance discovery for a host it does not know (msal.authority.WORLD_WIDE).
ENTRA_DISCOVERY_HOST: Final = "login.microsoftonline.com"
DISCOVERY_PATH: Final = "/common/discovery/instance"

_lock = threading.Lock()
_state: dict[str, Any] = {"original": None, "redirected": 0}
_authorities: list[str] = []


def local_discovery_url(url: str, authorities: list[str]) -> str | None:
    """The same discovery request on the loopback authority it is about, or None to leave it.

    `authorities` are the registered https base URLs, most recent last; they supply the port
    when the authorization_endpoint has none.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (
        parts.scheme != "https"
        or (parts.hostname or "").lower() != ENTRA_DISCOVERY_HOST
        or parts.path.rstrip("/").lower() != DISCOVERY_PATH
    ):
        return None
    endpoint = (parse_qs(parts.query).get("authorization_endpoint") or [""])[0]
    try:
        target = urlsplit(endpoint)
    except ValueError:
        return None
    if target.scheme != "https" or not target.netloc or not is_loopback_url(endpoint):
        return None
    netloc = target.netloc if _port(target.netloc) else _registered(target.hostname, authorities)
    if netloc is None:
        return None
    return urlunsplit(("https", netloc, DISCOVERY_PATH, parts.query, ""))


def _port(netloc: str) -> int | None:
    try:
        return urlsplit(f"//{netloc}").port
    except ValueError:
        return None


def _registered(hostname: str | None, authorities: list[str]) -> str | None:
    for authority in reversed(authorities):
        parts = urlsplit(authority)
        if parts.scheme == "https" and parts.hostname == hostname:
            return parts.netloc
    return None


def redirected_count() -> int:
    """How many discovery requests were answered locally since the process started."""
    return int(_state["redirected"])


def install(authority: str) -> None:
    """Register a loopback https authority (base URL) and activate the redirect if it is not.

    Each install() needs one uninstall() with the same authority.
    """
    from requests.adapters import HTTPAdapter

    with _lock:
        _authorities.append(authority.rstrip("/"))
        if _state["original"] is not None:
            return
        original = HTTPAdapter.send
        _state["original"] = original

        def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
            with _lock:
                known = list(_authorities)
            local = local_discovery_url(str(request.url), known)
            if local is not None:
                request = request.copy()
                request.url = local
                kwargs["proxies"] = {}  # loopback is never reached through a proxy
                with _lock:
                    _state["redirected"] += 1
            return original(self, request, *args, **kwargs)

        HTTPAdapter.send = send  # type: ignore[method-assign]


def uninstall(authority: str) -> None:
    """Undo one install(authority); the original send is back once none is left."""
    from requests.adapters import HTTPAdapter

    with _lock:
        base = authority.rstrip("/")
        if base in _authorities:
            # the most recent registration of it goes
            del _authorities[len(_authorities) - 1 - _authorities[::-1].index(base)]
        if not _authorities and _state["original"] is not None:
            HTTPAdapter.send = _state["original"]  # type: ignore[method-assign]
            _state["original"] = None


@contextmanager
def loopback_instance_discovery(authority: str) -> Iterator[None]:
    """Within the block, MSAL's instance discovery of a loopback authority goes to that host.

    `authority` is the simulator's https base URL (`sim.url`), used when MSAL drops the port.
    """
    install(authority)
    try:
        yield
    finally:
        uninstall(authority)
