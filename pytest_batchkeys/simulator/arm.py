"""ARM's answer to listKeys, checked in the simulator's documented (assumed) order.

`admit` runs every check up to a usable account for one action; `list_keys` answers with its
keys, and `simulator.rotation` regenerates one of them behind the same checks.
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import json
import random
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator.config import (
    ACCOUNT_NAME_RE,
    LISTKEYS_ACTION,
    UUID_RE,
    Account,
    Principal,
    ResourceGroup,
    SimulatorConfig,
    Subscription,
    valid_resource_group_name,
)
from pytest_batchkeys.simulator.throttle import Buckets
from pytest_batchkeys.simulator.tokens import Grant, TokenStore
from pytest_batchkeys.simulator.wire import (
    Caller,
    Reply,
    arm_error,
    json_reply,
    retry_after_headers,
    rp_error,
)

#: Guards every read-modify-write of an account's keys (generation and rotation).
KEY_LOCK = threading.Lock()


@dataclass(frozen=True)
class ArmRequest:
    """The parts of a listKeys request the checks look at."""

    subscription: str
    resource_group: str
    account: str
    query: str
    authorization: str | None
    content_type: str
    body: bytes
    request_id: str = ""


@dataclass(frozen=True)
class Admitted:
    """A request that passed every check: where its account is, writes spent, the caller."""

    subscription: Subscription
    group: ResourceGroup
    account: Account
    writes_used: int
    caller: Caller | None = None

    def answer(self, reply: Reply) -> Reply:
        """`reply` as the answer to this admitted write: its counters and caller attached."""
        reply.writes_used = self.writes_used
        reply.caller = self.caller
        return reply


@dataclass
class ArmContext:
    """What listKeys consults: configuration, issued tokens, throttle buckets, base URL."""

    config: SimulatorConfig
    tokens: TokenStore
    buckets: Buckets
    base_url: str


def ensure_keys(
    account: Account, subscription: str, group: str, seed: int | None
) -> tuple[str, str]:
    """The account's keys, generating missing ones once: base64 of 64 bytes, distinct."""
    with KEY_LOCK:
        if account.primary is None or account.secondary is None:
            where = f"{seed}:{subscription}/{group}/{account.name}".lower()
            rng = random.Random(where) if seed is not None else None
            made: list[str] = []
            while len(made) < 2:
                raw = rng.randbytes(64) if rng is not None else secrets.token_bytes(64)
                key = base64.b64encode(raw).decode()
                if key not in made and key not in (account.primary, account.secondary):
                    made.append(key)
            account.primary = account.primary or made[0]
            account.secondary = account.secondary or made[1]
        return account.primary, account.secondary


def _challenge(ctx: ArmContext, tenant: str | None, description: str) -> list[tuple[str, str]]:
    authority = f"{ctx.base_url}/{tenant or placeholders.TENANT_ID}"
    value = (
        f'Bearer authorization_uri="{authority}", error="invalid_token", '
        f'error_description="{description}"'
    )
    return [("WWW-Authenticate", value)]


def _when(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S %p}"


def _authenticate(ctx: ArmContext, req: ArmRequest) -> Grant | Reply:
    config = ctx.config
    header = (req.authorization or "").strip()
    if not header:
        text = "The authentication failed because of missing 'Authorization' header."
        return arm_error(
            config.error("missing_authorization"),
            "Authentication failed. The 'Authorization' header is missing.",
            headers=_challenge(ctx, None, text),
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        text = "The authentication failed because of a malformed 'Authorization' header."
        return arm_error(
            config.error("malformed_authorization"),
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            headers=_challenge(ctx, None, text),
        )
    grant = ctx.tokens.lookup(token.strip(), config.static_tokens)
    if grant is None:
        text = "The access token is invalid."
        return arm_error(config.error("invalid_token"), text, headers=_challenge(ctx, None, text))
    if grant.expired():
        assert grant.expires_at is not None
        text = (
            f"The access token expiry UTC time '{_when(grant.expires_at)}' is earlier than "
            f"current UTC time '{_when(datetime.now(UTC).timestamp())}'."
        )
        return arm_error(
            config.error("expired_token"), text, headers=_challenge(ctx, grant.tenant, text)
        )
    return grant


def _check_body(config: SimulatorConfig, req: ArmRequest) -> Reply | None:
    if not req.body.strip():
        return None
    media = req.content_type.split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        return arm_error(
            config.error("unsupported_media_type"),
            f"The content media type '{media}' is not supported. Only 'application/json' is "
            "supported.",
        )
    try:
        json.loads(req.body)
    except ValueError:
        return arm_error(
            config.error("invalid_body"),
            "The request content was invalid and could not be "
            "deserialized: the body is not valid JSON.",
        )
    return None


def _check_api_version(config: SimulatorConfig, query: str) -> Reply | None:
    values = _api_versions_cached(query) if len(query) <= 512 else _api_versions(query)
    if not values or not values[0]:
        return arm_error(
            config.error("missing_api_version"),
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    version = ",".join(values)
    if version.lower() in _lowered(tuple(config.api_versions)):
        return None
    return _unsupported_api_version(config, version)


def _api_versions(query: str) -> tuple[str, ...]:
    """Every api-version value of a query string (the name in any case), in order."""
    params = parse_qs(query, keep_blank_values=True)
    return tuple(v for k, vs in params.items() if k.lower() == "api-version" for v in vs)


@functools.lru_cache(maxsize=64)
def _api_versions_cached(query: str) -> tuple[str, ...]:
    """_api_versions of a short query: clients send the same few queries again and again."""
    return _api_versions(query)


@functools.lru_cache(maxsize=8)
def _lowered(versions: tuple[str, ...]) -> frozenset[str]:
    """The supported api-versions, lower case (keyed by the live list's current content)."""
    return frozenset(v.lower() for v in versions)


def _unsupported_api_version(config: SimulatorConfig, version: str) -> Reply:
    """source: facts §6.2, both message forms; which one Batch listKeys gets is UNCONFIRMED."""
    choice = config.error("unsupported_api_version")
    supported = config.api_versions
    if config.message_form("unsupported_api_version") == "provider":
        location = config.region.lower()
        message = (
            f"No registered resource provider found for location '{location}' and "
            f"API version '{version}' for type 'batchAccounts'. The supported api-versions are "
            f"'{', '.join(supported)}'. The supported locations are '{location}'."
        )
    else:
        message = (
            f"The api-version '{version}' is invalid. The supported versions are "
            f"'{','.join(supported)}'."
        )
    return arm_error(choice, message)


def _check_names(config: SimulatorConfig, req: ArmRequest) -> Reply | None:
    if not UUID_RE.match(req.subscription):
        return arm_error(
            config.error("invalid_subscription_id"),
            f"The provided subscription identifier '{req.subscription}' is malformed or invalid.",
        )
    if not valid_resource_group_name(req.resource_group):
        return arm_error(
            config.error("invalid_resource_group_name"),
            f"Resource group name '{req.resource_group}' is invalid: it must be 1-90 characters "
            "of letters, digits, '-', '_', '.', '(' and ')', and must not end with '.'.",
            target="resourceGroupName",
        )
    if not ACCOUNT_NAME_RE.match(req.account):
        return arm_error(
            config.error("invalid_account_name"),
            f"Account name '{req.account}' is invalid: it must be 3-24 characters of letters "
            "and digits.",
            target="accountName",
        )
    return None


def _principal(config: SimulatorConfig, principal_id: str) -> Principal:
    for principal in config.principals:
        if principal.id.lower() == principal_id.lower():
            return principal
    return Principal(principal_id, list(config.default_actions))


def _permitted(principal: Principal, scope: str, action: str) -> bool:
    action = action.lower()
    if not any(_action_matches(action, pattern) for pattern in principal.actions):
        return False
    lowered = scope.lower()
    for allowed in principal.scopes:
        prefix = allowed.lower().rstrip("/")
        if not prefix or lowered == prefix or lowered.startswith(prefix + "/"):
            return True
    return False


def _action_matches(action: str, pattern: str) -> bool:
    """fnmatch of a lower-case action against a pattern ("*", every action, answered at once)."""
    return pattern == "*" or fnmatch.fnmatchcase(action, pattern.lower())


def _find_subscription(config: SimulatorConfig, sub_id: str) -> Subscription | None:
    return next((s for s in config.subscriptions if s.id.lower() == sub_id.lower()), None)


def _find_group(sub: Subscription, name: str) -> ResourceGroup | None:
    return next((g for g in sub.resource_groups if g.name.lower() == name.lower()), None)


def _find_account(group: ResourceGroup, name: str) -> Account | None:
    return next((a for a in group.accounts if a.name.lower() == name.lower()), None)


def list_keys(ctx: ArmContext, req: ArmRequest) -> Reply:
    """Run the checks in order; the first failing one answers, else 200 with the keys."""
    admitted = admit(ctx, req, LISTKEYS_ACTION)
    if isinstance(admitted, Reply):
        return admitted
    sub, group, account = admitted.subscription, admitted.group, admitted.account
    primary, secondary = ensure_keys(account, sub.id, group.name, ctx.config.seed)
    return admitted.answer(keys_reply(account.name, primary, secondary))


def keys_reply(account_name: str, primary: str, secondary: str) -> Reply:
    """The 200 answer with an account's keys (BatchAccountKeys, in the real field order)."""
    return Reply(200, keys_body(account_name, primary, secondary))


@functools.lru_cache(maxsize=128)
def keys_body(account_name: str, primary: str, secondary: str) -> bytes:
    """The JSON body of keys_reply, serialized once per (account, keys): compact, field order
    accountName, primary, secondary, as json_reply writes it."""
    body = {"accountName": account_name, "primary": primary, "secondary": secondary}
    return json_reply(200, body).body


def admit(ctx: ArmContext, req: ArmRequest, action: str) -> Admitted | Reply:
    """Every check before `action` may touch the keys; the first failing one answers."""
    config = ctx.config
    grant = _authenticate(ctx, req)
    if isinstance(grant, Reply):
        return grant
    principal = _principal(config, grant.principal)
    caller = _caller(grant, principal)
    result = _authorized(ctx, req, grant, action, (principal, caller))
    if isinstance(result, Reply):
        result.caller = caller
    return result


def _authorized(
    ctx: ArmContext,
    req: ArmRequest,
    grant: Grant,
    action: str,
    who: tuple[Principal, Caller],
) -> Admitted | Reply:
    """The checks after authentication, in order; `who` is the grant's principal (its role
    assignments) and the caller that goes with an admitted request."""
    config = ctx.config
    early = (
        _check_body(config, req)
        or _check_api_version(config, req.query)
        or _check_names(config, req)
    )
    if early is not None:
        return early
    sub = _find_subscription(config, req.subscription)
    if sub is None:
        return arm_error(
            config.error("subscription_not_found"),
            f"The subscription '{req.subscription}' could not be found.",
        )
    if sub.tenant is not None and (grant.tenant or "").lower() != sub.tenant.lower():
        text = (
            f"The access token is from the wrong issuer 'https://sts.windows.net/{grant.tenant}/'."
            f" It must match the tenant 'https://sts.windows.net/{sub.tenant}/' associated with "
            f"this subscription. Please use the authority (URL) '{ctx.base_url}/{sub.tenant}' to "
            "get the token."
        )
        return arm_error(
            config.error("wrong_token_tenant"), text, headers=_challenge(ctx, sub.tenant, text)
        )
    taken = ctx.buckets.take(sub.id.lower())
    if not taken.allowed:
        reply = _throttled(config, req, taken.retry_after, action)
        reply.exhausted = True
        return reply
    principal, caller = who
    found = _resolve(ctx, req, sub, grant, principal, action)
    if isinstance(found, Reply):
        found.writes_used = taken.used
        return found
    group, account = found
    return Admitted(sub, group, account, taken.used, caller)


def _caller(grant: Grant, principal: Principal) -> Caller:
    """The caller's tenant and object id (x-ms-operation-identifier, facts §8)."""
    tenant = grant.tenant or placeholders.TENANT_ID
    return Caller(tenant, principal.oid())


def _throttled(config: SimulatorConfig, req: ArmRequest, retry_after: float, action: str) -> Reply:
    """source: facts §8 "Throttling (ARM)": 429 SubscriptionRequestsThrottled, whole seconds."""
    headers = retry_after_headers(retry_after, with_ms=config.retry_after_ms)
    seconds = headers[0][1]
    form = config.message_form("throttled")
    if form == "storage":
        verb = action.rsplit("/", 2)[-2].upper()  # LISTKEYS or REGENERATEKEYS
        operation = (
            f"POST/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.BATCH/BATCHACCOUNTS/{verb}"
        )
        message = (
            f"Number of requests for subscription '{req.subscription}' and operation "
            f"'{operation}' exceeded the backend storage limit. Please try again after "
            f"'{seconds}' seconds."
        )
    elif form == "hourly":
        limit = int(config.throttle.capacity)
        message = (
            f"Number of write requests for subscription '{req.subscription}' exceeded the limit "
            f"of '{limit}' for time interval '01:00:00'. Please try again after '{seconds}' "
            "seconds."
        )
    else:
        message = (
            "The request is being throttled as the limit has been reached for operation type - "
            "Write. For more information, see - https://aka.ms/srpthrottlinglimits"
        )
    return arm_error(config.error("throttled"), message, headers=headers)


def _resolve(
    ctx: ArmContext,
    req: ArmRequest,
    sub: Subscription,
    grant: Grant,
    principal: Principal,
    action: str,
) -> tuple[ResourceGroup, Account] | Reply:
    config = ctx.config
    scope = (
        f"/subscriptions/{req.subscription}/resourcegroups/{req.resource_group}"
        f"/providers/Microsoft.Batch/batchAccounts/{req.account}"
    )
    if not _permitted(principal, scope, action):
        return arm_error(
            config.error("authorization_failed"),
            f"The client '{grant.client_id}' with object id '{principal.oid()}' does not have "
            f"authorization to perform action '{action}' over scope '{scope}' or the "
            "scope is invalid. If access was recently granted, please refresh your credentials.",
        )
    group = _find_group(sub, req.resource_group)
    if group is None:
        return arm_error(
            config.error("resource_group_not_found"),
            f"Resource group '{req.resource_group}' could not be found.",
        )
    account = _find_account(group, req.account)
    if account is None:
        return _account_not_found(config, req)
    refused = _keys_refused(config, req, account)
    if refused is not None:
        return refused
    return group, account


def _account_not_found(config: SimulatorConfig, req: ArmRequest) -> Reply:
    """source: facts §8 (RP form, the default) and §6.2 (ARM gateway form, x-ms-failure-cause)."""
    choice = config.error("account_not_found")
    if config.message_form("account_not_found") == "rp":
        return rp_error(choice, "The specified account does not exist.", req.request_id)
    return arm_error(
        choice,
        f"The Resource 'Microsoft.Batch/batchAccounts/{req.account}' under resource group "
        f"'{req.resource_group}' was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix",
        headers=[("x-ms-failure-cause", "gateway")],
    )


def _keys_refused(config: SimulatorConfig, req: ArmRequest, account: Account) -> Reply | None:
    """UserSubscription or no SharedKey: the RP refuses (status and code UNCONFIRMED, facts §5)."""
    if account.pool_allocation_mode == "UserSubscription":
        situation = "user_subscription_mode"
        message = (
            f"The operation is not allowed for Batch account '{account.name}': accounts in "
            "'UserSubscription' pool allocation mode must use Microsoft Entra ID instead of keys."
        )
    elif "sharedkey" not in {m.lower() for m in account.allowed_authentication_modes}:
        situation = "shared_key_disabled"
        message = (
            f"The operation is not allowed for Batch account '{account.name}': its "
            "allowedAuthenticationModes do not contain 'SharedKey'."
        )
    else:
        return None
    if config.message_form(situation) == "rp":
        return rp_error(config.error(situation), message, req.request_id)
    return arm_error(config.error(situation), message)
