"""Numbered fake keys: the fixed series, and scrubbing that keeps a rotation visible."""

from __future__ import annotations

import base64
import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_batchkeys.cli.scrub import scrub_cassette_file
from pytest_batchkeys.cli.verify import run_verify
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.fakes import MAX_FAKE, assign_fakes, fake_key, fake_number
from pytest_batchkeys.secrets.leakguard import SecretRegistry
from pytest_batchkeys.secrets.scrub import ScrubRules, scrub_interactions

RNG = random.Random(16)


def key() -> str:
    return base64.b64encode(RNG.randbytes(64)).decode()


def test_the_series_is_fixed_and_of_the_real_shape() -> None:
    assert fake_key(1) == placeholders.FAKE_PRIMARY_KEY
    assert fake_key(2) == placeholders.FAKE_SECONDARY_KEY
    assert fake_key(3) == (
        "YmF0Y2hrZXlzLWZha2Uta2V5LTAwMDAwMy1ub3QtYS1zZWNyZXR8YmF0Y2hrZXlzLWZha2Uta2V5LTAwMDAwMw=="
    )
    numbers = [1, 2, 3, 10, 4711, MAX_FAKE]
    assert len({fake_key(n) for n in numbers}) == len(numbers)
    for n in numbers:
        assert len(base64.b64decode(fake_key(n), validate=True)) == 64
        assert fake_number(fake_key(n)) == n
    for bad in (0, -1, MAX_FAKE + 1):
        with pytest.raises(ValueError, match="fake key numbers run from 1"):
            fake_key(bad)


@pytest.mark.parametrize(
    "value",
    [
        key(),
        "",
        "short",
        placeholders.LEGACY_FAKE_KEYS[0],
        fake_key(3)[:-2] + "A=",
        base64.b64encode(b"batchkeys-fake-key-000000-not-a-secret|" * 2).decode()[:88],
    ],
)
def test_other_values_are_not_fakes(value: str) -> None:
    assert fake_number(value) is None


def test_assign_numbers_by_first_appearance_and_keeps_existing_fakes() -> None:
    a, b, c = key(), key(), key()
    assert assign_fakes([a, b, a, c]) == {a: fake_key(1), b: fake_key(2), c: fake_key(3)}
    assert assign_fakes([fake_key(1), a, "Sanitized"], keep={"Sanitized"}) == {a: fake_key(2)}
    assert assign_fakes([a, fake_key(1)]) == {a: fake_key(2)}


def exchange(path: str, response: dict[str, str], body: Any = None) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "uri": f"https://management.azure.com{path}?api-version=2025-06-01",
            "body": json.dumps(body) if body is not None else None,
            "headers": {"Authorization": ["Bearer " + "t0ken" * 10]},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json; charset=utf-8"]},
            "body": {"string": json.dumps({"accountName": "acct", **response})},
        },
    }


ACCOUNT = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct"


def rotation(p1: str, s1: str, p2: str, s2: str | None = None) -> list[dict[str, Any]]:
    """listKeys, regenerate Primary, listKeys, regenerate Secondary (when s2), listKeys."""
    items = [
        exchange(ACCOUNT + "/listKeys", {"primary": p1, "secondary": s1}),
        exchange(
            ACCOUNT + "/regenerateKeys", {"primary": p2, "secondary": s1}, {"keyName": "Primary"}
        ),
        exchange(ACCOUNT + "/listKeys", {"primary": p2, "secondary": s1}),
    ]
    if s2 is not None:
        items.append(
            exchange(
                ACCOUNT + "/regenerateKeys",
                {"primary": p2, "secondary": s2},
                {"keyName": "Secondary"},
            )
        )
    return items


def keys_of(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        body = json.loads(item["response"]["body"]["string"])
        out.append((body["primary"], body["secondary"]))
    return out


def test_a_rotation_keeps_distinct_fakes_for_distinct_keys() -> None:
    p1, s1, p2, s2 = key(), key(), key(), key()
    items = rotation(p1, s1, p2, s2)
    scrubbed = scrub_interactions(items, ScrubRules())
    f1, f2, f3, f4 = (fake_key(n) for n in (1, 2, 3, 4))
    assert keys_of(scrubbed) == [(f1, f2), (f3, f2), (f3, f2), (f3, f4)]
    text = json.dumps(scrubbed)
    assert not any(real in text for real in (p1, s1, p2, s2))
    assert scrub_interactions(scrubbed, ScrubRules()) == scrubbed
    again = scrub_interactions(rotation(key(), key(), key(), key()), ScrubRules())
    assert again == scrubbed  # same sequence, other real keys: the same cassette


def test_a_key_echoed_elsewhere_gets_the_same_fake() -> None:
    p1, s1, p2 = key(), key(), key()
    items = rotation(p1, s1, p2)
    items[2]["request"]["uri"] += "&echo=" + p2.replace("+", "%2B").replace("/", "%2F")
    scrubbed = scrub_interactions(items, ScrubRules())
    assert scrubbed[2]["request"]["uri"].endswith("&echo=" + fake_key(3).replace("=", "%3D"))
    assert p2 not in json.dumps(scrubbed)


def test_leak_guard_and_verify_treat_any_fake_as_a_placeholder(tmp_path: Path) -> None:
    registry = SecretRegistry()
    assert not registry.add(fake_key(7), "account-key")
    scrubbed = scrub_interactions(rotation(key(), key(), key(), key()), ScrubRules())
    path = tmp_path / "rot.yaml"
    path.write_text(yaml.safe_dump({"interactions": scrubbed, "version": 1}))
    assert [i for i in run_verify([str(path)]).issues if i.severity == "finding"] == []
    real = tmp_path / "real.yaml"
    real.write_text(yaml.safe_dump({"interactions": rotation(key(), key(), key()), "version": 1}))
    kinds = {i.kind for i in run_verify([str(real)]).issues if i.severity == "finding"}
    assert "account-key" in kinds


def test_scrub_command_numbers_vcrpy_yaml_with_gzip_bodies(tmp_path: Path) -> None:
    items = rotation(key(), key(), key())
    for item in items:
        text = item["response"]["body"]["string"]
        item["response"]["body"]["string"] = gzip.compress(text.encode())
        item["response"]["headers"]["Content-Encoding"] = ["gzip"]
    path = tmp_path / "third_party.yaml"
    path.write_text(yaml.dump({"interactions": items, "version": 1}))
    assert scrub_cassette_file(path).changed
    data = yaml.safe_load(path.read_text())
    assert keys_of(data["interactions"]) == [
        (fake_key(1), fake_key(2)),
        (fake_key(3), fake_key(2)),
        (fake_key(3), fake_key(2)),
    ]
    assert not scrub_cassette_file(path).changed


def test_scrub_command_numbers_test_proxy_json_and_keeps_its_shape(tmp_path: Path) -> None:
    p1, s1, p2 = key(), key(), key()

    def entry(action: str, primary: str, body: Any = None) -> dict[str, Any]:
        return {
            "RequestUri": f"https://management.azure.com{ACCOUNT}/{action}?api-version=2024-07-01",
            "RequestMethod": "POST",
            "RequestHeaders": {"Authorization": "Sanitized"},
            "RequestBody": body,
            "StatusCode": 200,
            "ResponseHeaders": {"Content-Type": "application/json; charset=utf-8"},
            "ResponseBody": {"accountName": "acct", "primary": primary, "secondary": s1},
        }

    entries = [
        entry("listKeys", p1),
        entry("regenerateKeys", p2, {"keyName": "Primary"}),
        entry("listKeys", p2),
    ]
    path = tmp_path / "recording.json"
    path.write_text(json.dumps({"Entries": entries, "Variables": {}}, indent=2))
    assert scrub_cassette_file(path).changed
    data = json.loads(path.read_text())
    got = [(e["ResponseBody"]["primary"], e["ResponseBody"]["secondary"]) for e in data["Entries"]]
    assert got == [
        (fake_key(1), fake_key(2)),
        (fake_key(3), fake_key(2)),
        (fake_key(3), fake_key(2)),
    ]
    assert data["Entries"][1]["RequestBody"] == {"keyName": "Primary"}
    assert list(data["Entries"][0]) == list(entries[0])
