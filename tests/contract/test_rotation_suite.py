"""The opt-in rotation contract tests: off by default, replayed offline, failing on bad rotations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_batchkeys.secrets.fakes import fake_key
from pytest_batchkeys.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "cassettes"
ROTATION_TESTS = 7
LISTKEYS_TESTS = 14
LIVE_ENV = {
    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
    "BATCHKEYS_RESOURCE_GROUP": "batchkeys-rg",
    "BATCHKEYS_ACCOUNT_NAME": "batchkeysacct",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000",
    "AZURE_CLIENT_ID": "rotation-suite-test",
    "AZURE_CLIENT_SECRET": "rotation-suite-secret-value",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*LIVE_ENV, "BATCHKEYS_ENDPOINT", "BATCHKEYS_MODE", "BATCHKEYS_ROTATION"):
        monkeypatch.delenv(name, raising=False)


def _point_at(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name, value in LIVE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BATCHKEYS_ENDPOINT", sim.url)


def test_default_contract_run_never_collects_rotation(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--batch-contract", f"--batch-cassette-dir={BUNDLED}", "-q")
    result.assert_outcomes(passed=LISTKEYS_TESTS)
    assert "rotat" not in result.stdout.str()


def test_rotation_tests_replay_offline_from_the_bundled_cassettes(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest(
        "--batch-contract", "--batch-rotation", f"--batch-cassette-dir={BUNDLED}", "-q"
    )
    result.assert_outcomes(passed=LISTKEYS_TESTS + ROTATION_TESTS)


def _mutated(tmp: Path, name: str, change: Any) -> Path:
    target = tmp / "cassettes"
    shutil.copytree(BUNDLED, target)
    path = target / "contract" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data["interactions"])
    path.write_text(yaml.safe_dump(data))
    return target


def _set_key(interaction: dict[str, Any], field: str, value: str) -> None:
    body = json.loads(interaction["response"]["body"]["string"])
    body[field] = value
    interaction["response"]["body"]["string"] = json.dumps(body)


@pytest.mark.parametrize(
    ("index", "field", "value", "message"),
    [
        (1, "secondary", fake_key(9), "the secondary key changed too"),
        (1, "primary", fake_key(1), "the primary key did not change"),
        (2, "primary", fake_key(9), "does not return the new pair"),
        (1, "primary", "c2hvcnQ=", "strict base64 of exactly 64 bytes"),
    ],
)
def test_a_wrong_rotation_in_the_cassette_fails(
    pytester: pytest.Pytester, index: int, field: str, value: str, message: str
) -> None:
    name = "test_rotating_primary_changes_only_primary"
    cassettes = _mutated(pytester.path, name, lambda items: _set_key(items[index], field, value))
    result = pytester.runpytest(
        "--batch-contract",
        "--batch-rotation",
        f"--batch-cassette-dir={cassettes}",
        "-q",
        "-k",
        "rotating_primary",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{message}*"])


def test_a_5xx_for_a_bad_key_name_fails(pytester: pytest.Pytester) -> None:
    def server_error(items: list[dict[str, Any]]) -> None:
        items[1]["response"]["status"] = {"code": 500, "message": "Internal Server Error"}

    name = "test_invalid_key_name_is_400_and_changes_nothing[tertiary]"
    cassettes = _mutated(pytester.path, name, server_error)
    result = pytester.runpytest(
        "--batch-contract",
        "--batch-rotation",
        f"--batch-cassette-dir={cassettes}",
        "-q",
        "-k",
        "invalid_key_name and tertiary",
    )
    result.assert_outcomes(failed=1)


def test_live_run_skips_rotation_without_the_option(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_batchkeys.contract import ROTATION_FILE

    with Simulator() as sim:
        _point_at(monkeypatch, sim)
        result = pytester.runpytest("--batch-live", str(ROTATION_FILE), "-q", "-rs")
        assert sim.stats.regenerate_requests == 0
    result.assert_outcomes(skipped=ROTATION_TESTS)
    result.stdout.fnmatch_lines(["*pass --batch-rotation*"])


def test_record_with_rotation_then_replay(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator() as sim:
        _point_at(monkeypatch, sim)
        recorded = pytester.runpytest(
            "--batch-contract", "--batch-rotation", "--batch-record", "-q", "-k", "rotating"
        )
        recorded.assert_outcomes(passed=2)
        assert sim.stats.regenerate_succeeded == 2
    for name in LIVE_ENV:
        monkeypatch.delenv(name)
    monkeypatch.delenv("BATCHKEYS_ENDPOINT")
    replayed = pytester.runpytest("--batch-contract", "--batch-rotation", "-q", "-k", "rotating")
    replayed.assert_outcomes(passed=2)
    text = (
        pytester.path / "cassettes" / "contract" / "test_rotating_primary_changes_only_primary.yaml"
    ).read_text()
    assert fake_key(3) in text
