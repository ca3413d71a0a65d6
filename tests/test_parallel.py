"""pytest-xdist: record in parallel against the simulator, replay under -n auto and loadscope.

Checks one valid cassette per test, at most one token per worker, and that the terminal
summary counters of the controller add up the workers' counters. The 100-test variant is
marked slow: run it with `pytest -m slow tests/test_parallel.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from helpers.real_target import RealTarget

from pytest_batchkeys.recording.cassettes import read_cassette
from pytest_batchkeys.simulator import Simulator

SUBSCRIPTION = "3f1c2b7a-5d3f-4a8e-9c6b-0f2d1e3a5b7c"
TENANT = "7e1c2b7a-5d3f-4a8e-9c6b-0f2d1e3a5b7d"
CLIENT_ID = "c0ffee00-1234-4abc-8def-0123456789ac"
CLIENT_SECRET = "parallel~Client.Secret_value-777"
GROUP = "Parallel-RG"
ACCOUNT = "parallelacct"
WORLD = RealTarget(SUBSCRIPTION, TENANT, CLIENT_ID, CLIENT_SECRET, GROUP, ACCOUNT)
#: Plugins these runs do not need, left out to keep each start (and each worker's) short.
LEAN = ("-p", "xdist", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:recording")
MODULE = """
import pytest

{tests}
"""
TEST = """
@pytest.mark.batchkeys
def test_keys_{number}(batchkeys_client, batchkeys_target):
    response = batchkeys_client.list_keys()
    assert response.status_code == 200, response.text
    assert response.json()["accountName"].lower() == batchkeys_target.account_name.lower()
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AZURE_", "BATCHKEYS_", "PYTEST_XDIST")):
            monkeypatch.delenv(name)
    # let the subprocesses cache rewritten modules: each start (and each worker) is faster
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with WORLD.simulator() as simulator:
        yield simulator


def record_then_replay(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    sim: Simulator,
    *,
    modules: int,
    per_module: int,
    workers: int,
) -> None:
    total = modules * per_module
    for module in range(modules):
        tests = "".join(TEST.format(number=module * per_module + i) for i in range(per_module))
        pytester.makepyfile(**{f"test_mod{module}": MODULE.format(tests=tests)})
    live = WORLD.env(sim.url)
    for name, value in live.items():
        monkeypatch.setenv(name, value)

    recorded = pytester.runpytest_subprocess(*LEAN, "-n", str(workers), "--batch-record")
    recorded.assert_outcomes(passed=total)
    recorded.stdout.fnmatch_lines([f"cassettes: 0 replayed, {total} recorded, 0 missing"])
    files = sorted((pytester.path / "cassettes").rglob("*.yaml"))
    assert len(files) == total
    for path in files:
        assert len(read_cassette(path).interactions) == 1, path
    assert not [p for p in (pytester.path / "cassettes").rglob("*") if p.name.endswith(".tmp")]
    issued = sim.stats.tokens_issued
    assert set(issued) == {CLIENT_ID}
    assert 1 <= issued[CLIENT_ID] <= workers  # one token per worker at most
    assert sim.stats.listkeys_requests == total

    for name in live:
        monkeypatch.delenv(name)
    sim.stop()  # replay must not need it
    before = {path: path.read_bytes() for path in files}
    replayed = pytester.runpytest_subprocess(*LEAN, "-n", "auto", "--dist", "loadscope")
    replayed.assert_outcomes(passed=total)
    replayed.stdout.fnmatch_lines([f"cassettes: {total} replayed, 0 recorded, 0 missing"])
    assert "outbound connection(s) blocked" not in replayed.stdout.str()
    assert {path: path.read_bytes() for path in files} == before


def test_record_12_tests_with_2_workers_then_replay_loadscope(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator
) -> None:
    record_then_replay(pytester, monkeypatch, sim, modules=4, per_module=3, workers=2)


@pytest.mark.slow
def test_record_100_tests_with_4_workers_then_replay_loadscope(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    sim: Simulator,
) -> None:
    record_then_replay(pytester, monkeypatch, sim, modules=10, per_module=10, workers=4)
