"""The plugin's record, replay and live modes against the simulator over HTTPS.

The plugin trusts the simulator's test CA through REQUESTS_CA_BUNDLE, as users' code does.
Cassettes recorded over HTTPS hold the same exchanges as those recorded over http and replay
the same way; unchanged production code (helpers/production_keys) records and replays too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Imported here, before any pytester snapshot: modules first imported inside an in-process run
# are unloaded after it, and cryptography's Rust core cannot be loaded twice.
import azure.identity  # noqa: F401
import pytest
import trustme  # noqa: F401
import yaml
from helpers.offline import OfflineGuard
from helpers.real_target import TARGET_VARS
from test_end_to_end import TESTS, WORLD

from pytest_batchkeys.simulator import Simulator

HELPERS = Path(__file__).parent / "helpers"
#: Response headers whose values differ on every request (ids, clock, server build, and the
#: write buckets, which refill with time; the 2024+ profile's per-request edge and operation
#: references).
VARYING = {
    "x-ms-ratelimit-remaining-subscription-writes",
    "x-ms-ratelimit-remaining-subscription-global-writes",
    "x-ms-operation-identifier",
    "x-msedge-ref",
    "date",
    "x-ms-request-id",
    "x-ms-correlation-request-id",
    "x-ms-routing-request-id",
    "x-ms-client-request-id",
    "server",
}
PRODUCTION_TESTS = """
import pytest
from production_keys import read_keys

@pytest.mark.batchkeys
def test_production_code_reads_keys(batchkeys_credential, batchkeys_target, batchkeys_settings):
    primary, secondary = read_keys(
        batchkeys_credential,
        batchkeys_target.subscription_id,
        batchkeys_target.resource_group,
        batchkeys_target.account_name,
        arm_url=batchkeys_settings.arm_url,
    )
    assert primary != secondary
"""
DEFAULT_CREDENTIAL_TESTS = """
from azure.identity import DefaultAzureCredential
from production_keys import read_keys

def test_default_credential_from_the_environment():
    primary, secondary = read_keys(
        DefaultAzureCredential(retry_total=0),  # fail fast in the control run
        "00000000-0000-0000-0000-000000000000",
        "batchkeys-rg",
        "batchkeysacct",
        arm_url="{url}",
    )
    assert primary != secondary
"""


@pytest.fixture
def tls_sim() -> Iterator[Simulator]:
    with WORLD.simulator(tls=True) as sim:
        yield sim


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*TARGET_VARS, "AZURE_AUTHORITY_HOST", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _point_at(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name, value in WORLD.env(sim.url).items():
        monkeypatch.setenv(name, value)
    if sim.tls:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))


def _record(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> Path:
    """Record TESTS against `sim` into a fresh cassette folder; return it."""
    _point_at(monkeypatch, sim)
    folder = pytester.path / ("cassettes-https" if sim.tls else "cassettes-http")
    result = pytester.runpytest("--batch-record", f"--batch-cassette-dir={folder}")
    result.assert_outcomes(passed=3)
    return folder


def _exchanges(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Each cassette's interactions without what differs per request or per transport."""
    found = {}
    for path in sorted(folder.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        found[path.name] = [_stable(item) for item in data["interactions"]]
    return found


def _stable(interaction: dict[str, Any]) -> dict[str, Any]:
    request, response = interaction["request"], interaction["response"]
    uri = urlsplit(request["uri"])
    headers = {
        name: (None if name.lower() in VARYING else value)
        for name, value in response["headers"].items()
    }
    return {
        "method": request["method"],
        "path": f"{uri.path}?{uri.query}",
        "request_headers": sorted(request["headers"]),
        "authorization": request["headers"].get("Authorization"),
        "status": response["status"],
        "headers": headers,
        # a resource provider's error message ends with the time it was answered
        "body": re.sub(r"Time:[0-9T:.Z-]+", "Time:-", str(response["body"])),
    }


def test_record_over_https_then_replay_offline(
    pytester: pytest.Pytester,
    clean_env: pytest.MonkeyPatch,
    tls_sim: Simulator,
    offline: OfflineGuard,
) -> None:
    pytester.makepyfile(test_keys=TESTS)
    _point_at(clean_env, tls_sim)
    recorded = pytester.runpytest(f"--batch-authority={tls_sim.url}", "--batch-record")
    recorded.assert_outcomes(passed=3)
    recorded.stdout.fnmatch_lines([f"mode: record*endpoint: {tls_sim.url};*"])
    assert tls_sim.stats.tokens_issued == {WORLD.client_id: 1}
    text = "\n".join(p.read_text() for p in (pytester.path / "cassettes").rglob("*.yaml"))
    assert "https://127.0.0.1:" in text
    account = tls_sim.config.subscriptions[0].resource_groups[0].accounts[0]
    for secret in (WORLD.client_secret, account.primary, account.secondary):
        assert secret
        assert secret not in text

    for name in (*TARGET_VARS, "REQUESTS_CA_BUNDLE"):
        clean_env.delenv(name, raising=False)
    tls_sim.stop()
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(["cassettes: 3 replayed, 0 recorded, 0 missing"])
    assert offline.refused == []


def test_cassettes_recorded_over_https_hold_what_http_ones_hold(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, offline: OfflineGuard
) -> None:
    pytester.makepyfile(test_keys=TESTS)
    with WORLD.simulator(tls=False) as http_sim:
        over_http = _exchanges(_record(pytester, clean_env, http_sim))
    with WORLD.simulator(tls=True) as https_sim:
        over_https = _exchanges(_record(pytester, clean_env, https_sim))
    assert sorted(over_https) == [
        "test_azure_sdk.yaml",
        "test_keys.yaml",
        "test_unknown_account.yaml",
    ]
    for name, exchanges in over_https.items():
        for got, want in zip(exchanges, over_http[name], strict=True):
            differs = {key: (got[key], want[key]) for key in got if got[key] != want[key]}
            assert not differs, f"{name}: {differs}"
    # and each set replays offline, from either folder
    for name in (*TARGET_VARS, "REQUESTS_CA_BUNDLE"):
        clean_env.delenv(name, raising=False)
    for folder in ("cassettes-http", "cassettes-https"):
        replayed = pytester.runpytest(f"--batch-cassette-dir={pytester.path / folder}")
        replayed.assert_outcomes(passed=3)
    assert offline.refused == []


def test_live_mode_over_https(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, tls_sim: Simulator
) -> None:
    pytester.makepyfile(test_keys=TESTS)
    _point_at(clean_env, tls_sim)
    result = pytester.runpytest("--batch-live", f"--batch-endpoint={tls_sim.url}")
    result.assert_outcomes(passed=3)
    assert not (pytester.path / "cassettes").exists()
    assert tls_sim.stats.listkeys_requests >= 3


def test_live_mode_without_the_ca_fails_with_a_certificate_error(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, tls_sim: Simulator
) -> None:
    pytester.makepyfile(test_keys=TESTS)
    _point_at(clean_env, tls_sim)
    clean_env.delenv("REQUESTS_CA_BUNDLE")
    result = pytester.runpytest("--batch-live", "-k", "test_keys and not sdk and not unknown")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*The token endpoint https://127.0.0.1:*/oauth2/v2.0/token has a certificate this "
            "machine does not trust. For a local simulator (`batchkeys serve --tls`), set "
            "REQUESTS_CA_BUNDLE to its CA file (--ca-file).*"
        ]
    )
    assert WORLD.client_secret not in result.stdout.str()


def test_unchanged_production_code_records_over_https_and_replays(
    pytester: pytest.Pytester,
    clean_env: pytest.MonkeyPatch,
    tls_sim: Simulator,
    offline: OfflineGuard,
) -> None:
    pytester.makepyfile(production_keys=(HELPERS / "production_keys.py").read_text())
    pytester.makepyfile(test_production=PRODUCTION_TESTS)
    _point_at(clean_env, tls_sim)
    pytester.runpytest("--batch-record").assert_outcomes(passed=1)
    assert tls_sim.stats.listkeys_succeeded == 1

    for name in (*TARGET_VARS, "REQUESTS_CA_BUNDLE"):
        clean_env.delenv(name, raising=False)
    tls_sim.stop()
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["cassettes: 1 replayed, 0 recorded, 0 missing"])
    assert offline.refused == []


@pytest.mark.parametrize("plugin", ["on", "off"])
def test_default_azure_credential_in_a_pytest_run_with_the_plugin(
    pytester: pytest.Pytester,
    clean_env: pytest.MonkeyPatch,
    offline: OfflineGuard,
    plugin: str,
) -> None:
    with Simulator(tls=True) as sim:
        pytester.makepyfile(production_keys=(HELPERS / "production_keys.py").read_text())
        pytester.makepyfile(test_prod=DEFAULT_CREDENTIAL_TESTS.replace("{url}", sim.url))
        for name, value in sim.azure_environment().items():
            clean_env.setenv(name, value)
        args = ["-p", "no:batchkeys"] if plugin == "off" else []
        result = pytester.runpytest(*args)
    if plugin == "on":
        result.assert_outcomes(passed=1)
        assert sim.request_log[0].path == "/common/discovery/instance"
        assert offline.refused == []
    else:
        # without the plugin MSAL asks login.microsoftonline.com about the loopback host
        result.assert_outcomes(failed=1)
        assert "login.microsoftonline.com" in offline.refused
        assert sim.stats.token_requests == 0
