"""Bearer tokens for live runs: an explicit token, client credentials, or azure-identity."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from pytest_batchkeys.clouds import scope_for
from pytest_batchkeys.errors import CredentialError
from pytest_batchkeys.settings import Settings, is_loopback_url

#: Refresh this many seconds before expiry (ARM rejects a token that expires mid-request).
REFRESH_MARGIN: Final = 300.0
REPLAY_TOKEN: Final = "batchkeys-replay-token"


class TokenProvider(Protocol):
    """Anything that hands out a currently valid bearer token."""

    description: str

    def token(self) -> str:
        """A bearer token valid for at least a few minutes."""
        ...


@dataclass
class StaticToken:
    """A fixed token (BATCHKEYS_ACCESS_TOKEN, or the placeholder used in replay)."""

    value: str
    description: str = "BATCHKEYS_ACCESS_TOKEN"

    def token(self) -> str:
        """The configured token."""
        return self.value


class CachedToken:
    """Fetches a token through `fetch`, keeps it, and fetches again shortly before expiry."""

    def __init__(
        self,
        fetch: Callable[[], tuple[str, float]],
        *,
        description: str,
        clock: Callable[[], float] = time.time,
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._value: str | None = None
        self._expires_on = 0.0
        self._on_token = on_token
        self.description = description
        self.acquired = 0

    def token(self) -> str:
        """The cached token, or a fresh one when the cached one is missing or nearly expired."""
        with self._lock:
            if self._value is None or self._clock() >= self._expires_on - REFRESH_MARGIN:
                self._value, self._expires_on = self._fetch()
                self.acquired += 1
                if self._on_token is not None:
                    self._on_token(self._value)
            return self._value


def client_credentials_fetcher(
    *,
    authority: str,
    tenant: str,
    client_id: str,
    client_secret: str,
    scope: str,
    timeout: tuple[float, float],
) -> Callable[[], tuple[str, float]]:
    """A function that runs the OAuth2 client-credentials grant and returns (token, expires_on)."""
    url = f"{authority.rstrip('/')}/{tenant}/oauth2/v2.0/token"
    ensure_safe_transport(url)

    def fetch() -> tuple[str, float]:
        import requests

        started = time.time()
        try:
            response = requests.post(
                url,
                data={
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "scope": scope,
                    "grant_type": "client_credentials",
                },
                timeout=timeout,
            )
        except requests.exceptions.SSLError:
            raise CredentialError(
                f"The token endpoint {url} has a certificate this machine does not trust. "
                "For a local simulator (`batchkeys serve --tls`), set REQUESTS_CA_BUNDLE to "
                "its CA file (--ca-file).",
                anchor="token-request-failed",
            ) from None
        except requests.RequestException as exc:
            raise CredentialError(
                f"Could not reach the token endpoint {url}: {type(exc).__name__}. "
                "Check --batch-authority / --batch-cloud and the network.",
                anchor="token-request-failed",
            ) from None
        return _parse_token_response(response, url, started)

    return fetch


def _parse_token_response(response: Any, url: str, started: float) -> tuple[str, float]:
    """(access_token, expires_on) from a token endpoint answer; errors never echo secrets."""
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if (
        response.status_code != 200
        or not isinstance(payload, dict)
        or "access_token" not in payload
    ):
        code = payload.get("error") if isinstance(payload, dict) else None
        raise CredentialError(
            f"The token endpoint {url} refused the client credentials: HTTP "
            f"{response.status_code}{f' {code}' if code else ''}. Check AZURE_TENANT_ID, "
            "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.",
            anchor="token-request-failed",
        )
    try:
        expires_in = float(payload.get("expires_in", 3599))
    except (TypeError, ValueError):
        raise CredentialError(
            f"The token endpoint {url} answered with an expires_in that is not a number. "
            "Expected seconds (e.g. 3599); check --batch-authority points at an Entra token "
            "endpoint.",
            anchor="token-request-failed",
        ) from None
    return str(payload["access_token"]), started + expires_in


def azure_identity_fetcher(scope: str) -> Callable[[], tuple[str, float]] | None:
    """A fetcher backed by azure-identity's DefaultAzureCredential, or None if not installed."""
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        return None
    credential = DefaultAzureCredential()

    def fetch() -> tuple[str, float]:
        try:
            access = credential.get_token(scope)
        except Exception as exc:
            raise CredentialError(
                f"azure-identity found no credential ({type(exc).__name__}). {_WHAT_TO_SET}",
                anchor="missing-credentials",
            ) from None
        return str(access.token), float(access.expires_on)

    return fetch


_WHAT_TO_SET: Final = (
    "Set one of:\n"
    "  BATCHKEYS_ACCESS_TOKEN (a bearer token for ARM), or\n"
    "  AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or\n"
    "  install pytest-batchkeys[azure] and sign in (az login, managed identity, ...)."
)


def provider_from_env(
    settings: Settings,
    env: Mapping[str, str],
    *,
    on_secret: Callable[[str, str], None] | None = None,
    use_azure_identity: bool = True,
) -> TokenProvider:
    """The first credential source that applies; CredentialError lists what to set if none does."""
    remember = on_secret or (lambda _value, _kind: None)
    ensure_safe_transport(settings.arm_url)
    explicit = env.get("BATCHKEYS_ACCESS_TOKEN", "")
    if explicit:
        remember(explicit, "access token")
        return StaticToken(explicit)
    scope = scope_for(settings.arm_url)
    names = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
    given = [name for name in names if env.get(name)]
    if len(given) == len(names):
        remember(env["AZURE_CLIENT_SECRET"], "client secret")
        fetch = client_credentials_fetcher(
            authority=settings.authority_url,
            tenant=env["AZURE_TENANT_ID"],
            client_id=env["AZURE_CLIENT_ID"],
            client_secret=env["AZURE_CLIENT_SECRET"],
            scope=scope,
            timeout=(settings.connect_timeout, settings.read_timeout),
        )
        return CachedToken(
            fetch,
            description="client credentials (AZURE_CLIENT_ID)",
            on_token=lambda value: remember(value, "access token"),
        )
    if given:
        missing = ", ".join(name for name in names if name not in given)
        raise CredentialError(
            f"Client credentials are incomplete: {', '.join(given)} set but {missing} not set. "
            "Set all three, or none of them.",
            anchor="missing-credentials",
        )
    fetch_identity = azure_identity_fetcher(scope) if use_azure_identity else None
    if fetch_identity is not None:
        return CachedToken(
            fetch_identity,
            description="azure-identity DefaultAzureCredential",
            on_token=lambda value: remember(value, "access token"),
        )
    raise CredentialError(
        f"--batch-{settings.mode} needs credentials for {settings.arm_url}, and none were found. "
        + _WHAT_TO_SET,
        anchor="missing-credentials",
    )


def ensure_safe_transport(url: str) -> None:
    """Refuse to send a bearer token or secret over plain http to anything but loopback."""
    if url.startswith("http://") and not is_loopback_url(url):
        raise CredentialError(
            f"Refusing to send credentials over plain http to {url}: only loopback hosts "
            "(127.0.0.1, ::1, localhost) may use http. Use https.",
            anchor="plain-http",
        )


class ProviderCredential:
    """An azure-core TokenCredential over a TokenProvider, for code under test using Azure SDKs."""

    def __init__(self, provider: TokenProvider, *, lifetime: float = 3000.0) -> None:
        self.provider = provider
        self.lifetime = lifetime

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """azure.core.credentials.AccessToken(token, expires_on) for any scope asked."""
        from azure.core.credentials import AccessToken

        return AccessToken(self.provider.token(), int(time.time() + self.lifetime))

    def close(self) -> None:
        """Nothing to release (azure-core calls this on client close)."""

    def __enter__(self) -> ProviderCredential:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
