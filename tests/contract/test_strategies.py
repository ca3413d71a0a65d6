"""Strategies: valid values meet the spec's constraints, invalid ones break one and stay sendable."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from pytest_batchkeys.contract import strategies
from pytest_batchkeys.spec import load as spec
from pytest_batchkeys.spec import model

BUNDLED = spec.load_bundled()
ACCOUNT = re.compile(r"[a-zA-Z0-9]{3,24}")
GROUP = re.compile(r"[-\w._()]{1,90}", re.ASCII)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
UNSENDABLE = set("/?#%\\")
FAST = settings(max_examples=60, database=None, deadline=None)


def sendable(value: str) -> bool:
    """One path segment or query value once percent-encoded: no separators, spaces, controls."""
    return not (set(value) & UNSENDABLE) and all(c.isprintable() and not c.isspace() for c in value)


def exists(strategy: st.SearchStrategy[str], condition: Callable[[str], bool]) -> str:
    """Some value of `strategy` meeting `condition` (hypothesis search, not a fixed sequence)."""
    return find(strategy, condition, settings=settings(max_examples=2000, database=None))


def custom_spec(tmp_path: Path, **account: Any) -> model.LoadedSpec:
    """The bundled contract with accountName's constraints replaced by `account`."""
    raw = json.loads(spec.BUNDLED_FILE.read_text(encoding="utf-8"))
    params = next(iter(raw["paths"].values()))["post"]["parameters"]
    param = next(p for p in params if p["name"] == "accountName")
    for key in ("minLength", "maxLength", "pattern"):
        param.pop(key)
    param.update(account)
    target = tmp_path / "custom.json"
    target.write_text(json.dumps(raw), encoding="utf-8")
    return spec.load_spec(target)


# --- accountName -------------------------------------------------------------------------------


@FAST
@given(strategies.account_names())
def test_valid_account_names_meet_the_spec(value: str) -> None:
    assert ACCOUNT.fullmatch(value)


@FAST
@given(strategies.account_names(valid=False))
def test_invalid_account_names_break_the_spec_and_are_sendable(value: str) -> None:
    assert not ACCOUNT.fullmatch(value)
    assert sendable(value)


def test_invalid_account_names_cover_each_constraint() -> None:
    invalid = strategies.account_names(valid=False)
    assert len(exists(invalid, lambda v: len(v) < 3)) < 3
    assert len(exists(invalid, lambda v: len(v) > 24)) > 24
    assert exists(invalid, lambda v: 3 <= len(v) <= 24 and not v.isalnum())


# --- resourceGroupName -------------------------------------------------------------------------


@FAST
@given(strategies.resource_group_names())
def test_valid_resource_groups_meet_the_spec_with_ascii_word(value: str) -> None:
    assert GROUP.fullmatch(value)
    assert value.strip(".")


@FAST
@given(strategies.resource_group_names(valid=False))
def test_invalid_resource_groups_break_the_spec_and_are_sendable(value: str) -> None:
    assert not GROUP.fullmatch(value)
    assert sendable(value)


def test_invalid_resource_groups_probe_unicode_word_characters() -> None:
    invalid = strategies.resource_group_names(valid=False)
    # Python's Unicode \w accepts these; the spec (read as ASCII) does not.
    assert exists(invalid, lambda v: any(not c.isascii() and c.isalpha() for c in v))
    assert exists(invalid, lambda v: v == "") == ""
    assert len(exists(invalid, lambda v: len(v) > 90)) > 90


# --- subscriptionId ----------------------------------------------------------------------------


@FAST
@given(strategies.subscription_ids())
def test_valid_subscription_ids_are_canonical_uuids(value: str) -> None:
    assert UUID.fullmatch(value)
    assert str(uuid.UUID(value)) == value


@FAST
@given(strategies.subscription_ids(valid=False))
def test_invalid_subscription_ids_are_not_uuids_and_are_sendable(value: str) -> None:
    assert not UUID.fullmatch(value)
    assert value
    assert sendable(value)


def test_invalid_subscription_ids_include_near_misses() -> None:
    invalid = strategies.subscription_ids(valid=False)
    assert len(exists(invalid, lambda v: re.fullmatch(r"[0-9a-f]{32}", v) is not None)) == 32
    assert exists(invalid, lambda v: len(v) == 36 and v.count("-") == 4)


# --- api-version -------------------------------------------------------------------------------


@FAST
@given(strategies.api_versions())
def test_valid_api_versions_are_known_stable_ones(value: str) -> None:
    assert value in BUNDLED.api_versions


@FAST
@given(strategies.api_versions(valid=False))
def test_invalid_api_versions_are_unknown_and_sendable(value: str) -> None:
    assert value not in BUNDLED.api_versions
    assert sendable(value)


def test_invalid_api_versions_include_empty_and_date_shaped() -> None:
    invalid = strategies.api_versions(valid=False)
    assert exists(invalid, lambda v: v == "") == ""
    date_shaped = re.compile(r"\d{4}-\d{2}-\d{2}")
    assert date_shaped.fullmatch(exists(invalid, lambda v: date_shaped.fullmatch(v) is not None))
    assert exists(invalid, lambda v: v.endswith("-preview"))


# --- other specs -------------------------------------------------------------------------------


def test_strategies_follow_a_given_spec(tmp_path: Path) -> None:
    older = custom_spec(tmp_path, minLength=3, maxLength=24, pattern=r"^[-\w\._]+$")
    valid = strategies.account_names(spec=older)
    assert exists(valid, lambda v: "-" in v or "_" in v or "." in v)

    @FAST
    @given(valid, strategies.account_names(valid=False, spec=older))
    def check(good: str, bad: str) -> None:
        assert re.fullmatch(r"[-\w._]{3,24}", good, re.ASCII)
        assert not re.fullmatch(r"[-\w._]{3,24}", bad, re.ASCII)

    check()


def test_a_pattern_that_is_not_one_character_class(tmp_path: Path) -> None:
    custom = custom_spec(tmp_path, minLength=3, maxLength=10, pattern="^[a-z][a-z0-9]*$")

    @settings(FAST, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(
        strategies.account_names(spec=custom), strategies.account_names(valid=False, spec=custom)
    )
    def check(good: str, bad: str) -> None:
        assert re.fullmatch("[a-z][a-z0-9]{2,9}", good)
        assert not re.fullmatch("[a-z][a-z0-9]{2,9}", bad)
        assert sendable(bad)

    check()


def test_seed_names_are_plain_and_have_no_invalid_values() -> None:
    seed = spec.load_seed()

    @FAST
    @given(strategies.account_names(spec=seed))
    def check(value: str) -> None:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,33}", value)

    check()
    with pytest.raises(ValueError, match="no constraint") as info:
        strategies.account_names(valid=False, spec=seed)
    assert str(info.value) == (
        "accountName has no constraint in the spec from seed, so no value of it is invalid. Use "
        "a spec that constrains it (e.g. the bundled one), or draw valid values."
    )
