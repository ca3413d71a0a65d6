"""Every form of a key from the issue, through the leak guard, output redaction and `verify`.

The forms are written here independently of `secrets/encodings.py`, so a row missing from the
table fails one of these cases.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_batchkeys.cli.verify import run_verify
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.encodings import ENCODINGS, encoded_forms
from pytest_batchkeys.secrets.leakguard import SecretRegistry
from pytest_batchkeys.secrets.redact import redact_output
from pytest_batchkeys.secrets.scrub import ScrubRules, scrub_interactions

KEY = base64.b64encode(bytes(range(7, 71))).decode()  # has '+', '/' and '=='
assert "+" in KEY or "/" in KEY


def _decoded(key: str) -> bytes:
    return base64.b64decode(key)


FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda k: k,
    "unpadded": lambda k: k.rstrip("="),
    "url-safe": lambda k: base64.urlsafe_b64encode(_decoded(k)).decode(),
    "url-safe-unpadded": lambda k: base64.urlsafe_b64encode(_decoded(k)).decode().rstrip("="),
    "json-escaped": lambda k: json.dumps(k).replace("/", "\\/").replace("+", "\\u002b")[1:-1],
    "url-encoded": lambda k: quote(k, safe=""),
    "url-encoded-twice": lambda k: quote(quote(k, safe=""), safe=""),
    "base64": lambda k: base64.b64encode(k.encode()).decode(),
    "base64-of-url-encoded": lambda k: base64.b64encode(quote(k, safe="").encode()).decode(),
    "bytes-repr": lambda k: repr(_decoded(k)),
    "hex": lambda k: _decoded(k).hex(),
    "HEX": lambda k: _decoded(k).hex().upper(),
}
#: Forms only a registry that knows the key can see (verify does not know it).
KNOWN_ONLY: dict[str, Callable[[str], str]] = {
    "edited (85 of 88)": lambda k: k[:40] + "!!!" + k[43:],
    "a run of 16": lambda k: "prefix " + k[30:46] + " suffix",
    "hex run of 16": lambda k: "x=" + _decoded(k).hex()[50:66],
    "bytes-repr nested": lambda k: repr(repr(_decoded(k))),
}


def _registry() -> SecretRegistry:
    registry = SecretRegistry()
    registry.add(KEY, "primary key")
    return registry


def _runs(key: str) -> list[str]:
    sources = [key, _decoded(key).hex(), repr(_decoded(key))[2:-1]]
    return [s[i : i + 16] for s in sources for i in range(len(s) - 15)]


@pytest.mark.parametrize("form", sorted({**FORMS, **KNOWN_ONLY}))
def test_guard_finds_and_output_redaction_removes_every_form(form: str) -> None:
    text = f"before {({**FORMS, **KNOWN_ONLY})[form](KEY)} after"
    registry = _registry()
    assert registry.find_leaks(text), form
    shown = redact_output(text, registry)
    assert not any(run in shown for run in _runs(KEY)), shown
    assert shown.startswith("before ")
    assert shown.endswith(" after")


def test_output_redaction_without_registration_still_hides_the_raw_key() -> None:
    assert KEY not in redact_output(f"k={KEY}", SecretRegistry())


def _recording(tmp_path: Path, body: str) -> Path:
    data = {
        "interactions": [
            {
                "request": {"method": "GET", "uri": "https://x/", "headers": {}, "body": None},
                "response": {
                    "status": {"code": 400, "message": "Bad"},
                    "headers": {},
                    "body": {"string": body},
                },
            }
        ],
        "version": 1,
    }
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("form", sorted(FORMS))
def test_verify_flags_every_form(tmp_path: Path, form: str) -> None:
    body = json.dumps({"note": f"value: {FORMS[form](KEY)} end"})
    report = run_verify([str(_recording(tmp_path, body))])
    assert any(i.kind == "account-key" for i in report.issues), form


def test_verify_flags_a_key_echoed_in_an_error_code(tmp_path: Path) -> None:
    body = json.dumps({"error": {"code": f"InvalidKey{KEY}", "message": "no"}})
    report = run_verify([str(_recording(tmp_path, body))])
    assert any("echoed in 'code'" in i.message for i in report.issues)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_verify_accepts_placeholders_in_every_form(tmp_path: Path, form: str) -> None:
    body = json.dumps({"note": FORMS[form](placeholders.FAKE_PRIMARY_KEY)})
    report = run_verify([str(_recording(tmp_path, body))])
    assert not [i for i in report.issues if i.kind == "account-key"], form


def test_verify_ignores_ordinary_text(tmp_path: Path) -> None:
    body = json.dumps({"id": "/subscriptions/x/resourceGroups/batch", "n": "a" * 40})
    assert run_verify([str(_recording(tmp_path, body))]).issues == []


def test_one_table_names_every_form_the_issue_lists() -> None:
    names = {encoding.name for encoding in ENCODINGS}
    assert {
        "raw",
        "unpadded",
        "url-safe",
        "url-encoded",
        "url-encoded-twice",
        "base64",
        "base64-of-url-encoded",
        "hex-of-decoded",
        "bytes-repr",
    } <= names
    assert set(encoded_forms(KEY)) >= {"hex-of-decoded", "bytes-repr", "url-encoded-twice"}


def test_a_random_key_is_found_in_every_form() -> None:
    key = base64.b64encode(os.urandom(64)).decode()
    registry = SecretRegistry()
    registry.add(key, "primary key")
    for form, make in {**FORMS, **KNOWN_ONLY}.items():
        assert registry.find_leaks(f"<{make(key)}>"), form


def test_jwt_shapes_are_redacted_in_output_even_unseen() -> None:
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(b'{"sub":"someone-unknown"}').decode().rstrip("=")
    token = f"{head}.{body}.c2lnbmF0dXJl"
    assert redact_output(f"Bearer {token}", SecretRegistry()) == "Bearer REDACTED"


def test_fragments_do_not_touch_ordinary_text() -> None:
    registry = _registry()
    text = (
        "the quick brown fox jumps over 0123456789abcdef0123 and " + placeholders.FAKE_PRIMARY_KEY
    )
    assert redact_output(text, registry) == text


@pytest.mark.parametrize(
    "form", ["unpadded", "url-safe", "url-encoded-twice", "base64-of-url-encoded", "hex", "HEX"]
)
def test_the_scrubber_replaces_the_whole_forms_of_a_known_secret(form: str) -> None:
    written = FORMS[form](KEY)
    interaction = {
        "request": {"method": "POST", "uri": "https://x/", "headers": {}, "body": f"v={written}"},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": None},
    }
    [out] = scrub_interactions([interaction], ScrubRules(secrets=(KEY,)))
    assert out["request"]["body"] == "v=REDACTED"
