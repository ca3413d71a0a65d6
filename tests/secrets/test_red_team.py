"""Red team: a failing host suite tries to leak keys and tokens every way a user's test could.

The host suite gets account keys through five clients (batchkeys_session, plain requests,
urllib3, http.client, the official azure-mgmt-batch SDK with batchkeys_credential), turns them
into twelve forms and pushes each through nine channels (assertion text, -l locals, -vv diff,
uncaught exception, stdout, stderr, logging with a traceback, warnings, junit properties). It
runs in live and in record mode against a simulator world of real-looking ids and keys, with
`-l -vv -rA --tb=long --junitxml --log-cli-level=DEBUG --log-file`, and every byte it wrote
(terminal, junit XML, log file, cassettes, .pytest_cache) is searched for every key and token
in every form. The same run with redaction switched off must leak: the search can fail.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers.real_target import RealTarget

from pytest_batchkeys.simulator import Account, Fault, Simulator

SUBSCRIPTION = "7c3e9a41-2b6d-4f80-9e15-3a8b7c6d5e4f"
TENANT = "d41f7b2c-8e3a-4c59-b061-5f2e9d8c7a13"
CLIENT_ID = "a9e8d7c6-b5a4-4392-8170-6f5e4d3c2b1a"
CLIENT_SECRET = "rt~Secret.Value_9876-abcdefGHIJ"
GROUP = "Contoso-Prod-RG"
ACCOUNT = "contosoprod7"
ECHO_ACCOUNT = "contosoecho7"
WORLD = RealTarget(SUBSCRIPTION, TENANT, CLIENT_ID, CLIENT_SECRET, GROUP, ACCOUNT)

CLIENTS = ("session", "requests", "urllib3", "http.client", "sdk")
FORMS = (
    "raw",
    "unpadded",
    "urlsafe",
    "json-escaped",
    "url-once",
    "url-twice",
    "base64",
    "base64-of-url",
    "bytes",
    "hex",
    "edited",
    "token",
    "echoed",
)
CHANNELS = ("assert", "locals", "diff", "raise", "stdout", "stderr", "log", "warning", "property")
FLAGS = (
    "-l",
    "-vv",
    "-rA",
    "--tb=long",
    "--junitxml=junit.xml",
    "--log-cli-level=DEBUG",
    "--log-file=run.log",
    "--log-file-level=DEBUG",
    "-p",
    "no:randomly",
    "-p",
    "no:xdist",
)

HOST = """
import base64, http.client, json, logging, os, sys, warnings
from urllib.parse import quote, urlsplit

import pytest
import requests
import urllib3

pytestmark = pytest.mark.batchkeys
log = logging.getLogger("host.app")
CASES = json.loads(os.environ["REDTEAM_CASES"])


def fetch_keys(client, session, credential, settings, target, account):
    url = (
        f"{settings.arm_url}/subscriptions/{target.subscription_id}/resourceGroups/"
        f"{target.resource_group}/providers/Microsoft.Batch/batchAccounts/{account}"
        f"/listKeys?api-version={target.api_version}"
    )
    if client == "session":
        return session.post(url).json()
    if client == "sdk":
        from azure.mgmt.batch import BatchManagementClient

        sdk = BatchManagementClient(credential, target.subscription_id, base_url=settings.arm_url)
        keys = sdk.batch_account.get_keys(target.resource_group, account, enforce_https=False)
        return {"primary": keys.primary, "secondary": keys.secondary}
    token = credential.get_token(os.environ["REDTEAM_SCOPE"]).token
    headers = {"Authorization": "Bearer " + token, "Content-Length": "0"}
    if client == "requests":
        return requests.post(url, headers=headers).json()
    if client == "urllib3":
        return json.loads(urllib3.PoolManager().request("POST", url, headers=headers).data)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    conn.request("POST", f"{parts.path}?{parts.query}", headers=headers)
    return json.loads(conn.getresponse().read())


def own_token():
    response = requests.post(
        f"{os.environ['BATCHKEYS_ENDPOINT']}/{os.environ['AZURE_TENANT_ID']}/oauth2/v2.0/token",
        data={
            "client_id": os.environ["AZURE_CLIENT_ID"],
            "client_secret": os.environ["AZURE_CLIENT_SECRET"],
            "scope": os.environ["REDTEAM_SCOPE"],
            "grant_type": "client_credentials",
        },
    )
    return response.json()["access_token"]


def echoed(client, session, target, settings):
    url = (
        f"{settings.arm_url}/subscriptions/{target.subscription_id}/resourceGroups/"
        f"{target.resource_group}/providers/Microsoft.Batch/batchAccounts/"
        f"{os.environ['REDTEAM_ECHO_ACCOUNT']}/listKeys?api-version={target.api_version}"
    )
    return session.post(url).text


def transform(form, key):
    decoded = base64.b64decode(key)
    return {
        "raw": lambda: key,
        "unpadded": lambda: key.rstrip("="),
        "urlsafe": lambda: base64.urlsafe_b64encode(decoded).decode(),
        "json-escaped": lambda: json.dumps({"k": key.replace("/", "\\\\/").replace("+", "\\\\u002b")}),
        "url-once": lambda: quote(key, safe=""),
        "url-twice": lambda: quote(quote(key, safe=""), safe=""),
        "base64": lambda: base64.b64encode(key.encode()).decode(),
        "base64-of-url": lambda: base64.b64encode(quote(key, safe="").encode()).decode(),
        "bytes": lambda: decoded,
        "hex": lambda: decoded.hex(),
        "edited": lambda: key[:40] + "!!!" + key[43:],
    }[form]()


def leak(channel, value, record_property):
    if channel == "assert":
        assert not value, f"unexpected value {value}"
    if channel == "locals":
        held = value
        assert held is None
    if channel == "diff":
        assert value == "expected"
    if channel == "raise":
        raise RuntimeError(f"cannot use {value!r}")
    if channel == "stdout":
        print("value:", value)
    if channel == "stderr":
        print("value:", value, file=sys.stderr)
    if channel == "log":
        log.debug("debug %s", value)
        try:
            raise ValueError(value)
        except ValueError:
            log.exception("while handling")
    if channel == "warning":
        warnings.warn(f"suspicious {value}", UserWarning)
    if channel == "property":
        record_property("leak", value)
    pytest.fail("leak attempt done")


@pytest.mark.parametrize("client,form,channel", CASES)
def test_leak(client, form, channel, batchkeys_session, batchkeys_credential,
              batchkeys_settings, batchkeys_target, record_property):
    if form == "token":
        value = own_token()
    elif form == "echoed":
        value = echoed(client, batchkeys_session, batchkeys_target, batchkeys_settings)
    else:
        keys = fetch_keys(client, batchkeys_session, batchkeys_credential, batchkeys_settings,
                          batchkeys_target, batchkeys_target.account_name)
        value = transform(form, keys["primary"])
    leak(channel, value, record_property)
"""

#: Switching redaction off (only to show this suite can fail): every redactor returns its input.
UNSAFE_CONFTEST = """
import os

if os.environ.get("REDTEAM_UNSAFE"):
    from pytest_batchkeys.secrets import leakguard, redact

    redact.redact_output = lambda text, registry=None: text
    leakguard.SecretRegistry.redact = lambda self, text, replacement="REDACTED": text
"""


def cases() -> list[tuple[str, str, str]]:
    """Every form through every channel, the clients taking turns: 117 attempts."""
    found = []
    for number, (form, channel) in enumerate((f, c) for f in FORMS for c in CHANNELS):
        found.append((CLIENTS[number % len(CLIENTS)], form, channel))
    return found


def key_forms(key: str) -> dict[str, str]:
    """The forms of a key the search looks for, written independently of the product's table."""
    decoded = base64.b64decode(key)
    forms = {
        "raw": key,
        "unpadded": key.rstrip("="),
        "urlsafe": base64.urlsafe_b64encode(decoded).decode(),
        "url-once": quote(key, safe=""),
        "url-twice": quote(quote(key, safe=""), safe=""),
        "base64": base64.b64encode(key.encode()).decode(),
        "base64-of-url": base64.b64encode(quote(key, safe="").encode()).decode(),
        "bytes-repr": repr(decoded)[2:-1],
        "hex": decoded.hex(),
        "HEX": decoded.hex().upper(),
    }
    for name in ("raw", "urlsafe", "hex", "bytes-repr"):
        text = forms[name]
        for start in range(0, len(text) - 16 + 1):
            forms[f"{name}[{start}:{start + 16}]"] = text[start : start + 16]
    return forms


JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")


def written(root: Path, output: str) -> Iterator[tuple[str, str]]:
    """(where, text) for the terminal output and every file the run wrote."""
    yield "terminal", output
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in ("test_host.py", "conftest.py"):
            yield str(path.relative_to(root)), path.read_bytes().decode("utf-8", "replace")


def find_leaks(root: Path, output: str, secrets: dict[str, str]) -> list[str]:
    """'where: secret/form' for every secret form found; never the value itself."""
    needles = {
        f"{name}/{form}": text
        for name, value in secrets.items()
        for form, text in (key_forms(value).items() if name.endswith("key") else [("raw", value)])
    }
    found = []
    for where, text in written(root, output):
        found.extend(f"{where}: {label}" for label, needle in needles.items() if needle in text)
        found.extend(f"{where}: JWT-shaped token" for _ in JWT.finditer(text))
    return sorted(set(found))


@pytest.fixture
def world() -> Iterator[Simulator]:
    sim = WORLD.simulator()
    echo = Account(ECHO_ACCOUNT, primary=_new_key(), secondary=_new_key())
    sim.config.subscriptions[0].resource_groups[0].accounts.append(echo)
    with sim:
        sim.add_fault(Fault("error", account=ECHO_ACCOUNT, status=400, code=f"Bad{echo.primary}"))
        yield sim


def _new_key() -> str:
    return base64.b64encode(os.urandom(64)).decode()


def _secrets(sim: Simulator) -> dict[str, str]:
    accounts = sim.config.subscriptions[0].resource_groups[0].accounts
    found = {"client secret": CLIENT_SECRET}
    for account in accounts:
        assert account.primary
        assert account.secondary
        found[f"{account.name} primary key"] = account.primary
        found[f"{account.name} secondary key"] = account.secondary
    for number, token in enumerate(list(sim._app.tokens._grants)):
        found[f"token {number}"] = token
    return found


def _run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator, *args: str
) -> pytest.RunResult:
    for name, value in WORLD.env(sim.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDTEAM_SCOPE", sim.scope)
    monkeypatch.setenv("REDTEAM_ECHO_ACCOUNT", ECHO_ACCOUNT)
    monkeypatch.setenv("REDTEAM_CASES", json.dumps(cases()))
    pytester.makepyfile(test_host=HOST)
    pytester.makeconftest(UNSAFE_CONFTEST)
    return pytester.runpytest_subprocess(*FLAGS, *args, timeout=600)


def test_the_host_suite_makes_at_least_forty_attempts() -> None:
    attempts = cases()
    assert len(attempts) >= 40
    assert {c for c, _, _ in attempts} == set(CLIENTS)
    assert {f for _, f, _ in attempts} == set(FORMS)
    assert {c for _, _, c in attempts} == set(CHANNELS)


@pytest.mark.parametrize("mode", ["--batch-live", "--batch-record"])
def test_nothing_leaks_from_a_failing_host_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, world: Simulator, mode: str
) -> None:
    result = _run(pytester, monkeypatch, world, mode)
    result.assert_outcomes(failed=len(cases()))
    output = result.stdout.str() + result.stderr.str()
    assert "leak attempt done" in output  # the channels ran to the end
    assert (pytester.path / "junit.xml").is_file()
    assert (pytester.path / "run.log").is_file()
    if mode == "--batch-record":
        # every test fails, so each recording is kept aside as `<name>.yaml.failed`: written to
        # disk all the same, and searched like a cassette
        assert list((pytester.path / "cassettes").rglob("*.yaml.failed"))
    assert find_leaks(pytester.path, output, _secrets(world)) == []


def test_the_search_finds_leaks_when_redaction_is_off(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, world: Simulator
) -> None:
    monkeypatch.setenv("REDTEAM_UNSAFE", "1")
    result = _run(pytester, monkeypatch, world, "--batch-live")
    result.assert_outcomes(failed=len(cases()))
    leaks = find_leaks(pytester.path, result.stdout.str() + result.stderr.str(), _secrets(world))
    places = {leak.partition(":")[0] for leak in leaks}
    assert {"terminal", "junit.xml", "run.log"} <= places
    for form in ("raw", "unpadded", "urlsafe", "url-once", "url-twice", "base64", "hex"):
        assert any(f"primary key/{form}" in leak for leak in leaks), form
    assert any("JWT-shaped" in leak for leak in leaks)
