"""The simulator's per-request shortcuts (issue 18) answer exactly as the work they replace.

Each test compares a cached or precomputed value with the plain computation, or changes the
live configuration between two requests to show that a cache follows it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import unicodedata
import uuid
from datetime import UTC, datetime

import pytest
import requests

from pytest_batchkeys.simulator import Principal, Simulator
from pytest_batchkeys.simulator import profiles as profiles_module
from pytest_batchkeys.simulator.arm import keys_body
from pytest_batchkeys.simulator.config import valid_resource_group_name
from pytest_batchkeys.simulator.profiles import (
    PROFILES,
    Remaining,
    accepts_gzip,
    arm_headers,
    encode_body,
    gzip_body,
)
from pytest_batchkeys.simulator.wire import Caller, Reply, RequestIds, new_uuid

TIMEOUT = 10
KEY_A = "A" * 86 + "=="
KEY_B = "B" * 86 + "=="
KEY_C = "C" * 86 + "=="


def test_new_uuid_is_a_random_version_4_uuid_in_canonical_text() -> None:
    made = [new_uuid() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
    assert {text[19] for text in made} == set("89ab")  # every variant nibble occurs


def _reference_group_rule(name: str) -> bool:
    """ARM's rule written out plainly: 1-90 UTF-16 units, letters/digits and -_.(), no final '.'."""
    units = len(name.encode("utf-16-le")) // 2
    allowed = all(
        c in "-_.()" or unicodedata.category(c) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")
        for c in name
    )
    return 1 <= units <= 90 and not name.endswith(".") and allowed


def test_resource_group_rule_for_ascii_names_is_the_unicode_rule() -> None:
    names = [chr(code) for code in range(128)]
    names += [f"a{chr(code)}b" for code in range(128)] + [f"ab{chr(code)}" for code in range(128)]
    names += ["", "a" * 90, "a" * 91, "a" * 89 + ".", "rg.", ".rg", "(rg)", "r-g_1"]
    names += [
        "grupé",
        "グループ",
        "ab\u00a0",
        "x" * 89 + "é",
        "x" * 90 + "é",
        "\U0001d400" * 45,
        "\U0001d400" * 46,
    ]  # surrogate pairs
    mismatches = [n for n in names if valid_resource_group_name(n) != _reference_group_rule(n)]
    assert mismatches == []
    assert valid_resource_group_name("a" * 90)
    assert not valid_resource_group_name("a" * 91)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate", True),
        ("GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("br, gzip;q=0.0", False),
        ("gzip;q=nonsense", False),
        ("deflate, " * 40 + "gzip", True),  # longer than the cached values
        ("deflate, " * 40 + "gzip;q=0", False),
    ],
)
def test_accepts_gzip_answers_the_same_from_its_cache(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted
    assert accepts_gzip(header) is accepted  # the second answer comes from the cache


def test_gzip_of_a_repeated_body_is_the_same_bytes_as_compressing_it_again() -> None:
    body = keys_body("batchkeysacct", KEY_A, KEY_B)
    profile = PROFILES["2024"]
    first, headers = encode_body(profile, body, [], True)
    again, _ = encode_body(profile, body, [], True)
    assert first == again == gzip_body(body)
    assert gzip.decompress(first) == body
    assert ("Content-Length", str(len(first))) in headers
    large = json.dumps({"data": "x" * 40_000}).encode()  # past the cached size
    packed, _ = encode_body(profile, large, [], True)
    assert packed == gzip_body(large)
    assert gzip.decompress(packed) == large


def test_keys_body_is_the_compact_json_of_the_keys_in_azures_field_order() -> None:
    expected = json.dumps(
        {"accountName": "batchkeysacct", "primary": KEY_A, "secondary": KEY_B},
        separators=(",", ":"),
    ).encode()
    assert keys_body("batchkeysacct", KEY_A, KEY_B) == expected
    assert keys_body("batchkeysacct", KEY_A, KEY_C) != expected


def test_derived_object_ids_are_the_uuid5_of_the_principal_and_a_configured_one_wins() -> None:
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, "batchkeys:some-app"))
    assert Principal("some-app").oid() == expected
    assert Principal("some-app").oid() == expected
    assert Principal("other-app").oid() != expected
    configured = "11111111-2222-4333-8444-555555555555"
    assert Principal("some-app", object_id=configured).oid() == configured


def test_time_stamps_follow_the_clock_second_by_second(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = RequestIds("r", "c")
    caller = Caller("t", "o")

    def headers_at(epoch: float) -> dict[str, str]:
        monkeypatch.setattr(profiles_module.time, "time", lambda: epoch)
        reply = Reply(200, b"{}")
        return dict(arm_headers(PROFILES["2024"], reply, ids, "EASTUS", Remaining(1, 2), caller))

    for epoch in (1_785_000_000.2, 1_785_000_000.9, 1_785_000_001.0, 1_800_000_000.5):
        moment = datetime.fromtimestamp(int(epoch), UTC)
        headers = headers_at(epoch)
        assert headers["x-ms-routing-request-id"] == f"EASTUS:{moment:%Y%m%dT%H%M%SZ}:c"
        assert headers["X-MSEdge-Ref"].endswith(f"Ref C: {moment:%Y-%m-%dT%H:%M:%SZ}")


def _post(sim: Simulator, token: str, api_version: str, account: str = "batchkeysacct") -> int:
    url = sim.listkeys_url(account, api_version=api_version)
    answer = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    return answer.status_code


def test_api_versions_changed_live_apply_to_the_next_request_with_the_same_query() -> None:
    with Simulator() as sim:
        token = sim.issue_token()
        assert _post(sim, token, "2099-01-01") == 400
        sim.config.api_versions.append("2099-01-01")
        assert _post(sim, token, "2099-01-01") == 200
        sim.config.api_versions.remove("2026-08-01")
        assert _post(sim, token, "2026-08-01") == 400
        assert _post(sim, token, "2099-01-01") == 200


def test_keys_changed_live_are_served_by_the_next_request() -> None:
    with Simulator() as sim:
        account = sim.add_account("cachedkeys", primary=KEY_A, secondary=KEY_B)
        url = sim.listkeys_url("cachedkeys")
        headers = {"Authorization": f"Bearer {sim.issue_token()}", "Accept-Encoding": "gzip"}
        first = requests.post(url, headers=headers, timeout=TIMEOUT)
        assert first.headers["Content-Encoding"] == "gzip"
        assert first.json() == {"accountName": "cachedkeys", "primary": KEY_A, "secondary": KEY_B}
        account.primary = KEY_C
        second = requests.post(url, headers=headers, timeout=TIMEOUT)
        assert second.headers["Content-Encoding"] == "gzip"
        assert second.json()["primary"] == KEY_C


def test_new_uuid_keeps_no_global_random_state_and_a_fork_repeats_no_id() -> None:
    random.seed(1234)
    first = new_uuid()
    random.seed(1234)
    assert new_uuid() != first  # random.seed() in a test does not replay request ids
    if not hasattr(os, "fork"):
        pytest.skip("no os.fork on this platform")
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child process
        os.write(writer, new_uuid().encode())
        os._exit(0)
    os.close(writer)
    parent_id = new_uuid()
    os.waitpid(child, 0)
    child_id = os.read(reader, 64).decode()
    os.close(reader)
    assert uuid.UUID(child_id).version == 4
    assert child_id != parent_id
