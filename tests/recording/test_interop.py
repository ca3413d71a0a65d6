"""Next to other plugins: pytest-recording, schemathesis's pytest plugin, azure-mgmt-batch."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import cassette_builder as cb

from pytest_batchkeys.recording.cassettes import serialize_cassette
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator

pytest.importorskip("pytest_recording")

LIVE_VARS = {
    "AZURE_SUBSCRIPTION_ID": placeholders.SUBSCRIPTION_ID,
    "BATCHKEYS_RESOURCE_GROUP": placeholders.RESOURCE_GROUP,
    "BATCHKEYS_ACCOUNT_NAME": placeholders.ACCOUNT_NAME,
    "AZURE_TENANT_ID": placeholders.TENANT_ID,
    "AZURE_CLIENT_ID": placeholders.CLIENT_ID,
    "AZURE_CLIENT_SECRET": "interop-client-secret-value",
}
ALL_VARS = (*LIVE_VARS, "BATCHKEYS_ENDPOINT", "BATCHKEYS_ACCESS_TOKEN", "BATCHKEYS_MODE")

KEYS_TEST = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    response = batchkeys_client.list_keys()
    assert response.status_code == 200
    assert response.json()["accountName"] == "batchkeysacct"
"""


def vcr_get_cassette(path: Path, url: str, body: str) -> None:
    """A plain vcrpy cassette (as pytest-recording writes) holding one GET."""
    path.parent.mkdir(parents=True, exist_ok=True)
    interaction = {
        "request": {"method": "GET", "uri": url, "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["text/plain"]},
            "body": {"string": body},
        },
    }
    path.write_text(serialize_cassette([interaction], {}), encoding="utf-8")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with Simulator() as sim:
        yield sim


def go_live(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name, value in LIVE_VARS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BATCHKEYS_ENDPOINT", sim.url)


def go_offline(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    sim.stop()


# --- pytest-recording -------------------------------------------------------------------------


def test_vcr_and_batchkeys_markers_on_different_tests_in_one_run(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
):
    pytester.makepyfile(
        test_mix=KEYS_TEST
        + """
import requests

@pytest.mark.vcr
def test_other_api():
    assert requests.get("https://status.example.invalid/ping").text == "pong"

def test_recording_plugin_is_active(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("recording")
"""
    )
    cb.write(pytester.path / "cassettes" / "test_mix" / "test_keys.yaml")
    vcr_get_cassette(
        pytester.path / "cassettes" / "test_mix" / "test_other_api.yaml",
        "https://status.example.invalid/ping",
        "pong",
    )
    result = pytester.runpytest("--record-mode=none")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["cassettes: 1 replayed, 0 recorded, 0 missing"])


BOTH_MARKERS = """
import pytest

@pytest.mark.batchkeys(cassette="ours.yaml")
@pytest.mark.vcr
def test_both(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200
"""
NESTED_MESSAGE = (
    "*test_both.py::test_both uses both @pytest.mark.vcr (pytest-recording) and a "
    "pytest-batchkeys cassette.*innermost silently takes all traffic*"
    "[[]see: batchkeys explain nested-cassettes[]]"
)


def test_nested_cassette_check_names_the_test_and_the_fix(pytester: pytest.Pytester):
    """interop.nested_cassette_error, called at setup as the plugin's cassette fixture would."""
    pytester.makeconftest(
        """
        import pytest
        from pytest_batchkeys.recording.interop import nested_cassette_error

        @pytest.fixture(autouse=True)
        def _check(request):
            problem = nested_cassette_error(request.node)
            if problem is not None:
                pytest.fail(str(problem), pytrace=False)
        """
    )
    pytester.makepyfile(test_both=BOTH_MARKERS, test_plain=KEYS_TEST)
    cb.write(pytester.path / "cassettes" / "ours.yaml")
    cb.write(pytester.path / "cassettes" / "test_plain" / "test_keys.yaml")
    result = pytester.runpytest("--record-mode=none")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([NESTED_MESSAGE])
    # with pytest-recording switched off the marker is inert, and there is nothing to refuse
    pytester.runpytest("-p", "no:recording", "-W", "ignore::pytest.PytestUnknownMarkWarning")


def test_plugin_refuses_a_test_with_both_markers(pytester: pytest.Pytester):
    pytester.makepyfile(test_both=BOTH_MARKERS)
    cb.write(pytester.path / "cassettes" / "ours.yaml")
    result = pytester.runpytest("--record-mode=none")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([NESTED_MESSAGE])


def record_with_batchkeys(pytester: pytest.Pytester, monkeypatch, sim: Simulator) -> Path:
    """Record KEYS_TEST against the simulator through the plugin; returns the cassette."""
    pytester.makepyfile(test_rec=KEYS_TEST)
    go_live(monkeypatch, sim)
    pytester.runpytest("--batch-record").assert_outcomes(passed=1)
    go_offline(monkeypatch, sim)
    return pytester.path / "cassettes" / "test_rec" / "test_keys.yaml"


VCR_READS_OURS = f"""
import pytest, requests

@pytest.fixture
def vcr_config():
    return {{"match_on": ["method", "path", "query"]}}

@pytest.mark.vcr
def test_keys():
    url = "https://management.azure.com{cb.PATH}?api-version=2026-08-01"
    body = requests.post(url).json()
    assert body["primary"] == "{placeholders.FAKE_PRIMARY_KEY}"
"""


def test_our_recorded_cassettes_replay_under_pytest_recording(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, simulator: Simulator
):
    ours = record_with_batchkeys(pytester, clean_env, simulator)
    theirs = pytester.path / "cassettes" / "test_vcr_reads" / "test_keys.yaml"
    theirs.parent.mkdir(parents=True)
    shutil.copy(ours, theirs)
    pytester.makepyfile(test_vcr_reads=VCR_READS_OURS)
    if "metadata" in yaml.safe_load(ours.read_text(encoding="utf-8")):
        # vcrpy's own metadata key needs the hook (see the next two tests)
        pytester.makeconftest(
            "from pytest_batchkeys.recording.interop import pytest_recording_configure\n"
        )
    result = pytester.runpytest("--record-mode=none", "test_vcr_reads.py")
    result.assert_outcomes(passed=1)


def write_with_vcrpy_metadata(path: Path) -> None:
    """A cassette using vcrpy 9.4's own top-level `metadata` key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"interactions": [cb.interaction()], "version": 1, "metadata": {"recorded_by": "x"}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_pytest_recording_alone_cannot_read_vcrpy_metadata(pytester: pytest.Pytester):
    """Pins why pytest_batchkeys.recording.interop.pytest_recording_configure exists.

    pytest-recording 0.14 expects two values from vcrpy's deserialize(); vcrpy 9.4 returns
    three for a cassette with `metadata`. When this starts passing, pytest-recording handles it
    itself: drop the hook from docs/plugins.md and pytest_batchkeys.recording.interop.
    """
    write_with_vcrpy_metadata(pytester.path / "cassettes" / "test_vcr_reads" / "test_keys.yaml")
    pytester.makepyfile(test_vcr_reads=VCR_READS_OURS)
    result = pytester.runpytest("--record-mode=none")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ValueError: too many values to unpack (expected 2)*"])


def test_interop_hook_lets_pytest_recording_read_vcrpy_metadata(pytester: pytest.Pytester):
    write_with_vcrpy_metadata(pytester.path / "cassettes" / "test_vcr_reads" / "test_keys.yaml")
    pytester.makepyfile(test_vcr_reads=VCR_READS_OURS)
    pytester.makeconftest(
        "from pytest_batchkeys.recording.interop import pytest_recording_configure\n"
    )
    pytester.runpytest("--record-mode=none").assert_outcomes(passed=1)


# --- schemathesis's own pytest plugin ---------------------------------------------------------


def test_schemathesis_pytest_plugin_active_alongside(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
):
    pytester.makepyfile(
        test_st="""
        import schemathesis

        schema = schemathesis.openapi.from_dict({
            "openapi": "3.0.2",
            "info": {"title": "t", "version": "1"},
            "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}}}}},
        })

        @schema.parametrize()
        def test_api(case):
            assert case.path == "/ping"

        def test_plugin_loaded(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("schemathesis")
        """,
        test_keys=KEYS_TEST,
    )
    cb.write(pytester.path / "cassettes" / "test_keys" / "test_keys.yaml")
    result = pytester.runpytest("-p", "schemathesis")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["cassettes: 1 replayed, 0 recorded, 0 missing"])


# --- azure-mgmt-batch (+ azure-identity) in code under test -----------------------------------

KEYREADER = """
from azure.mgmt.batch import BatchManagementClient


def read_primary_key(credential, subscription_id, resource_group, account, *, base_url):
    client = BatchManagementClient(credential, subscription_id, base_url=base_url)
    https = base_url.startswith("https://")
    keys = client.batch_account.get_keys(resource_group, account, enforce_https=https)
    return keys.primary
"""
SDK_TEST = """
import base64
import pytest
from keyreader import read_primary_key


@pytest.mark.batchkeys
def test_reads_a_64_byte_key(batchkeys_credential, batchkeys_target, batchkeys_settings):
    key = read_primary_key(
        batchkeys_credential,
        batchkeys_target.subscription_id,
        batchkeys_target.resource_group,
        batchkeys_target.account_name,
        base_url=batchkeys_settings.arm_url,
    )
    assert len(base64.b64decode(key)) == 64
"""


def test_azure_sdk_code_under_test_live_record_and_replay(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, simulator: Simulator
):
    pytest.importorskip("azure.mgmt.batch")
    pytester.makepyfile(keyreader=KEYREADER, test_sdk=SDK_TEST)
    pytester.syspathinsert()
    go_live(clean_env, simulator)
    live = pytester.runpytest("--batch-live")
    live.assert_outcomes(passed=1)
    assert simulator.stats.tokens_issued == {placeholders.CLIENT_ID: 1}
    pytester.runpytest("--batch-record").assert_outcomes(passed=1)
    go_offline(clean_env, simulator)
    replay = pytester.runpytest()
    replay.assert_outcomes(passed=1)
    replay.stdout.fnmatch_lines(["cassettes: 1 replayed, 0 recorded, 0 missing"])


def test_azure_identity_refuses_an_http_authority(simulator: Simulator):
    """Why live runs against the simulator hand the SDK `batchkeys_credential`.

    azure-identity only talks to https authorities (and MSAL wants OpenID discovery there), so
    its credentials cannot reach the simulator on http://127.0.0.1; against Azure, the
    plugin's own provider uses azure-identity's DefaultAzureCredential when installed.
    """
    identity = pytest.importorskip("azure.identity")
    with pytest.raises(ValueError, match="must be a TLS protected"):
        identity.ClientSecretCredential(
            placeholders.TENANT_ID, placeholders.CLIENT_ID, "secret", authority=simulator.url
        )
