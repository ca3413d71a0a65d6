"""Entra discovery: the tenant's OpenID configuration and instance discovery, as MSAL reads them.

Shapes follow what login.microsoftonline.com returns (see docs/simulator.md, "Entra discovery",
for the sources): endpoints are the simulator's own; fields that would send a client to a real
Microsoft host (userinfo, Graph) are left out.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from pytest_batchkeys.simulator.config import UUID_RE, SimulatorConfig
from pytest_batchkeys.simulator.entra import entra_error
from pytest_batchkeys.simulator.wire import Reply, json_reply

OPENID_RE = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration/?$", re.IGNORECASE)
INSTANCE_RE = re.compile(r"^/common/discovery/instance/?$", re.IGNORECASE)
KEYS_RE = re.compile(r"^/([^/]+)/discovery/v2\.0/keys/?$", re.IGNORECASE)

#: Tenant names Entra accepts in place of a tenant id; the issuer then holds a placeholder.
MULTI_TENANT = frozenset({"common", "organizations"})
#: The fixed tenant of personal Microsoft accounts, the issuer Entra names for /consumers.
CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def known_tenants(config: SimulatorConfig) -> frozenset[str]:
    """Tenants the configuration names (tenants, subscriptions, clients), lower-cased."""
    named = [*config.tenants]
    named += [sub.tenant for sub in config.subscriptions if sub.tenant]
    named += [client.tenant for client in config.clients if client.tenant]
    return frozenset(t.lower() for t in named)


def tenant_exists(config: SimulatorConfig, tenant: str) -> bool:
    """Whether discovery knows `tenant`: a named tenant, or any well-formed one when none is named.

    `common`, `organizations` and `consumers` always exist, as in Entra.
    """
    lowered = tenant.lower()
    if lowered in MULTI_TENANT or lowered == "consumers":
        return True
    named = known_tenants(config)
    if named:
        return lowered in named
    return bool(UUID_RE.match(tenant) or _DOMAIN_RE.match(tenant))


def tenant_not_found(tenant: str, correlation_id: str) -> Reply:
    """Entra's 400 invalid_tenant (AADSTS90002), which MSAL turns into a ValueError."""
    text = (
        f"Tenant '{tenant[:100]}' not found. Check to make sure you have the correct tenant ID "
        "and are signing into the correct cloud. Check with your subscription administrator, "
        "this may happen if there are no active subscriptions for the tenant."
    )
    return entra_error(400, "invalid_tenant", 90002, text, correlation_id)


def openid_configuration(
    tenant: str, config: SimulatorConfig, base_url: str, correlation_id: str
) -> Reply:
    """GET /{tenant}/v2.0/.well-known/openid-configuration: the tenant's endpoints here."""
    if not tenant_exists(config, tenant):
        return tenant_not_found(tenant, correlation_id)
    root = f"{base_url}/{tenant}"
    if tenant.lower() in MULTI_TENANT:
        issuer_tenant = "{tenantid}"
    elif tenant.lower() == "consumers":
        issuer_tenant = CONSUMERS_TENANT
    else:
        issuer_tenant = tenant
    document = {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base_url}/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "preferred_username",
            "name",
            "tid",
            "ver",
            "at_hash",
            "c_hash",
            "email",
        ],
        "tenant_region_scope": None if issuer_tenant == "{tenantid}" else "WW",
        "cloud_instance_name": urlsplit(base_url).hostname or "",
    }
    return json_reply(200, document)


def signing_keys(tenant: str, config: SimulatorConfig, correlation_id: str) -> Reply:
    """GET jwks_uri: no public keys, because the simulator's tokens are HMAC-signed (opaque)."""
    if not tenant_exists(config, tenant):
        return tenant_not_found(tenant, correlation_id)
    return json_reply(200, {"keys": []})


def instance_discovery(query: str, base_url: str, correlation_id: str) -> Reply:
    """GET /common/discovery/instance: this simulator vouches for its own host only.

    The answer points MSAL at the tenant's OpenID configuration here; any other instance gets
    Entra's 400 invalid_instance (AADSTS50049), which MSAL reports as an unknown authority.
    """
    params = parse_qs(query, keep_blank_values=True)
    endpoint = (params.get("authorization_endpoint") or [""])[0]
    if not endpoint:
        text = "The request must contain the parameter 'authorization_endpoint'."
        return entra_error(400, "invalid_request", 900144, text, correlation_id)
    requested = (params.get("api-version") or ["1.1"])[0]
    tenant = _tenant_of_own_endpoint(endpoint, base_url)
    if tenant is None:
        text = "Unknown or invalid instance."
        return entra_error(400, "invalid_instance", 50049, text, correlation_id)
    netloc = urlsplit(base_url).netloc
    aliases = {"preferred_network": netloc, "preferred_cache": netloc, "aliases": [netloc]}
    document = {
        "tenant_discovery_endpoint": f"{base_url}/{tenant}/v2.0/.well-known/openid-configuration",
        "api-version": requested if requested in ("1.0", "1.1") else "1.1",
        "metadata": [aliases],
    }
    return json_reply(200, document)


def _tenant_of_own_endpoint(endpoint: str, base_url: str) -> str | None:
    """The tenant segment of an authorize URL on this simulator's scheme and port, else None.

    No port counts as this simulator's: MSAL Python drops the authority's port when it builds
    the authorization_endpoint it asks about.
    """
    try:
        asked, own = urlsplit(endpoint), urlsplit(base_url)
        same_port = asked.port in (None, own.port)
    except ValueError:
        return None
    host = (asked.hostname or "").lower()
    if asked.scheme != own.scheme or not same_port:
        return None
    if host != (own.hostname or "").lower() and host not in _LOOPBACK_HOSTS:
        return None
    tenant = asked.path.strip("/").split("/")[0]
    return tenant or None
