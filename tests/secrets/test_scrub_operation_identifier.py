"""x-ms-operation-identifier names the caller's tenant and object id: the scrubber replaces both.

source: azure-listkeys-facts.md §8, 2026 recording:
`x-ms-operation-identifier: tenantId=<guid>,objectId=<guid>/<region>/<guid>`.
"""

from __future__ import annotations

import json
from typing import Any

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
