"""The fixed values replay uses and the scrubber writes: one place, so both always agree."""

from __future__ import annotations

import base64
from typing import Final

from pytest_batchkeys.secrets.fakes import fake_key


def _fake_key(label: str) -> str:
    """A key of the real shape (base64 of 64 bytes) whose decoded text says it is a fake."""
    raw = (f"batchkeys-placeholder-{label}-key-not-a-secret|" * 3).encode()[:64]
    return base64.b64encode(raw).decode()


SUBSCRIPTION_ID: Final = "00000000-0000-0000-0000-000000000000"
TENANT_ID: Final = "00000000-0000-0000-0000-000000000000"
CLIENT_ID: Final = "00000000-0000-0000-0000-00000000c1d0"
#: The caller's object id in x-ms-operation-identifier (and wherever else it appears).
OBJECT_ID: Final = "00000000-0000-0000-0000-0000000000b1"
RESOURCE_GROUP: Final = "batchkeys-rg"
ACCOUNT_NAME: Final = "batchkeysacct"
#: Fakes 1 and 2 of the numbered series (secrets/fakes.py): what a listKeys answer scrubs to.
FAKE_PRIMARY_KEY: Final = fake_key(1)
FAKE_SECONDARY_KEY: Final = fake_key(2)
#: The single fixed fakes of earlier versions; cassettes holding them still verify clean.
LEGACY_FAKE_KEYS: Final = (_fake_key("primary"), _fake_key("secondary"))
#: Any other GUID a recorded ARM error message held (a principal's object id, for example).
OTHER_ID: Final = "00000000-0000-0000-0000-00000000ffff"
REDACTED: Final = "REDACTED"
REDACTED_AUTHORIZATION: Final = "Bearer REDACTED"

#: Values other recorders use in place of keys; `batchkeys verify` treats them as placeholders.
#: Every numbered fake (`fakes.is_fake_key`) is a placeholder too, beyond the two listed here.
KNOWN_KEY_PLACEHOLDERS: Final = frozenset(
    {
        FAKE_PRIMARY_KEY,
        FAKE_SECONDARY_KEY,
        *LEGACY_FAKE_KEYS,
        "fakeKey",
        "Sanitized",
        "sanitized",
        "fakeBatchAccountKey0==",
        "fakeBatchAccountKey1==",
        "REDACTED",
        "AAAA==",
        "BBBB==",
    }
)
