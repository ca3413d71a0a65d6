"""A fingerprint of the contract that changes with what it checks, not with its wording."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from pytest_batchkeys.spec.selection import METHOD

# Keys that only document; dropping them keeps the fingerprint stable across wording fixes.
_DOC_KEYS: Final = frozenset({"description", "summary", "title", "tags", "example", "examples"})
# Maps whose keys are names chosen by the author, so a key there is never a doc key.
_NAMED_MAPS: Final = frozenset(
    {"properties", "patternProperties", "definitions", "schemas", "headers"}
)


def fingerprint(path: str, operation: dict[str, Any], definitions: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of what the contract checks, without documentation text."""
    content = {
        "method": METHOD,
        "path": path,
        "operation": _strip_docs(operation),
        "schemas": _strip_docs(definitions, named=True),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _strip_docs(node: Any, *, named: bool = False) -> Any:
    """`node` without documentation keys; keys of `named` maps are names, so they stay."""
    if isinstance(node, list):
        return [_strip_docs(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _strip_docs(value, named=key in _NAMED_MAPS)
        for key, value in node.items()
        if named or key not in _DOC_KEYS
    }
