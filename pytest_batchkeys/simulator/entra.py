"""The Microsoft Entra client-credentials token endpoint: success and error shapes."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote

from pytest_batchkeys.simulator.config import SimulatorConfig
from pytest_batchkeys.simulator.tokens import TokenStore
from pytest_batchkeys.simulator.wire import Reply, json_reply

FORM_TYPE = "application/x-www-form-urlencoded"
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
ARM_SCOPES = (
    "https://management.azure.com/.default",
    "https://management.azure.com//.default",
    "https://management.core.windows.net/.default",
    "https://management.core.windows.net//.default",
)


@dataclass(frozen=True)
class TokenRequest:
    """What one POST to /{tenant}/oauth2/v2.0/token carried."""

    tenant: str
    content_type: str
    body: bytes
    authorization: str | None
    correlation_id: str


def entra_error(
    status: int, error: str, aadsts: int, description: str, correlation_id: str
) -> Reply:
    """An Entra error body: error, error_description (AADSTS...), error_codes, ids, timestamp."""
    now = datetime.now(UTC)
    trace_id = str(uuid.uuid4())
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    text = (
        f"AADSTS{aadsts}: {description}\r\nTrace ID: {trace_id}\r\n"
        f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
    )
    return json_reply(
        status,
        {
            "error": error,
            "error_description": text,
            "error_codes": [aadsts],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        },
    )


def accepted_scopes(config: SimulatorConfig, base_url: str) -> frozenset[str]:
    """Scopes that buy an ARM token here: configured, or the simulator's own and ARM's."""
    if config.accepted_scopes is not None:
        return frozenset(config.accepted_scopes)
    return frozenset((f"{base_url}/.default", f"{base_url}//.default", *ARM_SCOPES))


def _form(request: TokenRequest) -> dict[str, str] | None:
    if request.content_type.split(";")[0].strip().lower() != FORM_TYPE:
        return None
    try:
        parsed = parse_qs(
            request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError):
        return None
    return {key: values[0] for key, values in parsed.items()}


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote(client_id), unquote(secret)) if sep else None


class _Refusal(Exception):
    """An Entra error to answer: OAuth error name, AADSTS number, description, status."""

    def __init__(self, error: str, aadsts: int, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.error, self.aadsts, self.text, self.status = error, aadsts, text, status


def _missing(name: str) -> _Refusal:
    text = f"The request body must contain the following parameter: '{name}'."
    return _Refusal("invalid_request", 900144, text)


def _checked_form(request: TokenRequest, config: SimulatorConfig) -> dict[str, str]:
    form = _form(request)
    if form is None:
        raise _missing("grant_type")
    basic = _basic_credentials(request.authorization)
    if basic is not None:
        form.setdefault("client_id", basic[0])
        form.setdefault("client_secret", basic[1])
    for name in ("grant_type", "client_id", "scope"):
        if not form.get(name):
            raise _missing(name)
    grant_type = form["grant_type"]
    if grant_type != "client_credentials":
        text = f"The app requested an unsupported grant type '{grant_type}'."
        raise _Refusal("unsupported_grant_type", 70003, text)
    tenant = request.tenant
    if config.tenants and tenant.lower() not in {t.lower() for t in config.tenants}:
        text = (
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud."
        )
        raise _Refusal("invalid_request", 90002, text)
    return form


def _principal(form: dict[str, str], tenant: str, config: SimulatorConfig) -> str:
    """The principal the client acts as; any id and secret work when no client is registered."""
    client_id = form["client_id"]
    bad = config.error("token_invalid_client")
    if not form.get("client_secret"):
        text = (
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type."
        )
        raise _Refusal(bad.code, 7000216, text, bad.status)
    if not config.clients:
        return client_id
    client = next((c for c in config.clients if c.client_id.lower() == client_id.lower()), None)
    if client is None or (client.tenant is not None and client.tenant.lower() != tenant.lower()):
        text = (
            f"Application with identifier '{client_id}' was not found in the directory '{tenant}'."
        )
        raise _Refusal("unauthorized_client", 700016, text)
    if client.client_secret != form["client_secret"]:
        text = (
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'."
        )
        raise _Refusal(bad.code, 7000215, text, bad.status)
    return client.principal or client.client_id


def _audience(form: dict[str, str], allowed: frozenset[str]) -> str:
    scopes = [s for s in form["scope"].split() if s not in _RESERVED_SCOPES]
    if len(scopes) != 1 or scopes[0] not in allowed:
        text = (
            "The provided value for the input parameter 'scope' is not valid. The scope "
            f"{form['scope']} is not valid. This simulator issues tokens for: "
            f"{', '.join(sorted(allowed))}."
        )
        raise _Refusal("invalid_scope", 70011, text)
    return scopes[0].removesuffix("/.default")


def token_endpoint(
    request: TokenRequest, config: SimulatorConfig, store: TokenStore, base_url: str
) -> tuple[Reply, str | None]:
    """Answer a client-credentials request; the second item is the client id a token went to."""
    try:
        form = _checked_form(request, config)
        principal = _principal(form, request.tenant, config)
        audience = _audience(form, accepted_scopes(config, base_url))
    except _Refusal as no:
        reply = entra_error(no.status, no.error, no.aadsts, no.text, request.correlation_id)
        return reply, None
    lifetime = config.token_lifetime
    token = store.issue(
        client_id=form["client_id"],
        tenant=request.tenant,
        principal=principal,
        audience=audience,
        lifetime=lifetime,
    )
    body = {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }
    return json_reply(200, body), form["client_id"]
