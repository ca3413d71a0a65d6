"""The shipped contract suite: offline on the bundled cassettes, live, record then replay, xdist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pytest_batchkeys.contract import SUITE_FILE
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "cassettes"
SUITE_TESTS = 14
LIVE_ENV = {
    "AZURE_SUBSCRIPTION_ID": placeholders.SUBSCRIPTION_ID,
    "BATCHKEYS_RESOURCE_GROUP": placeholders.RESOURCE_GROUP,
    "BATCHKEYS_ACCOUNT_NAME": placeholders.ACCOUNT_NAME,
    "AZURE_TENANT_ID": placeholders.TENANT_ID,
    "AZURE_CLIENT_ID": "contract-suite-test",
    "AZURE_CLIENT_SECRET": "contract-suite-secret-value",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*LIVE_ENV, "BATCHKEYS_ENDPOINT", "BATCHKEYS_ACCESS_TOKEN", "BATCHKEYS_MODE"):
        monkeypatch.delenv(name, raising=False)


def _live(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name, value in LIVE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BATCHKEYS_ENDPOINT", sim.url)


def test_batch_contract_replays_the_bundled_cassettes_offline(pytester: pytest.Pytester):
    """No test code, no credentials, no network: the one command of the README quick start."""
    result = pytester.runpytest_subprocess(
        "--batch-contract", f"--batch-cassette-dir={BUNDLED}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=SUITE_TESTS)
    result.stdout.fnmatch_lines(
        [
            "*- batchkeys -*",
            f"mode: replay; endpoint: cassettes (offline); cassette dir: {BUNDLED}",
            f"cassettes: {SUITE_TESTS} replayed, 0 recorded, 0 missing",
            "generated cases: * replayed, 0 new",
            "checks: * run, 0 failed",
        ]
    )


def test_batch_contract_with_explicit_paths_adds_the_suite(pytester: pytest.Pytester):
    pytester.makepyfile(test_own="def test_own(): pass")
    result = pytester.runpytest(
        "--batch-contract", f"--batch-cassette-dir={BUNDLED}", "test_own.py", "-q"
    )
    result.assert_outcomes(passed=SUITE_TESTS + 1)


def test_without_the_flag_the_suite_is_not_collected(pytester: pytest.Pytester):
    pytester.makepyfile(test_own="def test_own(): pass")
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)
    assert SUITE_FILE.name not in result.stdout.str()


def test_live_against_the_simulator(pytester: pytest.Pytester, monkeypatch, batchkeys_simulator):
    _live(monkeypatch, batchkeys_simulator)
    result = pytester.runpytest("--batch-contract", "--batch-live", "--batch-max-examples=10")
    result.assert_outcomes(passed=SUITE_TESTS)
    result.stdout.fnmatch_lines(["generated cases: 0 replayed, 10 new"])
    assert not (pytester.path / "cassettes").exists()


def test_live_failures_are_reported_by_the_checks(
    pytester: pytest.Pytester, monkeypatch, batchkeys_simulator
):
    """A broken service makes the suite fail with readable contract violations."""
    _live(monkeypatch, batchkeys_simulator)
    batchkeys_simulator.add_fault(kind="html", account=placeholders.ACCOUNT_NAME)
    result = pytester.runpytest(
        "--batch-contract", "--batch-live", "-k", "well_formed", "--batch-max-retries=0"
    )
    result.assert_outcomes(failed=1, deselected=SUITE_TESTS - 1)
    out = result.stdout.str()
    assert "contract violation" in out
    assert "Request: curl -X POST" in out


def test_record_under_xdist_then_replay_under_xdist(
    pytester: pytest.Pytester, monkeypatch, batchkeys_simulator
):
    _live(monkeypatch, batchkeys_simulator)
    recorded = pytester.runpytest_subprocess(
        "--batch-contract", "--batch-record", "-n", "2", "--batch-max-examples=12"
    )
    recorded.assert_outcomes(passed=SUITE_TESTS)
    recorded.stdout.fnmatch_lines(
        [
            f"cassettes: 0 replayed, {SUITE_TESTS} recorded, 0 missing",
            "generated cases: 0 replayed, 12 new",
        ]
    )
    # at most one token per worker
    assert batchkeys_simulator.stats.tokens_issued["contract-suite-test"] <= 2

    generated = pytester.path / "cassettes" / "contract" / "test_generated_cases.yaml"
    data = yaml.safe_load(generated.read_text())
    assert len(data["interactions"]) == 12
    assert sorted(set(data["batchkeys"]["generated_kinds"])) == ["negative", "positive"]

    for name in (*LIVE_ENV, "BATCHKEYS_ENDPOINT"):
        monkeypatch.delenv(name)
    batchkeys_simulator.stop()
    replayed = pytester.runpytest_subprocess("--batch-contract", "-n", "2")
    replayed.assert_outcomes(passed=SUITE_TESTS)
    replayed.stdout.fnmatch_lines(
        [
            f"cassettes: {SUITE_TESTS} replayed, 0 recorded, 0 missing",
            "generated cases: 12 replayed, 0 new",
        ]
    )


def test_replay_reruns_stored_cases_without_regenerating(pytester: pytest.Pytester, tmp_path):
    """Replay pairs each stored case with its stored response: hypothesis is never asked."""
    root = tmp_path / "cassettes"
    shutil.copytree(BUNDLED, root)
    pytester.makeconftest(
        """
        import hypothesis

        original = hypothesis.given

        def pytest_configure(config):
            def refuse(*args, **kwargs):
                raise AssertionError("replay must not generate cases")
            hypothesis.given = refuse

        def pytest_unconfigure(config):
            hypothesis.given = original  # this run is in-process: leave hypothesis as it was
        """
    )
    result = pytester.runpytest(
        "--batch-contract", f"--batch-cassette-dir={root}", "-k", "generated"
    )
    result.assert_outcomes(passed=1, deselected=SUITE_TESTS - 1)


def test_missing_generated_cassette_says_how_to_record(pytester: pytest.Pytester, tmp_path):
    root = tmp_path / "cassettes"
    shutil.copytree(BUNDLED, root)
    (root / "contract" / "test_generated_cases.yaml").unlink()
    result = pytester.runpytest(
        "--batch-contract", f"--batch-cassette-dir={root}", "-k", "generated"
    )
    result.assert_outcomes(failed=1, deselected=SUITE_TESTS - 1)
    result.stdout.fnmatch_lines(
        [
            f"*No cassette of generated cases: {root}/contract/test_generated_cases.yaml does not "
            "exist. Record it with:",
            "*pytest --batch-contract --batch-record -k generated*",
        ]
    )


def test_stale_generated_cassette_says_how_to_rerecord(pytester: pytest.Pytester, tmp_path):
    root = tmp_path / "cassettes"
    shutil.copytree(BUNDLED, root)
    result = pytester.runpytest(
        "--batch-contract",
        f"--batch-cassette-dir={root}",
        "--batch-api-version=2025-06-01",
        "-k",
        "generated",
    )
    result.assert_outcomes(failed=1, deselected=SUITE_TESTS - 1)
    result.stdout.fnmatch_lines(
        [
            f"*Cassette {root}/contract/test_generated_cases.yaml is stale: it was recorded with "
            "api-version '2026-08-01', this run uses '2025-06-01'. Its cases no longer test the "
            "current contract. Re-record it with:",
            "*pytest --batch-contract --batch-record-all -k generated*",
        ]
    )
