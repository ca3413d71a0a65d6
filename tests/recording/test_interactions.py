"""response_from_interaction: the rebuilt response, including the lazily built `.raw`."""

from __future__ import annotations

import pickle
from typing import Any

import requests

from pytest_batchkeys.recording.interactions import RecordedResponse, response_from_interaction


def interaction() -> dict[str, Any]:
    return {
        "request": {"method": "post", "uri": "https://h/x/listKeys", "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                "Vary": ["Accept-Encoding", "Origin"],
                "Content-Type": ["application/json"],
            },
            "body": {"string": '{"primary": "a"}'},
        },
    }


def test_raw_keeps_repeated_headers_and_is_built_only_when_read() -> None:
    response = response_from_interaction(interaction())
    assert isinstance(response, requests.Response)
    assert isinstance(response, RecordedResponse)
    assert response._raw_value is None  # not built yet
    assert response.headers["Vary"] == "Accept-Encoding, Origin"
    assert response.raw.headers.getlist("Vary") == ["Accept-Encoding", "Origin"]
    assert response.raw is response.raw  # built once
    assert response.raw.status == 200
    assert response.raw.reason == "OK"


def test_raw_can_be_replaced_and_the_response_pickles() -> None:
    response = response_from_interaction(interaction())
    response.raw = None
    assert response.raw is None
    copy = pickle.loads(pickle.dumps(response_from_interaction(interaction())))
    assert copy.json() == {"primary": "a"}
    assert copy.status_code == 200


def test_repeated_headers_fold_like_requests_in_any_case() -> None:
    recorded = interaction()
    recorded["response"]["headers"] = {
        "vary": ["Accept-Encoding"],
        "Content-Type": ["application/json"],
        "Vary": ["Origin", b"Cookie"],
    }
    response = response_from_interaction(recorded)
    reference: requests.structures.CaseInsensitiveDict[str] = (
        requests.structures.CaseInsensitiveDict()
    )
    for name, values in recorded["response"]["headers"].items():
        for value in values:
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            reference[name] = f"{reference[name]}, {text}" if name in reference else text
    assert dict(response.headers.lower_items()) == dict(reference.lower_items())
    assert list(response.headers) == list(reference)  # same order, same last spelling
    assert response.headers["VARY"] == "Accept-Encoding, Origin, Cookie"
