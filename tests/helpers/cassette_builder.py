"""Builds small vcrpy cassettes for tests, with the replay placeholders (no real secrets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_batchkeys.recording.cassettes import serialize_cassette
from pytest_batchkeys.secrets import placeholders

PATH = (
    f"/subscriptions/{placeholders.SUBSCRIPTION_ID}/resourceGroups/{placeholders.RESOURCE_GROUP}"
    f"/providers/Microsoft.Batch/batchAccounts/{placeholders.ACCOUNT_NAME}/listKeys"
)
GOOD_BODY = {
    "accountName": placeholders.ACCOUNT_NAME,
    "primary": placeholders.FAKE_PRIMARY_KEY,
    "secondary": placeholders.FAKE_SECONDARY_KEY,
}


def interaction(
    *,
    path: str = PATH,
    api_version: str | None = "2026-08-01",
    status: int = 200,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One listKeys exchange in vcrpy's serialized form."""
    payload = GOOD_BODY if body is None else body
    text = payload if isinstance(payload, str) else json.dumps(payload)
    response_headers = {
        "Content-Type": ["application/json; charset=utf-8"],
        "x-ms-request-id": ["11111111-1111-1111-1111-111111111111"],
        "x-ms-correlation-request-id": ["22222222-2222-2222-2222-222222222222"],
    }
    for name, value in (headers or {}).items():
        response_headers[name] = [value]
    query = "" if api_version is None else f"?api-version={api_version}"
    return {
        "request": {
            "method": "POST",
            "uri": f"https://management.azure.com{path}{query}",
            "body": None,
            "headers": {"Authorization": [placeholders.REDACTED_AUTHORIZATION]},
        },
        "response": {
            "status": {"code": status, "message": "OK" if status == 200 else "Error"},
            "headers": response_headers,
            "body": {"string": text},
        },
    }


def write(
    path: Path, *interactions: dict[str, Any], metadata: dict[str, Any] | None = None
) -> Path:
    """Write a cassette file holding `interactions` (one good 200 if none given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    items = list(interactions) or [interaction()]
    path.write_text(serialize_cassette(items, metadata or {}), encoding="utf-8")
    return path
