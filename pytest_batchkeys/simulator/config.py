"""Simulator configuration as plain dataclasses; the defaults serve one documented account."""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Literal

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator.faults import Fault

#: Stable api-versions of Microsoft.Batch listKeys (facts §1); 2026-08-01 being live is UNCONFIRMED.
SUPPORTED_API_VERSIONS: tuple[str, ...] = (
    "2026-08-01",
    "2025-06-01",
    "2024-07-01",
    "2024-02-01",
    "2023-11-01",
    "2023-05-01",
    "2022-10-01",
    "2022-06-01",
    "2022-01-01",
    "2021-06-01",
    "2021-01-01",
    "2020-09-01",
    "2020-05-01",
    "2020-03-01",
    "2019-08-01",
    "2019-04-01",
    "2018-12-01",
    "2017-09-01",
    "2017-05-01",
    "2017-01-01",
    "2015-12-01",
)
#: Header profiles (pytest_batchkeys.simulator.profiles): "2024" (default) and "2019".
HEADER_PROFILES: tuple[str, ...] = ("2024", "2019")
AUTH_MODES: tuple[str, ...] = ("SharedKey", "AAD", "TaskAuthenticationToken")
POOL_ALLOCATION_MODES: tuple[str, ...] = ("BatchService", "UserSubscription")
LISTKEYS_ACTION = "Microsoft.Batch/batchAccounts/listKeys/action"
REGENERATE_KEYS_ACTION = "Microsoft.Batch/batchAccounts/regenerateKeys/action"
#: The keyName values regenerateKeys accepts: the spec's AccountKeyType enum, exact case.
KEY_NAMES: tuple[str, ...] = ("Primary", "Secondary")

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ACCOUNT_NAME_RE = re.compile(r"^[a-zA-Z0-9]{3,24}$")
#: source: learn.microsoft.com, .NET `SynapseWorkspaceData.ManagedResourceGroupName` and
#: `Azure.Provisioning.Resources.ResourceGroup.Name`: "no longer than 90 characters", letters or
#: digits as `Char.IsLetterOrDigit()` and '-', '_', '(', ')', '.'; "cannot end with '.'".
_LETTER_OR_DIGIT = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})
_GROUP_PUNCTUATION = frozenset("-_.()")
#: The same rule for ASCII names (the ASCII letters and digits are exactly A-Z, a-z, 0-9).
_ASCII_GROUP_RE = re.compile(r"[A-Za-z0-9_.()\-]{1,90}")


def valid_resource_group_name(name: str) -> bool:
    """ARM's rule: 1-90 UTF-16 units of Unicode letters/digits and -_.(), no final '.'."""
    if name.isascii():
        return _ASCII_GROUP_RE.fullmatch(name) is not None and not name.endswith(".")
    units = len(name.encode("utf-16-le")) // 2  # .NET string length counts UTF-16 code units
    if not 1 <= units <= 90 or name.endswith("."):
        return False
    return all(c in _GROUP_PUNCTUATION or unicodedata.category(c) in _LETTER_OR_DIGIT for c in name)


@dataclass(frozen=True)
class ErrorChoice:
    """The HTTP status, error code and (optional) message form of one situation's answer.

    `form` picks a documented message shape (see MESSAGE_FORMS); None derives it from the code.
    """

    status: int
    code: str
    form: str | None = None


#: Message forms a situation can take under `errors.<situation>.form`, the default first.
MESSAGE_FORMS: dict[str, tuple[str, ...]] = {
    # rp: the Batch resource provider's shape (target, RequestId/Time lines); gateway: ARM's text.
    "account_not_found": ("rp", "gateway"),
    "user_subscription_mode": ("rp", "gateway"),
    "shared_key_disabled": ("rp", "gateway"),
    # storage: "exceeded the backend storage limit"; hourly: the older per-hour text;
    # srp: the simulator's pre-fidelity text (a Storage resource provider message).
    "throttled": ("storage", "hourly", "srp"),
    # provider: NoRegisteredProviderFound's text; arm: InvalidApiVersionParameter's text.
    "unsupported_api_version": ("provider", "arm"),
}
#: Codes whose message form is implied when `form` is not set (the pre-fidelity defaults).
_FORM_BY_CODE: dict[tuple[str, str], str] = {
    ("account_not_found", "ResourceNotFound"): "gateway",
    ("throttled", "TooManyRequests"): "srp",
    ("unsupported_api_version", "InvalidApiVersionParameter"): "arm",
}


#: Situation -> answer. Entries marked UNCONFIRMED in docs/simulator.md are guesses.
DEFAULT_ERRORS: dict[str, ErrorChoice] = {
    "route_not_found": ErrorChoice(404, "NotFound"),
    "method_not_allowed": ErrorChoice(405, "MethodNotAllowed"),
    "body_too_large": ErrorChoice(413, "RequestEntityTooLarge"),
    "unsupported_media_type": ErrorChoice(415, "UnsupportedMediaType"),
    "invalid_body": ErrorChoice(400, "InvalidRequestContent"),
    "missing_authorization": ErrorChoice(401, "AuthenticationFailed"),
    "malformed_authorization": ErrorChoice(401, "AuthenticationFailed"),
    "invalid_token": ErrorChoice(401, "InvalidAuthenticationToken"),
    "expired_token": ErrorChoice(401, "ExpiredAuthenticationToken"),
    "wrong_token_tenant": ErrorChoice(401, "InvalidAuthenticationTokenTenant"),
    "missing_api_version": ErrorChoice(400, "MissingApiVersionParameter"),
    # source: facts §6.2 (proxied provider types answer NoRegisteredProviderFound); UNCONFIRMED.
    "unsupported_api_version": ErrorChoice(400, "NoRegisteredProviderFound"),
    "invalid_subscription_id": ErrorChoice(400, "InvalidSubscriptionId"),
    "invalid_resource_group_name": ErrorChoice(400, "InvalidResourceGroupName"),
    "invalid_account_name": ErrorChoice(400, "AccountNameInvalid"),
    "subscription_not_found": ErrorChoice(404, "SubscriptionNotFound"),
    # source: facts §8 "Throttling (ARM)": public captures of 429 SubscriptionRequestsThrottled.
    "throttled": ErrorChoice(429, "SubscriptionRequestsThrottled"),
    "authorization_failed": ErrorChoice(403, "AuthorizationFailed"),
    "resource_group_not_found": ErrorChoice(404, "ResourceGroupNotFound"),
    # source: facts §8, the Batch RP's 404 AccountNotFound (best evidence; UNCONFIRMED here).
    "account_not_found": ErrorChoice(404, "AccountNotFound"),
    "user_subscription_mode": ErrorChoice(409, "OperationNotAllowed"),
    "shared_key_disabled": ErrorChoice(409, "OperationNotAllowed"),
    "regenerate_invalid_body": ErrorChoice(400, "InvalidRequestBody"),
    "regenerate_missing_key_name": ErrorChoice(400, "MissingRequiredProperty"),
    "regenerate_invalid_key_name": ErrorChoice(400, "InvalidPropertyValue"),
    "internal_error": ErrorChoice(500, "InternalServerError"),
    "token_invalid_client": ErrorChoice(400, "invalid_client"),
}


def _all_auth_modes() -> list[str]:
    return list(AUTH_MODES)


@dataclass
class Account:
    """A Batch account; keys left None are generated once (seeded if `seed` is set)."""

    name: str = placeholders.ACCOUNT_NAME
    primary: str | None = None
    secondary: str | None = None
    allowed_authentication_modes: list[str] = field(default_factory=_all_auth_modes)
    pool_allocation_mode: Literal["BatchService", "UserSubscription"] = "BatchService"


@dataclass
class ResourceGroup:
    """A resource group holding accounts; names match case-insensitively, like ARM."""

    name: str = placeholders.RESOURCE_GROUP
    accounts: list[Account] = field(default_factory=lambda: [Account()])


@dataclass
class Subscription:
    """A subscription; with `tenant` set, only tokens issued for that tenant are accepted."""

    id: str = placeholders.SUBSCRIPTION_ID
    tenant: str | None = None
    resource_groups: list[ResourceGroup] = field(default_factory=lambda: [ResourceGroup()])


@dataclass
class Client:
    """A registered app: its tokens act as `principal` (default: the client id)."""

    client_id: str
    client_secret: str
    tenant: str | None = None
    principal: str | None = None


@dataclass
class Principal:
    """Role assignments of one principal: action patterns (fnmatch) over scope prefixes."""

    id: str
    actions: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=lambda: ["/"])
    object_id: str | None = None

    def oid(self) -> str:
        """The object id shown in AuthorizationFailed; derived from `id` when not configured."""
        return self.object_id or derived_object_id(self.id)


@functools.lru_cache(maxsize=256)
def derived_object_id(principal_id: str) -> str:
    """The object id of a principal without a configured one: a UUID derived from its id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"batchkeys:{principal_id}"))


@dataclass
class StaticToken:
    """A bearer token accepted without the token endpoint; it never expires."""

    token: str
    principal: str = placeholders.CLIENT_ID
    tenant: str | None = None


@dataclass
class Throttle:
    """ARM's write token bucket per subscription: `capacity` tokens, refilled per second.

    `remaining_writes` / `remaining_global_writes`: what the rate-limit headers say on a full
    bucket (None: the header profile's value; they count down one per write).
    """

    capacity: float = 200.0
    refill_per_second: float = 10.0
    remaining_writes: int | None = None
    remaining_global_writes: int | None = None


def _default_subscriptions() -> list[Subscription]:
    return [Subscription()]


@dataclass
class SimulatorConfig:
    """Everything the simulator serves; `SimulatorConfig()` is the documented default world."""

    subscriptions: list[Subscription] = field(default_factory=_default_subscriptions)
    tenants: list[str] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    principals: list[Principal] = field(default_factory=list)
    default_actions: list[str] = field(default_factory=lambda: ["*"])
    static_tokens: list[StaticToken] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    api_versions: list[str] = field(default_factory=lambda: list(SUPPORTED_API_VERSIONS))
    errors: dict[str, ErrorChoice] = field(default_factory=dict)
    accepted_scopes: list[str] | None = None
    token_lifetime: int = 3599
    throttle: Throttle = field(default_factory=Throttle)
    seed: int | None = None
    region: str = "EASTUS"
    max_body_bytes: int = 1024 * 1024
    header_profile: Literal["2024", "2019"] = "2024"
    retry_after_ms: bool = False

    def error(self, situation: str) -> ErrorChoice:
        """The configured answer for a situation, else the default one."""
        return self.errors.get(situation) or DEFAULT_ERRORS[situation]

    def message_form(self, situation: str) -> str:
        """The message form of a situation: configured, implied by the code, or the default."""
        choice = self.error(situation)
        if choice.form is not None:
            return choice.form
        implied = _FORM_BY_CODE.get((situation, choice.code))
        return implied or MESSAGE_FORMS[situation][0]


def config_problems(config: SimulatorConfig) -> list[tuple[str, str]]:
    """(key path, problem) for every value the simulator cannot serve; empty when valid."""
    found: list[tuple[str, str]] = []
    for i, sub in enumerate(config.subscriptions):
        where = f"subscriptions[{i}]"
        if not UUID_RE.match(sub.id):
            found.append((f"{where}.id", f"{sub.id!r} is not a UUID"))
        for j, group in enumerate(sub.resource_groups):
            gwhere = f"{where}.resource_groups[{j}]"
            if not valid_resource_group_name(group.name):
                found.append((f"{gwhere}.name", f"{group.name!r} is not a valid group name"))
            for k, account in enumerate(group.accounts):
                found.extend(_account_problems(account, f"{gwhere}.accounts[{k}]"))
    for i, fault in enumerate(config.faults):
        found.extend((f"faults[{i}].{key}", problem) for key, problem in fault.problems())
    for name in config.errors:
        if name not in DEFAULT_ERRORS:
            found.append(
                (f"errors.{name}", f"unknown situation; known: {', '.join(DEFAULT_ERRORS)}")
            )
    for name, choice in config.errors.items():
        if not 400 <= choice.status <= 599:
            found.append((f"errors.{name}.status", f"must be 400-599, got {choice.status!r}"))
        found.extend(_form_problems(name, choice))
    if config.token_lifetime < 1:
        found.append(("token_lifetime", "must be >= 1 second"))
    if config.throttle.capacity < 1 or config.throttle.refill_per_second <= 0:
        found.append(("throttle", "capacity must be >= 1 and refill_per_second > 0"))
    for name in ("remaining_writes", "remaining_global_writes"):
        value = getattr(config.throttle, name)
        if value is not None and value < 0:
            found.append((f"throttle.{name}", f"must be >= 0, got {value!r}"))
    if config.header_profile not in HEADER_PROFILES:
        found.append(
            (
                "header_profile",
                f"{config.header_profile!r} is not one of {', '.join(HEADER_PROFILES)}",
            )
        )
    if config.max_body_bytes < 0:
        found.append(("max_body_bytes", "must be >= 0"))
    if not config.api_versions:
        found.append(("api_versions", "must list at least one api-version"))
    found.extend(control_character_problems(config, ""))
    return found


def _form_problems(name: str, choice: ErrorChoice) -> list[tuple[str, str]]:
    if choice.form is None or name not in DEFAULT_ERRORS:
        return []
    forms = MESSAGE_FORMS.get(name, ())
    if choice.form in forms:
        return []
    known = f"not one of {', '.join(forms)}" if forms else "not settable for this situation"
    return [(f"errors.{name}.form", f"{choice.form!r} is {known}")]


def control_character_problems(value: object, where: str) -> list[tuple[str, str]]:
    """(key path, problem) for every text holding a control character such as CR or LF.

    Config values end up in response headers (region, tenants, error codes); a line break in
    one would let a config file inject a header, so none is accepted anywhere.
    """
    if isinstance(value, str):
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
            return [(where, f"{value[:40]!r} holds a control character (CR, LF, tab...)")]
        return []
    items: list[tuple[str, object]] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
        items = [(f"{where}.{name}" if where else name, item) for name, item in items]
    elif isinstance(value, dict):
        items = [(f"{where}.{key}", item) for key, item in value.items()]
        items += [(f"{where} (key)", key) for key in value]
    elif isinstance(value, list):
        items = [(f"{where}[{index}]", item) for index, item in enumerate(value)]
    return [problem for key, item in items for problem in control_character_problems(item, key)]


def _account_problems(account: Account, where: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not ACCOUNT_NAME_RE.match(account.name):
        found.append((f"{where}.name", f"{account.name!r} is not 3-24 letters and digits"))
    for mode in account.allowed_authentication_modes:
        if mode not in AUTH_MODES:
            found.append((f"{where}.allowed_authentication_modes", f"{mode!r} not in {AUTH_MODES}"))
    if account.pool_allocation_mode not in POOL_ALLOCATION_MODES:
        found.append(
            (
                f"{where}.pool_allocation_mode",
                f"{account.pool_allocation_mode!r} not in {POOL_ALLOCATION_MODES}",
            )
        )
    return found


def check_config(config: SimulatorConfig, source: str = "SimulatorConfig") -> None:
    """Raise ConfigError naming the source and the first bad key; return when valid."""
    found = config_problems(config)
    if found:
        key, problem = found[0]
        raise ConfigError(
            f"simulator configuration {source}: {key}: {problem}. "
            "Fix that value; docs/simulator.md lists every key."
        )
