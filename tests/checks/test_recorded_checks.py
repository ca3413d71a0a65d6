"""run_recorded_checks (verify's path) reports exactly what run_checks reports on the rebuilt
response, for every bundled recording and for hand-made exchanges that fail each check."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_batchkeys.checks.run import run_checks, run_recorded_checks
from pytest_batchkeys.recording import interactions as recorded
from pytest_batchkeys.recording.formats import interactions_of, load_recording

REPO = Path(__file__).resolve().parents[2]
KEY_A = "A" * 86 + "=="
KEY_B = "B" * 86 + "=="
URI = (
    "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/"
    "resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct/listKeys?api-version=2024-07-01"
)
IDS = {"x-ms-request-id": ["1"], "x-ms-correlation-request-id": ["2"]}


def exchange(status: int, body: Any, headers: dict[str, Any] | None = None, uri: str = URI) -> Any:
    return {
        "request": {"method": "POST", "uri": uri, "body": None, "headers": {"A": ["b"]}},
        "response": {
            "status": {"code": status, "message": "Reason"},
            "headers": IDS if headers is None else headers,
            "body": {"string": body},
        },
    }


def keys(**fields: Any) -> str:
    return json.dumps({"accountName": "acct", "primary": KEY_A, "secondary": KEY_B, **fields})


HAND_MADE = {
    "good": exchange(200, keys()),
    "equal keys": exchange(200, keys(secondary=KEY_A)),
    "short key": exchange(200, keys(primary="c2hvcnQ=")),
    "wrong account": exchange(200, keys(accountName="other")),
    "no account in url": exchange(200, keys(), uri="https://h/x?api-version=2024-07-01"),
    "no ids": exchange(200, keys(), headers={}),
    "html": exchange(200, "<html>oops</html>", {**IDS, "Content-Type": ["text/html"]}),
    "cut json": exchange(200, keys()[:40], {**IDS, "Content-Type": ["application/json"]}),
    "gzip": exchange(
        200, gzip.compress(keys().encode()), {**IDS, "Content-Encoding": ["gzip"], "Vary": ["a"]}
    ),
    "bad gzip": exchange(200, b"not gzip", {**IDS, "Content-Encoding": ["gzip"]}),
    "401 no challenge": exchange(401, json.dumps({"error": {"code": "x", "message": "y"}})),
    "429 bad retry": exchange(429, "{}", {**IDS, "Retry-After": ["soon"]}),
    "404 not cloud error": exchange(404, json.dumps({"error": {"code": ""}})),
    "500": exchange(500, ""),
    "repeated headers": exchange(200, keys(), {**IDS, "x-ms-request-id": ["1", "2"]}),
}


def bundled() -> list[tuple[str, Any]]:
    found = []
    for path in sorted((REPO / "cassettes").rglob("*.yaml")):
        for index, item in enumerate(interactions_of(load_recording(path))):
            found.append((f"{path.name}[{index}]", item))
    return found


CASES = [*HAND_MADE.items(), *bundled()]


def shout(text: str) -> str:
    return text.replace("acct", "ACCT")


def as_rows(report: Any) -> list[tuple[str, ...]]:
    return [(f.check, f.title, f.curl, f.expected, f.actual) for f in report.failures]


@pytest.mark.parametrize(("name", "item"), CASES, ids=[name for name, _ in CASES])
def test_same_report_as_run_checks_on_the_rebuilt_response(name: str, item: Any) -> None:
    original = copy.deepcopy(item)
    expected = run_checks(recorded.response_from_interaction(item), redact=shout)
    got = run_recorded_checks(item, redact=shout)
    assert got.ran == expected.ran
    assert as_rows(got) == as_rows(expected)
    assert item == original  # nothing changed in the recording


def test_the_hand_made_exchanges_fail_checks_so_the_comparison_means_something() -> None:
    failing = {n for n, item in HAND_MADE.items() if run_recorded_checks(item).failures}
    assert failing == set(HAND_MADE) - {"good", "gzip", "repeated headers"}
    assert len(CASES) > 40


def test_the_view_matches_the_rebuilt_response() -> None:
    for _, item in CASES:
        view = recorded.recorded_view(item)
        response = recorded.response_from_interaction(item)
        assert (view.status_code, view.reason, view.content) == (
            response.status_code,
            response.reason,
            response.content,
        )
        assert dict(view.headers.lower_items()) == dict(response.headers.lower_items())
