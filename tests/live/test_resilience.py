"""The live client against the simulator's faults: bounded retries and waits, timeouts, and
cut-off or non-JSON bodies reported as readable contract failures. Nothing here can hang."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_batchkeys.checks.run import assert_conforms
from pytest_batchkeys.checks.violations import ContractViolations
from pytest_batchkeys.live.auth import StaticToken
from pytest_batchkeys.live.client import BatchKeysClient, BoundedRetry, Target, build_session
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.settings import Settings
from pytest_batchkeys.simulator import Simulator
from pytest_batchkeys.simulator.profiles import PROFILES, encode_body

TARGET = Target(
    subscription_id=placeholders.SUBSCRIPTION_ID,
    resource_group=placeholders.RESOURCE_GROUP,
    account_name=placeholders.ACCOUNT_NAME,
    api_version="2026-08-01",
)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def fresh(sim: Simulator) -> None:
    sim.clear_faults()
    sim.reset_stats()


def client(url: str, token: str = "unused", **settings: Any) -> BatchKeysClient:
    live = Settings(mode="live", endpoint=url, **settings)
    return BatchKeysClient(build_session(live, StaticToken(token)), url, TARGET)


def sim_client(sim: Simulator, **settings: Any) -> BatchKeysClient:
    return client(sim.url, sim.issue_token(), **settings)


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


# --- 429 and Retry-After -----------------------------------------------------------------------


def test_429_retry_after_is_honoured_then_the_answer_returned(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", first=1, retry_after=1)
    response, elapsed = timed(sim_client(sim).list_keys)
    assert response.status_code == 200
    assert sim.stats.listkeys_requests == 2
    assert 1.0 <= elapsed < 2.5


def test_retry_after_beyond_the_budget_returns_the_429_at_once(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", retry_after=30)
    response, elapsed = timed(sim_client(sim, max_retry_wait=5.0).list_keys)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert sim.stats.listkeys_requests == 1
    assert elapsed < 1.0


def test_total_retry_after_wait_stays_within_the_budget(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", retry_after=1)  # every request throttled
    response, elapsed = timed(sim_client(sim, max_retry_wait=2.0, max_retries=10).list_keys)
    assert response.status_code == 429
    assert sim.stats.listkeys_requests == 3  # waits of 1 + 1 s fit, a third would not
    assert 2.0 <= elapsed < 3.5


def test_malformed_retry_after_falls_back_to_backoff() -> None:
    retry = BoundedRetry(total=2, status_forcelist=(429,), max_total_wait=5.0)

    class Answer:
        status = 429
        headers = {"Retry-After": "soon-ish"}

        def get_redirect_location(self) -> bool:
            return False

    assert retry.get_retry_after(Answer()) is None
    nxt = retry.increment("POST", "/x", response=Answer())
    assert (nxt.waited, nxt.max_total_wait) == (0.0, 5.0)  # first backoff is 0 s


# --- 5xx ---------------------------------------------------------------------------------------


def test_5xx_is_retried_with_backoff_and_recovers(sim: Simulator) -> None:
    sim.add_fault(kind="error", status=503, first=2)
    response, elapsed = timed(sim_client(sim).list_keys)
    assert response.status_code == 200
    assert sim.stats.listkeys_requests == 3
    assert 1.0 <= elapsed < 2.5  # backoff 0 s, then 1 s (factor 0.5)


def test_5xx_retries_are_bounded_by_max_retries(sim: Simulator) -> None:
    sim.add_fault(kind="error", status=500)
    response = sim_client(sim, max_retries=1).list_keys()
    assert response.status_code == 500
    assert sim.stats.listkeys_requests == 2


def test_zero_retries_means_one_request(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", retry_after=1)
    response = sim_client(sim, max_retries=0).list_keys()
    assert response.status_code == 429
    assert sim.stats.listkeys_requests == 1


def test_options_reach_the_session_through_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator
) -> None:
    sim.add_fault(kind="error", status=500)
    for name, value in {
        "AZURE_SUBSCRIPTION_ID": placeholders.SUBSCRIPTION_ID,
        "BATCHKEYS_RESOURCE_GROUP": placeholders.RESOURCE_GROUP,
        "BATCHKEYS_ACCOUNT_NAME": placeholders.ACCOUNT_NAME,
        "BATCHKEYS_ACCESS_TOKEN": sim.issue_token(),
        "BATCHKEYS_ENDPOINT": sim.url,
    }.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(
        """
        def test_settings_in_session(batchkeys_client):
            adapter = batchkeys_client.session.get_adapter("http://127.0.0.1")
            assert adapter.timeout == (0.5, 1.5)
            assert adapter.max_retries.total == 1
            assert adapter.max_retries.max_total_wait == 7.0
            assert batchkeys_client.list_keys().status_code == 500
        """
    )
    result = pytester.runpytest(
        "--batch-live",
        "--batch-connect-timeout=0.5",
        "--batch-read-timeout=1.5",
        "--batch-max-retries=1",
        "--batch-max-retry-wait=7",
    )
    result.assert_outcomes(passed=1)
    assert sim.stats.listkeys_requests == 2


def test_defaults_are_finite_and_sane() -> None:
    settings = Settings()
    assert (settings.connect_timeout, settings.read_timeout) == (5.0, 30.0)
    assert (settings.max_retries, settings.max_retry_wait) == (3, 60.0)
    adapter = build_session(Settings(mode="live"), None).get_adapter("https://x")
    assert adapter.timeout == (5.0, 30.0)  # type: ignore[attr-defined]
    assert adapter.max_retries.read is False  # a read timeout is never retried


# --- timeouts ----------------------------------------------------------------------------------


def test_read_timeout_on_a_slow_answer(sim: Simulator) -> None:
    sim.add_fault(kind="latency", delay=2.0, first=1)
    slow = sim_client(sim, read_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(
        requests.exceptions.ReadTimeout, match=r"Read timed out. \(read timeout=0.3\)"
    ):
        slow.list_keys()
    assert time.monotonic() - started < 1.5  # not retried: one timeout, not four


def test_connect_refused_on_a_closed_loopback_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError, match="Connection refused"):
        client(f"http://127.0.0.1:{port}", max_retries=1).list_keys()
    assert time.monotonic() - started < 2.0  # one retry, after a 0 s backoff


def test_connect_timeout_when_the_server_never_accepts() -> None:
    """A listener whose accept queue is full drops new SYNs: connect() waits, then times out."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        try:
            started = time.monotonic()
            with pytest.raises(requests.exceptions.ConnectTimeout, match=r"connect timeout=0\.3"):
                client(f"http://127.0.0.1:{port}", connect_timeout=0.3, max_retries=0).list_keys()
            assert time.monotonic() - started < 1.5
        finally:
            for filler in fillers:
                filler.close()


# --- bodies ------------------------------------------------------------------------------------


def _generic(message: str) -> str:
    """The message with the run's random port and client request id replaced."""
    message = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", message)
    return re.sub(r"x-ms-client-request-id: [0-9a-f-]{36}", "x-ms-client-request-id: ID", message)


CURL = (
    "curl -X POST -H 'User-Agent: pytest-batchkeys' -H 'Accept-Encoding: gzip, deflate' "
    "-H 'Accept: application/json' -H 'Connection: keep-alive' "
    "-H 'x-ms-client-request-id: ID' -H 'Authorization: Bearer REDACTED' "
    f"'http://127.0.0.1:PORT{TARGET.path()}?api-version=2026-08-01'"
)


def test_cut_off_body_is_a_readable_contract_failure(sim: Simulator) -> None:
    sim.add_fault(kind="truncate")
    account = sim.config.subscriptions[0].resource_groups[0].accounts[0]
    served = {
        "accountName": account.name,
        "primary": account.primary,
        "secondary": account.secondary,
    }
    # the client accepts gzip, so the simulator sends the body compressed (facts §8)
    body = json.dumps(served, separators=(",", ":")).encode()
    size = len(encode_body(PROFILES["2024"], body, [], gzip_ok=True)[0])
    with pytest.raises(ContractViolations) as info:
        sim_client(sim).list_keys()
    assert _generic(str(info.value)) == (
        "1 contract violation:\n"
        "1. Response body cut off: the connection closed before the body was complete "
        "[complete_body]\n"
        f"   Request: {CURL}\n"
        f"   Expected: a complete body of {size} bytes (Content-Length: {size})\n"
        f"   Got: HTTP 200 (application/json; charset=utf-8) with {size // 2} bytes of body, then the "
        "connection closed"
    )
    assert sim.stats.listkeys_requests == 1


def test_html_error_page_is_a_readable_contract_failure(sim: Simulator) -> None:
    sim.add_fault(kind="html", status=502)
    response = sim_client(sim, max_retries=0).list_keys()
    with pytest.raises(ContractViolations) as info:
        assert_conforms(response, expected_account=placeholders.ACCOUNT_NAME)
    assert _generic(str(info.value)) == (
        "1 contract violation:\n"
        "1. Error body is not a CloudError [cloud_error_shape]\n"
        f"   Request: {CURL}\n"
        '   Expected: a 502 body {"error": {"code": "...", "message": "..."}} with non-empty '
        "code and message\n"
        "   Got: the body looks like an HTML/XML page (174 bytes starting with '<')"
    )
