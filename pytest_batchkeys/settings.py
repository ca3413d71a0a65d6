"""Settings: one frozen dataclass, built by one pure function from command line, ini, env.

Precedence, written once here and documented in docs/configuration.md:
command line, then ini file, then environment variable, then default.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pytest_batchkeys.clouds import CLOUDS, DEFAULT_CLOUD, Cloud
from pytest_batchkeys.errors import ConfigError

Mode = Literal["replay", "live", "record"]
RecordMode = Literal["new", "all"]
MODES: Final = ("replay", "live", "record")
RECORD_MODES: Final = ("new", "all")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a run needs to know, secrets excluded (credentials stay in auth.py)."""

    mode: Mode = "replay"
    record_mode: RecordMode = "new"
    cassette_dir: Path = Path("cassettes")
    spec: str | None = None
    api_version: str | None = None
    cloud: str = DEFAULT_CLOUD
    endpoint: str | None = None
    authority: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    account_name: str | None = None
    contract: bool = False
    rotation: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 3
    max_retry_wait: float = 60.0
    max_examples: int = 50
    max_rate: float = 5.0

    @property
    def is_live(self) -> bool:
        """True when requests go to a real endpoint (live and record modes)."""
        return self.mode != "replay"

    @property
    def cloud_info(self) -> Cloud:
        """The selected cloud's endpoints."""
        return CLOUDS[self.cloud]

    @property
    def arm_url(self) -> str:
        """ARM base URL without trailing slash: the endpoint if given, else the cloud's."""
        return (self.endpoint or self.cloud_info.arm).rstrip("/")

    @property
    def authority_url(self) -> str:
        """Token host: --batch-authority, else the endpoint (simulators serve both), else cloud."""
        return (self.authority or self.endpoint or self.cloud_info.authority).rstrip("/")


@dataclass(frozen=True, kw_only=True)
class Option:
    """One setting as the user sees it: flag, ini key, environment variable, help."""

    field: str
    flag: str
    ini: str
    env: str | None
    help: str
    metavar: str | None = None


OPTIONS: Final[tuple[Option, ...]] = (
    Option(
        field="mode",
        flag="--batch-live / --batch-record",
        ini="batchkeys_mode",
        env="BATCHKEYS_MODE",
        help="replay (default), live or record",
    ),
    Option(
        field="record_mode",
        flag="--batch-record-all",
        ini="batchkeys_record_mode",
        env="BATCHKEYS_RECORD_MODE",
        help="new (default): record only missing cassettes; all: re-record every cassette used",
    ),
    Option(
        field="cassette_dir",
        flag="--batch-cassette-dir",
        ini="batchkeys_cassette_dir",
        env="BATCHKEYS_CASSETTE_DIR",
        help="cassette directory; relative paths are under the rootdir (default: cassettes)",
        metavar="DIR",
    ),
    Option(
        field="spec",
        flag="--batch-spec",
        ini="batchkeys_spec",
        env="BATCHKEYS_SPEC",
        help="Swagger 2.0 / OpenAPI 3 file holding BatchAccount_GetKeys, or `seed` for the shipped "
        "seed swagger (default: the bundled 2026-08-01 contract)",
        metavar="PATH",
    ),
    Option(
        field="api_version",
        flag="--batch-api-version",
        ini="batchkeys_api_version",
        env="BATCHKEYS_API_VERSION",
        help="api-version to send (default: newest stable in the spec, 2026-08-01)",
        metavar="VERSION",
    ),
    Option(
        field="cloud",
        flag="--batch-cloud",
        ini="batchkeys_cloud",
        env="BATCHKEYS_CLOUD",
        help="AzureCloud (default), AzureChinaCloud or AzureUSGovernment",
        metavar="NAME",
    ),
    Option(
        field="endpoint",
        flag="--batch-endpoint",
        ini="batchkeys_endpoint",
        env="BATCHKEYS_ENDPOINT",
        help="ARM base URL, e.g. a local simulator (default: the cloud's ARM endpoint)",
        metavar="URL",
    ),
    Option(
        field="authority",
        flag="--batch-authority",
        ini="batchkeys_authority",
        env="BATCHKEYS_AUTHORITY",
        help="token host for client credentials (default: the endpoint if given, else the cloud's)",
        metavar="URL",
    ),
    Option(
        field="subscription_id",
        flag="--batch-subscription",
        ini="batchkeys_subscription_id",
        env="AZURE_SUBSCRIPTION_ID",
        help="target subscription id (live and record)",
        metavar="UUID",
    ),
    Option(
        field="resource_group",
        flag="--batch-resource-group",
        ini="batchkeys_resource_group",
        env="BATCHKEYS_RESOURCE_GROUP",
        help="target resource group (live and record)",
        metavar="NAME",
    ),
    Option(
        field="account_name",
        flag="--batch-account",
        ini="batchkeys_account_name",
        env="BATCHKEYS_ACCOUNT_NAME",
        help="target Batch account (live and record)",
        metavar="NAME",
    ),
    Option(
        field="contract",
        flag="--batch-contract",
        ini="batchkeys_contract",
        env="BATCHKEYS_CONTRACT",
        help="collect and run the shipped listKeys contract suite",
    ),
    Option(
        field="rotation",
        flag="--batch-rotation",
        ini="batchkeys_rotation",
        env="BATCHKEYS_ROTATION",
        help="with --batch-contract, also run the key-rotation tests; live and record they "
        "REGENERATE the target account's keys",
    ),
    Option(
        field="connect_timeout",
        flag="--batch-connect-timeout",
        ini="batchkeys_connect_timeout",
        env="BATCHKEYS_CONNECT_TIMEOUT",
        help="seconds to wait for a connection (default: 5)",
        metavar="SECONDS",
    ),
    Option(
        field="read_timeout",
        flag="--batch-read-timeout",
        ini="batchkeys_read_timeout",
        env="BATCHKEYS_READ_TIMEOUT",
        help="seconds to wait for a response (default: 30)",
        metavar="SECONDS",
    ),
    Option(
        field="max_retries",
        flag="--batch-max-retries",
        ini="batchkeys_max_retries",
        env="BATCHKEYS_MAX_RETRIES",
        help="retries of 429 and 5xx answers in live and record modes (default: 3; 0 disables)",
        metavar="N",
    ),
    Option(
        field="max_retry_wait",
        flag="--batch-max-retry-wait",
        ini="batchkeys_max_retry_wait",
        env="BATCHKEYS_MAX_RETRY_WAIT",
        help="total seconds one request may spend waiting on Retry-After (default: 60)",
        metavar="SECONDS",
    ),
    Option(
        field="max_examples",
        flag="--batch-max-examples",
        ini="batchkeys_max_examples",
        env="BATCHKEYS_MAX_EXAMPLES",
        help="generated contract cases per live run (default: 50)",
        metavar="N",
    ),
    Option(
        field="max_rate",
        flag="--batch-max-rate",
        ini="batchkeys_max_rate",
        env="BATCHKEYS_MAX_RATE",
        help="generated contract requests per second, live (default: 5; ARM refills 10/s)",
        metavar="PER_SECOND",
    ),
)
OPTIONS_BY_FIELD: Final = {option.field: option for option in OPTIONS}
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "mode": MODES,
    "record_mode": RECORD_MODES,
    "cloud": tuple(CLOUDS),
}
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})


def resolve(
    cli: Mapping[str, Any],
    ini: Mapping[str, str | None],
    env: Mapping[str, str],
    *,
    rootdir: Path,
) -> Settings:
    """Build Settings; each field takes command line, else ini, else environment, else default.

    `cli` maps field names to parsed option values (None when not given), `ini` maps ini keys
    to their raw strings (None or "" when unset), `env` is the process environment.
    """
    defaults = Settings()
    values: dict[str, Any] = {}
    for item in fields(Settings):
        option = OPTIONS_BY_FIELD[item.name]
        raw, source = _pick(option, cli, ini, env)
        if raw is None:
            values[item.name] = getattr(defaults, item.name)
            continue
        values[item.name] = _convert(item.name, raw, source, type(getattr(defaults, item.name)))
    cassette_dir = Path(values["cassette_dir"])
    values["cassette_dir"] = cassette_dir if cassette_dir.is_absolute() else rootdir / cassette_dir
    settings = Settings(**values)
    _validate_urls(settings)
    return settings


def _pick(
    option: Option, cli: Mapping[str, Any], ini: Mapping[str, str | None], env: Mapping[str, str]
) -> tuple[Any, str]:
    """The first value given, in precedence order, with a description of where it came from."""
    value = cli.get(option.field)
    if value is not None and value is not False:
        return value, option.flag
    ini_value = ini.get(option.ini)
    if ini_value not in (None, ""):
        return ini_value, f"ini key {option.ini}"
    if option.env and env.get(option.env, "") != "":
        return env[option.env], f"environment variable {option.env}"
    return None, "default"


def _convert(name: str, raw: Any, source: str, kind: type) -> Any:
    """Turn a raw option value into the field's type, or raise ConfigError naming the source."""
    if kind is bool:
        return _to_bool(raw, source)
    text = str(raw).strip()
    if name in _CHOICES:
        return _choice(name, text, source)
    if kind in (int, float):
        return _number(name, text, source, kind)
    return text


def _to_bool(raw: Any, source: str) -> bool:
    """A boolean from True/False or the usual spellings of yes and no."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(
        f"{source} is {raw!r}, which is not a boolean. Use one of: true, false, 1, 0, yes, no."
    )


def _choice(name: str, text: str, source: str) -> str:
    """`text` if it is one of the field's choices; the error lists them."""
    choices = _CHOICES[name]
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    hint = ""
    if name == "cloud":
        hint = " For any other ARM endpoint (a simulator, a proxy) use --batch-endpoint URL."
    raise ConfigError(
        f"Unknown {name.replace('_', ' ')} {text!r} from {source}. "
        f"Expected one of: {', '.join(choices)}.{hint}",
        anchor="unknown-value",
    )


def _number(name: str, text: str, source: str, kind: type) -> float | int:
    """A non-negative int or positive finite float from text, or a ConfigError naming the source."""
    default = getattr(Settings(), name)
    if kind is int:
        expected = f"Expected a whole number, 0 or more (default: {default})."
    else:
        expected = f"Expected a number greater than zero (default: {default:g})."
    try:
        value: float | int = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(
            f"{source} is {text!r}, which is not {what}. {expected}", anchor="bad-number"
        ) from None
    if not math.isfinite(value):
        raise ConfigError(
            f"{source} is {text!r}, which is not a finite number; an endless timeout or limit "
            f"could hang the run. {expected}",
            anchor="bad-number",
        )
    if value < 0:
        raise ConfigError(
            f"{source} is {text!r}, which is negative. {expected}", anchor="bad-number"
        )
    if value == 0 and kind is float:
        raise ConfigError(
            f"{source} is {text!r}, and zero would fail or stop every request. {expected}",
            anchor="bad-number",
        )
    return value


def _validate_urls(settings: Settings) -> None:
    """Endpoint and authority must be http(s) URLs with a host and no query or fragment."""
    for name in ("endpoint", "authority"):
        value = getattr(settings, name)
        if value is not None:
            check_base_url(value, OPTIONS_BY_FIELD[name].flag)


def check_base_url(value: str, source: str) -> None:
    """Raise ConfigError unless value is an http(s) URL with a host and no query or fragment."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(
            f"{source} {value!r} is not a valid URL ({exc}). Expected e.g. https://management.azure.com"
            " or http://127.0.0.1:8080.",
            anchor="malformed-url",
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{source} {value!r} is not a base URL. Expected scheme http or https, a host, and no "
            "query or fragment, e.g. https://management.azure.com or http://127.0.0.1:8080.",
            anchor="malformed-url",
        )
    del port


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        import ipaddress  # only live runs get here; keeps plugin start-up light

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_UUID_RE: Final = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def missing_live_target(settings: Settings) -> list[str]:
    """Lines naming each target value that live mode needs and does not have."""
    missing = []
    for name in ("subscription_id", "resource_group", "account_name"):
        if not getattr(settings, name):
            option = OPTIONS_BY_FIELD[name]
            missing.append(f"  {option.env} (or {option.flag}, ini {option.ini})")
    return missing


def validate_live(settings: Settings) -> None:
    """Raise ConfigError when live/record settings cannot reach a target safely."""
    missing = missing_live_target(settings)
    if missing:
        raise ConfigError(
            f"--batch-{settings.mode} needs a target, and these are not set:\n"
            + "\n".join(missing)
            + "\nSet them, or run without --batch-live/--batch-record to replay cassettes.",
            anchor="missing-target",
        )
    sub = settings.subscription_id or ""
    if not _UUID_RE.match(sub):
        raise ConfigError(
            f"Subscription id {sub!r} is not a UUID. Azure subscription ids look like "
            "00000000-0000-0000-0000-000000000000; check AZURE_SUBSCRIPTION_ID or "
            "--batch-subscription.",
            anchor="bad-subscription",
        )
    for url in (settings.arm_url, settings.authority_url):
        if url.startswith("http://") and not is_loopback_url(url):
            raise ConfigError(
                f"{url} is plain http to a host that is not loopback; a bearer token would cross "
                "the network in clear. Use https, or a simulator on 127.0.0.1.",
                anchor="plain-http",
            )
    if settings.mode == "live" and settings.record_mode == "all":
        raise ConfigError(
            "The record mode is 'all' (re-record every cassette), but the mode is live, which "
            "never writes cassettes. To re-record, use --batch-record-all (or batchkeys_mode / "
            "BATCHKEYS_MODE=record); to run live without recording, unset batchkeys_record_mode "
            "/ BATCHKEYS_RECORD_MODE.",
            anchor="contradictory-options",
        )
    if settings.mode == "record":
        check_cassette_dir(settings.cassette_dir)


def check_cassette_dir(directory: Path) -> None:
    """Raise ConfigError when record mode could not write cassettes under `directory`.

    An existing directory must be writable; a missing one must not sit under a file. (Whether a
    missing directory can be created is left to the first write, which names the problem.)
    """
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    flag = OPTIONS_BY_FIELD["cassette_dir"].flag
    if not existing.is_dir():
        where = "is" if existing == directory else f"would be under {existing}, which is"
        raise ConfigError(
            f"Cassette dir {directory} {where} a file, not a directory, so --batch-record cannot "
            f"write cassettes there. Remove or rename the file, or choose another {flag} "
            "(ini batchkeys_cassette_dir, env BATCHKEYS_CASSETTE_DIR).",
            anchor="unwritable-cassette-dir",
        )
    if existing == directory and not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(
            f"Cassette dir {directory} is not writable by this user, so --batch-record cannot "
            f"write cassettes there. Fix its permissions, or choose another {flag} "
            "(ini batchkeys_cassette_dir, env BATCHKEYS_CASSETTE_DIR).",
            anchor="unwritable-cassette-dir",
        )


def check_option_values_are_not_paths(args: Sequence[str], invocation_dir: Path) -> None:
    """Refuse `--batch-OPTION VALUE` (with a space) when VALUE names an existing path.

    pytest picks the rootdir and ini file before it knows plugin options, so it reads such a
    VALUE as a test path: the rootdir moves, cassettes are looked for (and recorded) elsewhere.
    The `--batch-OPTION=VALUE` form is never taken for a path.
    """
    flags = {option.flag: option for option in OPTIONS if option.metavar is not None}
    for flag, value in itertools.pairwise(args):
        option = flags.get(flag)
        if option is None or value.startswith("-"):
            continue
        if (invocation_dir / value.partition("::")[0]).exists():
            raise ConfigError(
                f"{flag} {value} was given with a space, and {value} exists, so pytest took it "
                "for a test path while choosing the rootdir and ini file (the project's "
                "configuration and cassettes could be missed, and recordings written outside "
                f"it). Write it with '=': {flag}={shlex.quote(value)}",
                anchor="option-with-space",
            )


_RECORD_FLAGS: Final = {"new": "--batch-record", "all": "--batch-record-all"}


def check_cassette_dir_for_replay(directory: Path) -> None:
    """Raise ConfigError when the cassette dir exists but is not a directory (replay reads it)."""
    if directory.exists() and not directory.is_dir():
        flag = OPTIONS_BY_FIELD["cassette_dir"].flag
        raise ConfigError(
            f"Cassette dir {directory} is a file, not a directory, so no cassette can be read "
            f"from it. Point {flag} (ini batchkeys_cassette_dir, env BATCHKEYS_CASSETTE_DIR) at "
            "the directory that holds the cassettes.",
            anchor="unwritable-cassette-dir",
        )


def cli_values(getoption: Callable[[str], Any]) -> dict[str, Any]:
    """Map pytest's parsed options (by dest) to Settings field names."""
    record = getoption("batch_record")
    live = getoption("batch_live")
    if record and live:
        raise ConfigError(
            f"--batch-live and {_RECORD_FLAGS[record]} contradict each other: live mode never "
            "writes cassettes, record mode writes them (record mode talks to the endpoint too). "
            "Pass only one of them.",
            anchor="contradictory-options",
        )
    values: dict[str, Any] = {
        "mode": "record" if record else ("live" if live else None),
        "record_mode": record,
    }
    for option in OPTIONS:
        if option.field not in values:
            values[option.field] = getoption(option.field)
    return values
