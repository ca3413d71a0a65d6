"""regenerateKeys: replace one account key behind the same checks as listKeys.

The body is validated after ARM's checks (authentication, api-version, names, throttling,
RBAC for its own action, the account and its SharedKey / UserSubscription rules), because ARM
forwards a POST action to the Batch resource provider, which reads the body. That order, and
the error codes for a bad body, are assumptions documented in docs/simulator.md.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid
from datetime import UTC, datetime

from pytest_batchkeys.simulator.arm import (
    KEY_LOCK,
    ArmContext,
    ArmRequest,
    admit,
    ensure_keys,
    keys_reply,
)
from pytest_batchkeys.simulator.config import (
    KEY_NAMES,
    REGENERATE_KEYS_ACTION,
    Account,
    ErrorChoice,
)
from pytest_batchkeys.simulator.wire import Reply, json_reply


class KeyRotations:
    """How often each account's keys were regenerated, for one simulator's lifetime.

    With a configured seed, the n-th new key of an account is the same in every run, so
    recordings against a seeded simulator repeat exactly.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def rotate(
        self, account: Account, where: str, key_name: str, seed: int | None
    ) -> tuple[str, str]:
        """Replace the `key_name` key by a new key distinct from both; the pair right after."""
        with KEY_LOCK:
            count = self._counts.get(where, 0) + 1
            self._counts[where] = count
            rng = random.Random(f"{seed}:{where}:{count}") if seed is not None else None
            current = (account.primary, account.secondary)
            while True:
                raw = rng.randbytes(64) if rng is not None else secrets.token_bytes(64)
                key = base64.b64encode(raw).decode()
                if key not in current:
                    break
            if key_name == "Primary":
                account.primary = key
            else:
                account.secondary = key
            pair = (account.primary or "", account.secondary or "")
        return pair


def _batch_error(choice: ErrorChoice, message: str, property_name: str | None) -> Reply:
    """A Batch resource provider error: message with RequestId and Time, target BatchAccount."""
    now = datetime.now(UTC)
    stamp = f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond * 10:07d}Z"
    error: dict[str, object] = {
        "code": choice.code,
        "message": f"{message}\nRequestId:{uuid.uuid4()}\nTime:{stamp}",
        "target": "BatchAccount",
    }
    if property_name is not None:
        error["details"] = [{"code": "PropertyName", "message": property_name}]
    return json_reply(choice.status, {"error": error})


def requested_key(ctx: ArmContext, body: bytes) -> str | Reply:
    """The keyName of a regenerateKeys body (`Primary` or `Secondary`), or the 400 answer."""
    config = ctx.config
    try:
        parsed = json.loads(body) if body.strip() else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return _batch_error(
            config.error("regenerate_invalid_body"),
            "The specified Request Body is not syntactically valid: expected a JSON object "
            '{"keyName": "Primary"|"Secondary"}.',
            None,
        )
    if "keyName" not in parsed or parsed["keyName"] is None:
        return _batch_error(
            config.error("regenerate_missing_key_name"),
            "A required property was not specified in the request body.",
            "keyName",
        )
    value = parsed["keyName"]
    if value not in KEY_NAMES:
        shown = json.dumps(value)[:60]
        return _batch_error(
            config.error("regenerate_invalid_key_name"),
            f"The value provided for one of the properties in the request body is invalid: "
            f"keyName {shown} is not one of 'Primary', 'Secondary'.",
            "keyName",
        )
    return str(value)


def regenerate_keys(ctx: ArmContext, req: ArmRequest, rotations: KeyRotations) -> Reply:
    """Answer regenerateKeys: the first failing check answers, else 200 with the new pair."""
    admitted = admit(ctx, req, REGENERATE_KEYS_ACTION)
    if isinstance(admitted, Reply):
        return admitted
    key_name = requested_key(ctx, req.body)
    if isinstance(key_name, Reply):
        return admitted.answer(key_name)
    sub, group, account = admitted.subscription, admitted.group, admitted.account
    seed = ctx.config.seed
    ensure_keys(account, sub.id, group.name, seed)
    where = f"{sub.id}/{group.name}/{account.name}".lower()
    primary, secondary = rotations.rotate(account, where, key_name, seed)
    return admitted.answer(keys_reply(account.name, primary, secondary))
