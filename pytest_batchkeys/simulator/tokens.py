"""Bearer tokens the simulator issued: JWT-shaped, HMAC-signed, looked up by exact value."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

from pytest_batchkeys.simulator.config import StaticToken

_PRUNE_AT = 10_000


@dataclass(frozen=True)
class Grant:
    """Who a token speaks for, and until when (`expires_at` None: never)."""

    principal: str
    client_id: str
    tenant: str | None
    expires_at: float | None

    def expired(self, now: float | None = None) -> bool:
        """True once the expiry time has passed."""
        return self.expires_at is not None and (now or time.time()) >= self.expires_at


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenStore:
    """Issues tokens and answers which grant a presented token carries; thread-safe."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(
        self, *, client_id: str, tenant: str, principal: str, audience: str, lifetime: float
    ) -> str:
        """A new token for the grant, valid `lifetime` seconds (<= 0: already expired)."""
        now = time.time()
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime),
            "appid": client_id,
            "oid": principal,
            "sub": principal,
            "tid": tenant,
            "jti": str(uuid.uuid4()),
        }
        head = _b64url(b'{"alg":"HS256","typ":"JWT"}')
        body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        token = f"{head}.{body}.{_b64url(mac)}"
        grant = Grant(principal, client_id, tenant, now + lifetime)
        with self._lock:
            if len(self._grants) >= _PRUNE_AT:
                self._grants = {t: g for t, g in self._grants.items() if not g.expired(now)}
            self._grants[token] = grant
        return token

    def lookup(self, token: str, static: list[StaticToken]) -> Grant | None:
        """The grant of an issued or configured static token; None for anything else."""
        grant = self._grants.get(token)
        if grant is not None:
            return grant
        for item in static:
            if hmac.compare_digest(item.token.encode(), token.encode()):
                return Grant(item.principal, item.principal, item.tenant, None)
        return None
