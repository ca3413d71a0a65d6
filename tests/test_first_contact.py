"""Day one as a user lives it: a host project, the commands the plugin prints, pasted as printed.

Every run here is a subprocess of `pytest` in a temporary host project with its own ini file,
against the simulator standing in for Azure (the same code path as Azure).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.host_project import HostProject
from helpers.real_target import RealTarget

from pytest_batchkeys.simulator import Simulator
from pytest_batchkeys.spec.files import BUNDLED_FILE

WORLD = RealTarget(
    "5f0c2a9e-3b1d-4e6f-8a7c-9d2e1f0b3c4a",
    "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
    "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
    "host~Secret.value_0123456789",
    "host-rg",
    "hostacct01",
)

TESTS = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200

@pytest.mark.batchkeys
@pytest.mark.parametrize("name", ["nosuchacct"])
def test_unknown(batchkeys_client, name):
    assert batchkeys_client.list_keys(account_name=name).status_code == 404
"""


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with WORLD.simulator() as sim:
        yield sim


@pytest.fixture
def host(tmp_path: Path) -> HostProject:
    return HostProject.create(tmp_path / "host project", TESTS)


def _record_env(host: HostProject, simulator: Simulator) -> None:
    host.env.update(WORLD.env(simulator.url))
    # few, fast generated cases: the simulator has no write throttling to respect
    host.env.update(BATCHKEYS_MAX_EXAMPLES="5", BATCHKEYS_MAX_RATE="1000")


def test_missing_cassette_command_records_that_test_as_printed(
    host: HostProject, simulator: Simulator
):
    replay = host.run()
    assert replay.returncode == 1, replay.output
    commands = replay.printed_commands()
    assert commands == [
        "pytest --batch-record tests/test_keys.py::test_keys",
        "pytest --batch-record 'tests/test_keys.py::test_unknown[nosuchacct]'",
    ]
    _record_env(host, simulator)
    for command in commands:
        recorded = host.run_printed(command)
        assert recorded.returncode == 0, recorded.output
        assert "1 passed" in recorded.output  # that test, and only that test
    host.env.clear()
    again = host.run()
    assert again.returncode == 0, again.output
    assert "cassettes: 2 replayed, 0 recorded, 0 missing" in again.output
    assert (
        "batchkeys: replay mode; spec: bundled; api-version: the spec's newest stable; "
        f"cassettes recorded against: 2 simulator ({host.root / 'cassettes'})"
    ) in again.output


def test_printed_command_works_from_a_subdirectory(host: HostProject, simulator: Simulator):
    replay = host.run("test_keys.py::test_keys", cwd=host.root / "tests")
    assert replay.printed_commands() == ["pytest --batch-record test_keys.py::test_keys"]
    _record_env(host, simulator)
    recorded = host.run_printed(replay.printed_commands()[0], cwd=host.root / "tests")
    assert recorded.returncode == 0, recorded.output
    assert (host.root / "cassettes" / "tests" / "test_keys" / "test_keys.yaml").is_file()


def test_request_not_found_command_rerecords_as_printed(host: HostProject, simulator: Simulator):
    _record_env(host, simulator)
    assert host.run("--batch-record").returncode == 0
    host.env.clear()
    test_file = host.root / "tests" / "test_keys.py"
    test_file.write_text(
        TESTS.replace('["nosuchacct"]', '["otheracct"]', 1).replace(
            "def test_keys(batchkeys_client):\n    assert",
            "def test_keys(batchkeys_client):\n    batchkeys_client.list_keys(api_version='2024-07-01')\n    assert",
        )
    )
    replay = host.run("tests/test_keys.py::test_keys")
    assert replay.returncode == 1, replay.output
    assert "Request not found in cassette" in replay.output
    assert replay.printed_commands() == ["pytest --batch-record-all tests/test_keys.py::test_keys"]
    _record_env(host, simulator)
    rerecorded = host.run_printed(replay.printed_commands()[0])
    assert rerecorded.returncode == 0, rerecorded.output
    host.env.clear()
    assert host.run("tests/test_keys.py::test_keys").returncode == 0


def test_contract_suite_commands_run_as_printed(host: HostProject, simulator: Simulator):
    replay = host.run("--batch-contract", "-k", "unknown_account or generated")
    assert replay.returncode == 1, replay.output
    commands = replay.printed_commands()
    assert commands == [
        "pytest --batch-contract --batch-record -k test_unknown_account_is_404",
        "pytest --batch-contract --batch-record -k generated",
    ]
    _record_env(host, simulator)
    for command in commands:
        recorded = host.run_printed(command)
        assert recorded.returncode == 0, recorded.output
    host.env.clear()
    again = host.run("--batch-contract", "-k", "unknown_account or generated")
    assert again.returncode == 0, again.output


def test_old_spellings_of_record_all_still_work_and_take_no_test_id(
    host: HostProject, simulator: Simulator
):
    _record_env(host, simulator)
    first = host.run("--batch-record", "tests/test_keys.py::test_keys")
    assert first.returncode == 0, first.output
    for flag in ("--batch-record-all", "--batch-record=all"):
        again = host.run(flag, "tests/test_keys.py::test_keys")
        assert again.returncode == 0, again.output
        assert "cassettes: 0 replayed, 1 recorded, 0 missing" in again.output
    wrong = host.run("--batch-record=everything")
    assert wrong.returncode == 4
    assert "--batch-record" in wrong.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--batch-spec", "../specs/listkeys.json"), ("--batch-cassette-dir", "ABSOLUTE")],
)
def test_path_option_with_a_space_is_a_usage_error_before_anything_runs(
    host: HostProject, simulator: Simulator, option: str, value: str
):
    specs = host.root.parent / "specs"
    specs.mkdir()
    (specs / "listkeys.json").write_text(Path(str(BUNDLED_FILE)).read_text())
    if value == "ABSOLUTE":
        value = str(host.root / "cassettes")
        (host.root / "cassettes").mkdir()
    _record_env(host, simulator)
    spaced = host.run("--batch-record", option, value)
    assert spaced.returncode == 4, spaced.output
    assert f"Write it with '=': {option}={shlex.quote(value)}" in spaced.output
    assert simulator.stats.listkeys_requests == 0
    assert not list(host.root.parent.rglob("*.yaml"))  # nothing recorded anywhere
    joined = host.run("--batch-record", f"{option}={value}")
    assert joined.returncode == 0, joined.output
    cassettes = sorted(p.relative_to(host.root) for p in host.root.parent.rglob("*.yaml"))
    assert [str(p) for p in cassettes] == [
        "cassettes/tests/test_keys/test_keys.yaml",
        "cassettes/tests/test_keys/test_unknown[nosuchacct].yaml",
    ]


def test_unknown_api_version_is_refused_in_every_mode_before_anything_is_written(
    host: HostProject, simulator: Simulator
):
    _record_env(host, simulator)
    assert host.run("--batch-record").returncode == 0
    cassettes = sorted((host.root / "cassettes").rglob("*.yaml"))
    before = {path: path.read_bytes() for path in cassettes}
    requests = simulator.stats.listkeys_requests
    for mode in ([], ["--batch-record-all"], ["--batch-contract"], ["--batch-live"]):
        run = host.run(*mode, "--batch-api-version=1999-01-01")
        assert run.returncode == 4, (mode, run.output)
        assert "api-version '1999-01-01'" in run.output
        assert "2026-08-01" in run.output  # the supported versions are listed
        assert "stale" not in run.output
    assert simulator.stats.listkeys_requests == requests
    assert {path: path.read_bytes() for path in cassettes} == before
    host.env["BATCHKEYS_API_VERSION"] = "2024-07-01"  # a listed one is accepted, from env too
    assert host.run("--batch-record-all").returncode == 0


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_failing_recording_keeps_the_good_cassette(
    host: HostProject, simulator: Simulator, workers: list[str]
):
    _record_env(host, simulator)
    assert host.run("--batch-record").returncode == 0
    good = host.root / "cassettes" / "tests" / "test_keys" / "test_keys.yaml"
    before = good.read_bytes()
    test_file = host.root / "tests" / "test_keys.py"
    test_file.write_text(
        TESTS.replace(
            "list_keys().status_code == 200", "list_keys(account_name='gone').status_code == 200"
        )
    )
    rerecord = host.run("--batch-record-all", *workers)
    assert rerecord.returncode == 1, rerecord.output
    assert good.read_bytes() == before
    aside = good.with_name("test_keys.yaml.failed")
    assert "gone" in aside.read_text()  # the failing recording, kept for inspection
    assert "failing tests, recording kept aside (1;" in rerecord.output
    assert f"tests/test_keys.py::test_keys -> {aside}" in rerecord.output
    assert "cassettes: 0 replayed, 1 recorded, 0 missing" in rerecord.output
    host.env.clear()
    test_file.write_text(TESTS)
    replay = host.run()
    assert replay.returncode == 0, replay.output  # replay reads the good cassette, not the aside
    _record_env(host, simulator)
    assert host.run("--batch-record-all").returncode == 0
    assert not aside.exists()  # a passing recording retires the outdated failing one


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_failing_generated_cases_keep_the_good_cassette(
    host: HostProject, simulator: Simulator, workers: list[str]
):
    _record_env(host, simulator)
    contract = ("--batch-contract", "-k", "generated")
    assert host.run(*contract, "--batch-record").returncode == 0
    good = host.root / "cassettes" / "contract" / "test_generated_cases.yaml"
    before = good.read_bytes()
    simulator.add_fault(kind="error", status=500)  # every listKeys answers 500: never allowed
    host.env["BATCHKEYS_MAX_RETRIES"] = "0"
    rerecord = host.run(*contract, "--batch-record-all", *workers)
    assert rerecord.returncode == 1, rerecord.output
    assert "generated cases broke the contract" in rerecord.output
    assert good.read_bytes() == before
    aside = good.with_name("test_generated_cases.yaml.failed")
    assert "code: 500" in aside.read_text()  # the failing recording, kept for inspection
    assert "generated_kinds" in aside.read_text()
    assert "failing tests, recording kept aside (1;" in rerecord.output
    # listed under pytest's own id of the shipped suite's test (its file is outside the rootdir)
    assert f"  ::test_generated_cases -> {aside}" in rerecord.output
    assert "cassettes: 0 replayed, 0 recorded, 0 missing" in rerecord.output
    host.env.clear()
    replay = host.run(*contract)
    assert replay.returncode == 0, replay.output  # replay reads the good cassette, not the aside
    assert "cassettes: 1 replayed" in replay.output
    simulator.clear_faults()
    _record_env(host, simulator)
    again = host.run(*contract, "--batch-record-all")
    assert again.returncode == 0, again.output
    assert not aside.exists()  # a passing recording retires the outdated failing one
    assert good.read_bytes() != before  # ...and replaces the cassette


SDK_TEST = """
import pytest

@pytest.mark.batchkeys
def test_sdk(batchkeys_credential, batchkeys_settings, batchkeys_target):
    from azure.mgmt.batch import BatchManagementClient

    client = BatchManagementClient(
        batchkeys_credential, batchkeys_target.subscription_id, base_url=batchkeys_settings.arm_url
    )
    client.batch_account.get_keys(
        batchkeys_target.resource_group, batchkeys_target.account_name, enforce_https=False
    )
"""


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("AZURE_CLIENT_SECRET", "wrong~Secret.value_987654", "invalid_client"),
        ("AZURE_TENANT_ID", "11111111-2222-4333-8444-555555555555", "HTTP 400"),
    ],
)
def test_bad_credentials_stop_the_run_once_with_one_paragraph(
    host: HostProject, simulator: Simulator, variable: str, value: str, said: str
):
    (host.root / "tests" / "test_sdk.py").write_text(SDK_TEST)
    _record_env(host, simulator)
    host.env[variable] = value
    # our session first, then the Azure SDK (azure-core) first
    for args in (["--batch-live", "tests"], ["--batch-record", "tests/test_sdk.py"]):
        run = host.run(*args)
        assert run.returncode == 4, run.output
        paragraphs = [
            line
            for line in run.output.splitlines()
            if "refused the client credentials" in line and not line.startswith("FAILED ")
        ]
        assert len(paragraphs) == 1, run.output  # once, not once per test
        assert said in run.output
        assert "No further test is run" in run.output
        assert "1 failed" in run.output or "1 error" in run.output
        assert "Traceback" not in run.output
        assert "raise " not in run.output
        assert WORLD.client_secret not in run.output
        if variable == "AZURE_CLIENT_SECRET":
            assert value not in run.output  # (a tenant id is no secret: the URL shows it)
    assert not (host.root / "cassettes").exists()


def test_bad_credentials_under_xdist_exit_4_without_the_secret(
    host: HostProject, simulator: Simulator
):
    """Each worker stops at its first test; the controller still ends the run with exit 4."""
    (host.root / "tests" / "test_sdk.py").write_text(SDK_TEST)
    _record_env(host, simulator)
    host.env["AZURE_CLIENT_SECRET"] = "wrong~Secret.value_987654"
    run = host.run("--batch-live", "-n", "2", "tests")
    assert run.returncode == 4, run.output
    assert "refused the client credentials" in run.output
    assert "wrong~Secret.value_987654" not in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("scope", "skipped"),
    [
        ("account", ["test_unknown_account_is_404", "test_unknown_resource_group_is_404"]),
        ("group", ["test_unknown_resource_group_is_404"]),
        ("subscription", []),
    ],
)
def test_contract_suite_with_least_privilege_principals_skips_what_it_cannot_see(
    host: HostProject, simulator: Simulator, scope: str, skipped: list[str]
):
    group = f"/subscriptions/{WORLD.subscription}/resourceGroups/{WORLD.group}"
    scopes = {
        "account": f"{group}/providers/Microsoft.Batch/batchAccounts/{WORLD.account}",
        "group": group,
        "subscription": f"/subscriptions/{WORLD.subscription}",
    }
    simulator.set_permissions(
        WORLD.client_id, ["Microsoft.Batch/batchAccounts/listKeys/action"], [scopes[scope]]
    )
    _record_env(host, simulator)
    run = host.run("--batch-contract", "--batch-live", "-rs", "-k", "unknown or well_formed")
    assert run.returncode == 0, run.output
    assert f"{3 - len(skipped)} passed" in run.output
    reasons = [line for line in run.output.splitlines() if line.startswith("SKIPPED")]
    assert len(reasons) == len(skipped), run.output
    assert all("403 AuthorizationFailed before it looks for the" in line for line in reasons)


def test_error_pointer_is_a_command_that_works_in_a_host_project(host: HostProject):
    replay = host.run("tests/test_keys.py::test_keys")
    assert "[see: batchkeys explain missing-cassette]" in replay.output
    explained = subprocess.run(
        [str(Path(sys.executable).parent / "batchkeys"), "explain", "missing-cassette"],
        cwd=host.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("No cassette for a test (missing-cassette)")
    assert "pytest --batch-record" in explained.stdout


THROTTLED = """
import pytest

@pytest.mark.batchkeys
def test_session(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200
""" + SDK_TEST.replace("import pytest\n", "")


def test_recorded_throttling_replays_as_a_sequence_without_waiting(
    host: HostProject, simulator: Simulator
):
    (host.root / "tests" / "test_keys.py").write_text(THROTTLED)
    _record_env(host, simulator)
    for name in ("test_session", "test_sdk"):  # each test's first listKeys is throttled
        simulator.clear_faults()
        simulator.add_fault(kind="throttle", route="arm", first=1, retry_after=2)
        recorded = host.run("--batch-record", f"tests/test_keys.py::{name}")
        assert recorded.returncode == 0, recorded.output
    for name in ("test_session", "test_sdk"):
        cassette = (host.root / "cassettes" / "tests" / "test_keys" / f"{name}.yaml").read_text()
        assert cassette.count("code: 429") == 1, name  # the 429 and its retry are recorded
        assert cassette.count("code: 200") == 1, name
    host.env.clear()
    simulator.stop()
    replayed = host.run("--durations=0", "-vv")
    assert replayed.returncode == 0, replayed.output
    assert "cassettes: 2 replayed, 0 recorded, 0 missing" in replayed.output
    durations = [float(x) for x in re.findall(r"^(\d+\.\d+)s call", replayed.output, re.M)]
    assert durations, replayed.output
    assert max(durations) < 1.5, replayed.output  # the recorded Retry-After (2 s) is not waited
