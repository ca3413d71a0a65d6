"""x-ms-operation-identifier names the caller's tenant and object id: the scrubber replaces both.

source: azure-listkeys-facts.md §8, 2026 recording:
`x-ms-operation-identifier: tenantId=<guid>,objectId=<guid>/<region>/<guid>`.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytest_batchkeys.cli.scrub import scrub_cassette_file
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.scrub import (
    ScrubRules,
    operation_identifier_ids,
    scrub_interactions,
)

TENANT = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
OBJECT = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
OPERATION = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def exchange(status: int, body: dict[str, Any], operation_identifier: str) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "uri": "https://management.azure.com/subscriptions/"
            f"{placeholders.SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.Batch"
            "/batchAccounts/acct/listKeys?api-version=2026-08-01",
            "body": None,
            "headers": {},
        },
        "response": {
            "status": {"code": status, "message": ""},
            "headers": {"x-ms-operation-identifier": [operation_identifier]},
            "body": {"string": json.dumps(body)},
        },
    }


def test_tenant_and_object_id_are_replaced_in_the_header_and_everywhere_else() -> None:
    header = f"tenantId={TENANT},objectId={OBJECT}/westeurope/{OPERATION}"
    denied = {
        "error": {
            "code": "AuthorizationFailed",
            "message": f"The client 'app' with object id '{OBJECT}' does not have authorization.",
        }
    }
    (scrubbed,) = scrub_interactions([exchange(403, denied, header)], ScrubRules())
    text = json.dumps(scrubbed)
    assert TENANT not in text
    assert OBJECT not in text
    assert scrubbed["response"]["headers"]["x-ms-operation-identifier"] == [
        f"tenantId={placeholders.TENANT_ID},objectId={placeholders.OBJECT_ID}"
        f"/westeurope/{OPERATION}"
    ]
    assert f"object id '{placeholders.OBJECT_ID}'" in scrubbed["response"]["body"]["string"]


def test_placeholders_are_left_alone_and_scrubbing_twice_changes_nothing() -> None:
    header = f"tenantId={placeholders.TENANT_ID},objectId={OBJECT}/eastus/{OPERATION}"
    once = scrub_interactions([exchange(200, {}, header)], ScrubRules())
    assert operation_identifier_ids(once) == ()
    assert scrub_interactions(once, ScrubRules()) == once
    assert operation_identifier_ids([exchange(200, {}, header)]) == (
        (OBJECT, placeholders.OBJECT_ID),
    )


def test_a_response_without_the_header_names_no_ids() -> None:
    interaction = exchange(200, {}, "")
    interaction["response"]["headers"] = {}
    assert operation_identifier_ids([interaction]) == ()


def test_a_2026_test_proxy_recording_scrubs_then_verifies_clean(tmp_path: Path) -> None:
    """The 2026 header set (facts §8) in Azure's test-proxy JSON: scrub, then verify is clean."""
    key = base64.b64encode(bytes(range(64))).decode()
    other = base64.b64encode(bytes(range(64, 128))).decode()
    entry = {
        "RequestUri": "https://management.azure.com/subscriptions/"
        f"{placeholders.SUBSCRIPTION_ID}/resourceGroups/rg1/providers/Microsoft.Batch"
        "/batchAccounts/acct1/listKeys?api-version=2025-06-01",
        "RequestMethod": "POST",
        "RequestHeaders": {"Authorization": "Sanitized", "Content-Length": "0"},
        "RequestBody": None,
        "StatusCode": 200,
        "ResponseHeaders": {
            "Cache-Control": "no-cache",
            "Content-Type": "application/json; charset=utf-8",
            "X-Cache": "CONFIG_NOCACHE",
            "x-ms-operation-identifier": f"tenantId={TENANT},objectId={OBJECT}/eastus2/{OPERATION}",
            "x-ms-ratelimit-remaining-subscription-global-writes": "11999",
            "x-ms-ratelimit-remaining-subscription-writes": "799",
            "x-ms-request-id": "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
            "x-ms-correlation-request-id": "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9",
        },
        "ResponseBody": {"accountName": "acct1", "primary": key, "secondary": other},
    }
    path = tmp_path / "recording.json"
    path.write_text(json.dumps({"Entries": [entry], "Variables": {}}, indent=2), encoding="utf-8")
    assert scrub_cassette_file(path).changed
    text = path.read_text(encoding="utf-8")
    for real in (TENANT, OBJECT, key, other):
        assert real not in text
    assert f"tenantId={placeholders.TENANT_ID},objectId={placeholders.OBJECT_ID}" in text
    verify = subprocess.run(
        [sys.executable, "-m", "pytest_batchkeys.cli", "verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout
    assert "0 finding(s)" in verify.stdout
