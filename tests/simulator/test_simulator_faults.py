"""Fault injection and write throttling over real sockets, reproducible under a seed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Fault, Simulator, SimulatorConfig, Throttle

TIMEOUT = 5


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def call(sim: Simulator, account: str = "batchkeysacct") -> requests.Response:
    headers = {"Authorization": f"Bearer {sim.issue_token()}"}
    return requests.post(sim.listkeys_url(account), headers=headers, timeout=TIMEOUT)


def statuses(sim: Simulator, count: int, account: str = "batchkeysacct") -> list[int]:
    return [call(sim, account).status_code for _ in range(count)]


def test_first_two_requests_get_429_with_retry_after_then_succeed(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", first=2, retry_after=1)
    answers = [call(sim) for _ in range(3)]
    assert [r.status_code for r in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert answers[0].json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert "retry-after-ms" not in answers[0].headers
    assert sim.stats.faults_fired == {"throttle": 2}


def test_every_nth_and_per_account_faults(sim: Simulator) -> None:
    sim.add_account("otheracct")
    sim.add_fault(Fault("error", every=3, status=503, account="OtherAcct"))
    assert statuses(sim, 3, "otheracct") == [200, 200, 503]
    assert statuses(sim, 3) == [200, 200, 200]
    assert statuses(sim, 2, "otheracct") == [200, 200]
    assert call(sim, "otheracct").json()["error"]["code"] == "ServiceUnavailable"


def test_error_faults_have_arm_bodies_and_optional_retry_after(sim: Simulator) -> None:
    sim.add_fault(kind="error", first=1, status=500, code="InternalError", retry_after=0.25)
    response = call(sim)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "InternalError", "message": "Simulated error fault: status 500."}
    }
    assert response.headers["Retry-After"] == "1"
    assert "retry-after-ms" not in response.headers  # facts §8: ARM never sends it


def test_retry_after_ms_is_sent_only_when_configured() -> None:
    with Simulator(SimulatorConfig(retry_after_ms=True)) as sim:
        sim.add_fault(kind="throttle", first=1, retry_after=0.25)
        response = call(sim)
    assert response.headers["Retry-After"] == "1"
    assert response.headers["retry-after-ms"] == "250"


@pytest.mark.parametrize(("seconds", "header"), [(0, "1"), (0.01, "1"), (1, "1"), (2.5, "3")])
def test_retry_after_is_whole_seconds_at_least_one(
    sim: Simulator, seconds: float, header: str
) -> None:
    sim.add_fault(kind="throttle", first=1, retry_after=seconds)
    assert call(sim).headers["Retry-After"] == header


def test_probability_faults_repeat_exactly_under_a_seed() -> None:
    runs = []
    for _ in range(2):
        with Simulator(SimulatorConfig(seed=42)) as sim:
            sim.add_fault(kind="error", probability=0.5, status=502)
            runs.append(statuses(sim, 12))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 502}


def test_latency_fault_delays_but_answers(sim: Simulator) -> None:
    sim.add_fault(kind="latency", delay=0.3, first=1)
    started = time.monotonic()
    assert call(sim).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_html_fault_answers_an_html_page(sim: Simulator) -> None:
    sim.add_fault(kind="html", first=1)
    response = call(sim)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


def test_truncated_body_breaks_the_read(sim: Simulator) -> None:
    sim.add_fault(kind="truncate", first=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        call(sim)
    assert call(sim).status_code == 200


def test_dropped_connection_then_service_resumes(sim: Simulator) -> None:
    sim.add_fault(kind="drop", first=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sim)
    assert call(sim).status_code == 200
    assert sim.stats.statuses[0] == 1


def test_token_route_faults_use_the_entra_shape(sim: Simulator) -> None:
    sim.add_fault(kind="throttle", route="token", first=1)
    data = {
        "client_id": "x",
        "client_secret": "y",
        "scope": sim.scope,
        "grant_type": "client_credentials",
    }
    refused = requests.post(sim.token_url(), data=data, timeout=TIMEOUT)
    assert refused.status_code == 429
    assert refused.json()["error"] == "temporarily_unavailable"
    assert requests.post(sim.token_url(), data=data, timeout=TIMEOUT).status_code == 200
    assert call(sim).status_code == 200


def test_clear_faults_removes_rules_and_counts(sim: Simulator) -> None:
    sim.add_fault(kind="error", status=500)
    assert call(sim).status_code == 500
    sim.clear_faults()
    assert call(sim).status_code == 200


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"kind": "explode"}, "kind"),
        ({"kind": "error", "first": 0}, "first"),
        ({"kind": "error", "probability": 1.5}, "probability"),
        ({"kind": "error", "status": 200}, "status"),
    ],
)
def test_bad_fault_rules_are_refused_with_the_key(
    sim: Simulator, fields: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError, match=f"add_fault\\(\\): {key}:"):
        sim.add_fault(**fields)


def test_write_bucket_throttles_with_retry_after_and_refills() -> None:
    config = SimulatorConfig(throttle=Throttle(capacity=3, refill_per_second=5))
    with Simulator(config) as sim:
        answers = [call(sim) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        throttled = answers[3]
        error = throttled.json()["error"]
        assert error["code"] == "SubscriptionRequestsThrottled"
        assert error["message"] == (
            f"Number of requests for subscription '{placeholders.SUBSCRIPTION_ID}' and operation "
            "'POST/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.BATCH/BATCHACCOUNTS/LISTKEYS'"
            " exceeded the backend storage limit. Please try again after '1' seconds."
        )
        assert throttled.headers["Retry-After"] == "1"
        assert "retry-after-ms" not in throttled.headers
        assert throttled.headers["x-ms-ratelimit-remaining-subscription-writes"] == "0"
        time.sleep(0.25)
        assert call(sim).status_code == 200
        assert call(sim).status_code == 429
        sim.reset_throttle()
        assert call(sim).status_code == 200
