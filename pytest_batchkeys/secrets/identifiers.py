"""Whole-identifier replacement for recordings, GUIDs in ARM error messages, and URL userinfo.

A real identifier (subscription, tenant, client, resource group, account) is replaced only where
it stands as a whole: a URL path segment, a whole JSON string or quoted id, a query value, a
whole header value. A resource group named `batch` never changes `Microsoft.Batch` or
`batchAccounts`; an account named `api` never changes `api-version`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Final

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.leakguard import value_pattern

#: What may stand right before a whole identifier: a path or query delimiter, a quote (raw,
#: JSON-escaped or percent-encoded), or the start of the text.
_BEFORE: Final = r"(?:(?<=[/\"'=])|(?<=%2[Ff27])|(?<=%3[Dd])|(?<=%22)|\A)"
#: What may stand right after one: a path, query or fragment delimiter, a quote, the end, or
#: a dot (the account as the first label of `{account}.{region}.batch.azure.com`).
_AFTER: Final = r"(?=[/\"'&?#;.\\]|%2[2567FfBb]|%3[Ff]|\Z)"
#: A GUID stands alone when no letter, digit or hyphen touches it.
_GUID_BEFORE: Final = r"(?<![0-9A-Za-z-])"
_GUID_AFTER: Final = r"(?![0-9A-Za-z-])"
GUID: Final = re.compile(
    rf"{_GUID_BEFORE}[0-9A-Fa-f]{{8}}(?:-[0-9A-Fa-f]{{4}}){{3}}-[0-9A-Fa-f]{{12}}{_GUID_AFTER}"
)
#: GUIDs the kit writes itself: never replaced again.
PLACEHOLDER_GUIDS: Final = frozenset(
    {
        placeholders.SUBSCRIPTION_ID,
        placeholders.TENANT_ID,
        placeholders.CLIENT_ID,
        placeholders.OTHER_ID,
        placeholders.OBJECT_ID,
    }
)
#: The userinfo (`user:password@`) of any URL in a text.
USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s'\"<>]*@")


def _is_guid(value: str) -> bool:
    return GUID.fullmatch(value) is not None


@functools.lru_cache(maxsize=64)
def identifier_pattern(identifiers: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern matching any of the identifiers where it stands whole, any case, escaped;
    group N+1 is identifiers[N] (give them longest first)."""
    alternatives = []
    for value in identifiers:
        body = value_pattern(value, fold_case=True)
        if _is_guid(value):
            alternatives.append(f"{_GUID_BEFORE}{body}{_GUID_AFTER}")
        else:
            alternatives.append(f"{_BEFORE}{body}{_AFTER}")
    if not alternatives:
        return None
    return re.compile("|".join(f"({alt})" for alt in alternatives))


def replace_identifiers(text: str, pairs: Iterable[tuple[str, str]]) -> str:
    """`text` with each real identifier replaced by its placeholder where it stands whole."""
    lookup = {real: new for real, new in pairs if real and real != new}
    ordered = tuple(sorted(lookup, key=len, reverse=True))
    if not ordered or not text:
        return text
    pattern = identifier_pattern(ordered)
    if pattern is None:
        return text
    return pattern.sub(lambda match: lookup[ordered[(match.lastindex or 1) - 1]], text)


def replace_error_guids(node: Any, *, inside_error: bool = False) -> Any:
    """A copy of parsed JSON in which GUIDs inside an ARM `error` object (the principal's object
    id of a 403, a correlation id in a message) that are not placeholders become OTHER_ID."""
    if isinstance(node, dict):
        return {
            key: replace_error_guids(item, inside_error=inside_error or key == "error")
            for key, item in node.items()
        }
    if isinstance(node, list):
        return [replace_error_guids(item, inside_error=inside_error) for item in node]
    if isinstance(node, str) and inside_error:
        return GUID.sub(_other_guid, node)
    return node


def _other_guid(match: re.Match[str]) -> str:
    return match[0] if match[0].lower() in PLACEHOLDER_GUIDS else placeholders.OTHER_ID


def without_userinfo(text: str) -> str:
    """`text` with the `user:password@` part of every URL removed."""
    return USERINFO.sub(r"\1", text) if "@" in text else text


def userinfo_secrets(url: str) -> list[str]:
    """The userinfo of a URL and its password part: values to register as secrets."""
    match = USERINFO.search(url)
    if match is None:
        return []
    info = match[0][len(match[1]) : -1]
    password = info.partition(":")[2]
    return [value for value in (info, password) if value]


__all__ = [
    "GUID",
    "USERINFO",
    "replace_error_guids",
    "replace_identifiers",
    "userinfo_secrets",
    "without_userinfo",
]
