"""Hypothesis strategies for listKeys inputs, derived from a LoadedSpec (default: the bundled one).

Valid values obey the spec's constraints, with `\\w` read as ASCII (as schemathesis does) and
never a path segment made only of dots (clients collapse `.` and `..`). Invalid values break at
least one constraint and can still be sent: they may contain ASCII letters and digits, the
punctuation ``!$&'()*+,;=:@-._~`` and the non-ASCII letters ``éßжΩ名`` (sent percent-encoded as
UTF-8), but never `/`, `?`, `#`, `%`, `\\`, whitespace or control characters, so each stays one
path segment or one query value. The empty string is drawn only where it is the only way to be
too short (a minLength of 1: resourceGroupName, api-version).
"""

from __future__ import annotations

import functools
import re
import string
from datetime import date
from typing import Any, Final

from hypothesis import strategies as st

from pytest_batchkeys.spec.load import load_bundled
from pytest_batchkeys.spec.model import LoadedSpec

__all__ = ["account_names", "api_versions", "resource_group_names", "subscription_ids"]

SAFE_PUNCTUATION: Final = "!$&'()*+,;=:@-._~"
NON_ASCII_LETTERS: Final = "éßжΩ名"
_CANDIDATES: Final = string.ascii_letters + string.digits + SAFE_PUNCTUATION + NON_ASCII_LETTERS
_PLAIN: Final = string.ascii_letters + string.digits + "-_"
_QUERY_SAFE: Final = string.ascii_letters + string.digits + "-._~"
_CLASS_PATTERN: Final = re.compile(r"^\^\[(?:[^\]\\]|\\.)+\][+*]\$$")
_UUID_RE: Final = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_UNBOUNDED_EXTRA: Final = 32


def account_names(valid: bool = True, *, spec: LoadedSpec | None = None) -> st.SearchStrategy[str]:
    """accountName values that satisfy (valid) or break (not valid) the spec's constraints."""
    return _strings(_spec(spec), "accountName", valid)


def resource_group_names(
    valid: bool = True, *, spec: LoadedSpec | None = None
) -> st.SearchStrategy[str]:
    """resourceGroupName values that satisfy (valid) or break (not valid) the spec's constraints."""
    return _strings(_spec(spec), "resourceGroupName", valid)


def subscription_ids(
    valid: bool = True, *, spec: LoadedSpec | None = None
) -> st.SearchStrategy[str]:
    """subscriptionId values: canonical lowercase UUIDs (valid) or values breaking a constraint."""
    return _strings(_spec(spec), "subscriptionId", valid)


def api_versions(valid: bool = True, *, spec: LoadedSpec | None = None) -> st.SearchStrategy[str]:
    """Known stable api-versions of the spec (valid), or unknown, empty or garbage ones."""
    loaded = _spec(spec)
    known = frozenset(loaded.api_versions)
    if valid:
        return st.sampled_from(loaded.api_versions)
    unknown_dates = st.dates(date(1990, 1, 1), date(2099, 12, 31)).map(date.isoformat)
    return st.one_of(
        st.just(""),
        unknown_dates.filter(lambda v: v not in known),
        st.sampled_from(loaded.api_versions).map(lambda v: v + "-preview"),
        st.text(_QUERY_SAFE, min_size=1, max_size=20).filter(lambda v: v not in known),
    ).filter(lambda v: v not in known)


@functools.cache
def _bundled() -> LoadedSpec:
    return load_bundled()


def _spec(spec: LoadedSpec | None) -> LoadedSpec:
    return _bundled() if spec is None else spec


def _strings(spec: LoadedSpec, name: str, valid: bool) -> st.SearchStrategy[str]:
    """Values of string parameter `name` that satisfy or break its constraints."""
    param = spec.parameter(name)
    if valid:
        return _valid(param)
    options = _invalid(param)
    if not options:
        raise ValueError(
            f"{name} has no constraint in the spec from {spec.source}, so no value of it is "
            "invalid. Use a spec that constrains it (e.g. the bundled one), or draw valid values."
        )
    return st.one_of(options)


def _bounds(param: dict[str, Any]) -> tuple[int, int | None]:
    low = param.get("minLength")
    high = param.get("maxLength")
    return (int(low) if low is not None else 0), (int(high) if high is not None else None)


def _allowed(param: dict[str, Any]) -> str:
    """ASCII characters a one-class pattern like ^[a-z0-9]+$ accepts (plain ones if no pattern)."""
    pattern = param.get("pattern")
    if pattern is None:
        return _PLAIN
    regex = re.compile(pattern, re.ASCII)
    return "".join(c for c in _CANDIDATES if c.isascii() and regex.fullmatch(c))


def _is_class_pattern(param: dict[str, Any]) -> bool:
    pattern = param.get("pattern")
    return pattern is None or bool(_CLASS_PATTERN.match(pattern))


def _valid(param: dict[str, Any]) -> st.SearchStrategy[str]:
    """Strings meeting the parameter's format, length and pattern, never only dots."""
    if param.get("format") == "uuid":
        return st.uuids().map(str)
    low, high = _bounds(param)
    high = high if high is not None else max(low, 1) + _UNBOUNDED_EXTRA
    if _is_class_pattern(param):
        text = st.text(_allowed(param), min_size=max(low, 1), max_size=high)
    else:
        regex = re.compile(param["pattern"], re.ASCII)
        text = st.from_regex(regex, fullmatch=True, alphabet=_allowed_any()).filter(
            lambda v: max(low, 1) <= len(v) <= high
        )
    return text.filter(lambda v: v.strip(".") != "")


def _allowed_any() -> st.SearchStrategy[str]:
    return st.sampled_from([c for c in _CANDIDATES if c.isascii()])


def _invalid(param: dict[str, Any]) -> list[st.SearchStrategy[str]]:
    """One strategy per constraint the parameter has, each breaking that constraint."""
    low, high = _bounds(param)
    options: list[st.SearchStrategy[str]] = []
    alphabet = _allowed(param) if _is_class_pattern(param) else _PLAIN
    if low > 0:
        options.append(st.text(alphabet, min_size=1 if low > 1 else 0, max_size=low - 1))
    if high is not None:
        options.append(st.text(alphabet, min_size=high + 1, max_size=high + 8))
    if param.get("pattern") is not None:
        options.append(_with_bad_character(param, low, high))
    if param.get("format") == "uuid":
        options.append(_not_uuids())
    return options


def _with_bad_character(
    param: dict[str, Any], low: int, high: int | None
) -> st.SearchStrategy[str]:
    """Strings of a valid length holding at least one character the pattern rejects."""
    regex = re.compile(param["pattern"], re.ASCII)
    bad = "".join(c for c in _CANDIDATES if not regex.fullmatch(c))
    top = high if high is not None else max(low, 1) + _UNBOUNDED_EXTRA
    filler = _allowed(param) if _is_class_pattern(param) else _PLAIN

    @st.composite
    def build(draw: st.DrawFn) -> str:
        prefix = draw(st.text(filler, min_size=max(low - 1, 0), max_size=top - 1))
        index = draw(st.integers(0, len(prefix)))
        return prefix[:index] + draw(st.sampled_from(bad)) + prefix[index:]

    return build().filter(lambda v: not regex.fullmatch(v))


def _not_uuids() -> st.SearchStrategy[str]:
    """Strings that are not in the 8-4-4-4-12 hexadecimal form `format: uuid` requires."""
    canonical = st.uuids().map(str)
    return st.one_of(
        st.uuids().map(lambda u: u.hex),
        canonical.map(lambda u: u[:-1]),
        st.tuples(canonical, st.sampled_from([0, 9, 14, 19, 24, 35]), st.sampled_from("gxzG")).map(
            lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
        ),
        st.text(_QUERY_SAFE, min_size=1, max_size=40),
    ).filter(lambda v: not _UUID_RE.match(v))
