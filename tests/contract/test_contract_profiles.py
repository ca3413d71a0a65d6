"""The shipped suite and `batchkeys verify` accept both header profiles: record, verify, replay.

The 2024 profile answers with Content-Length and gzip when asked; the 2019 profile with
`Server: Microsoft-HTTPAPI/2.0` and gzip bodies in chunks without Content-Length (facts §8).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator, SimulatorConfig

SUITE_TESTS = 14
LIVE_ENV = {
    "AZURE_SUBSCRIPTION_ID": placeholders.SUBSCRIPTION_ID,
    "BATCHKEYS_RESOURCE_GROUP": placeholders.RESOURCE_GROUP,
    "BATCHKEYS_ACCOUNT_NAME": placeholders.ACCOUNT_NAME,
    "AZURE_TENANT_ID": placeholders.TENANT_ID,
    "AZURE_CLIENT_ID": "contract-profile-test",
    "AZURE_CLIENT_SECRET": "contract-profile-secret-value",
}


@pytest.mark.parametrize("profile", ["2024", "2019"])
def test_record_verify_replay_under_each_header_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    monkeypatch.delenv("BATCHKEYS_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("BATCHKEYS_MODE", raising=False)
    config = SimulatorConfig(header_profile=profile)  # type: ignore[arg-type]
    with Simulator(config) as sim:
        for name, value in LIVE_ENV.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("BATCHKEYS_ENDPOINT", sim.url)
        recorded = pytester.runpytest(
            "--batch-contract", "--batch-record", "--batch-max-examples=8"
        )
        recorded.assert_outcomes(passed=SUITE_TESTS)
        served = [r.status for r in sim.request_log if r.route == "arm"]
    assert 200 in served

    cassettes = pytester.path / "cassettes"
    keys = cassettes / "contract" / "test_keys_are_returned_and_well_formed.yaml"
    response = yaml.safe_load(keys.read_text())["interactions"][0]["response"]
    headers = {name.lower(): values for name, values in response["headers"].items()}
    if profile == "2019":
        assert headers["server"] == ["Microsoft-HTTPAPI/2.0"]
        assert headers["transfer-encoding"] == ["chunked"]
    else:
        assert "server" not in headers
        assert headers["x-cache"] == ["CONFIG_NOCACHE"]
        assert "objectId=" + placeholders.OBJECT_ID in headers["x-ms-operation-identifier"][0]
    assert "content-encoding" not in headers  # stored decoded, like every recorder

    verify = subprocess.run(
        [sys.executable, "-m", "pytest_batchkeys.cli", "verify", str(cassettes)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    for name in (*LIVE_ENV, "BATCHKEYS_ENDPOINT"):
        monkeypatch.delenv(name)
    replayed = pytester.runpytest("--batch-contract")
    replayed.assert_outcomes(passed=SUITE_TESTS)
