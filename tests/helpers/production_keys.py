"""A stand-in for users' production code: it takes an azure-identity credential and reads keys.

It uses BatchManagementClient with its defaults (no enforce_https flag, no custom policy); only
the ARM base URL is configurable, as production code that supports sovereign clouds does.
Tests must run it unchanged.
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.batch import BatchManagementClient

PUBLIC_ARM = "https://management.azure.com"


def read_keys(
    credential: Any,
    subscription_id: str,
    resource_group: str,
    account_name: str,
    *,
    arm_url: str = PUBLIC_ARM,
) -> tuple[str, str]:
    """(primary, secondary) of a Batch account."""
    client = BatchManagementClient(credential, subscription_id, base_url=arm_url)
    keys = client.batch_account.get_keys(resource_group, account_name)
    return keys.primary, keys.secondary
