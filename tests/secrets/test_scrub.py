"""The recording scrubber: pure functions over vcrpy-serialized interactions, and files in place."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from pytest_batchkeys.cli.scrub import scrub_cassette_file
from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.scrub import (
    ScrubRules,
    scrub_counted,
    scrub_interactions,
)

RNG = random.Random(11)
SUB = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
RULES = ScrubRules(
    replacements=(
        (SUB, placeholders.SUBSCRIPTION_ID),
        ("acct", placeholders.ACCOUNT_NAME),
        ("acct-rg", placeholders.RESOURCE_GROUP),
    )
)


def key() -> str:
    return base64.b64encode(RNG.randbytes(64)).decode()


def jwt(claims: dict[str, str]) -> str:
    """A JWT-shaped token built at test time (no token-shaped literal in the repository)."""
    parts = [{"alg": "RS256", "typ": "JWT"}, claims]
    encoded = [base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=") for p in parts]
    return ".".join([*encoded, "c2lnbmF0dXJl"])


def exchange(uri: str, body: Any = "", **headers: str) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": uri, "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {name.replace("_", "-"): [value] for name, value in headers.items()},
            "body": {"string": body},
        },
    }


def listkeys(primary: str, secondary: str, **headers: str) -> dict[str, Any]:
    uri = (
        f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/acct-rg/providers"
        "/Microsoft.Batch/batchAccounts/acct/listKeys?api-version=2026-08-01"
    )
    body = json.dumps({"accountName": "acct", "primary": primary, "secondary": secondary})
    return exchange(uri, body, **headers)


def test_keys_become_the_documented_fakes() -> None:
    [out] = scrub_interactions([listkeys(key(), key())], RULES)
    body = json.loads(out["response"]["body"]["string"])
    assert body == {
        "accountName": placeholders.ACCOUNT_NAME,
        "primary": placeholders.FAKE_PRIMARY_KEY,
        "secondary": placeholders.FAKE_SECONDARY_KEY,
    }


def test_keys_get_their_fakes_even_when_first_seen_as_another_secret() -> None:
    # The same key value went out earlier under a generic secret name, so it is first collected
    # with the REDACTED placeholder; the listKeys body must still carry the fixed fakes, which
    # replay checks as base64 of 64 bytes.
    primary, secondary = key(), key()
    earlier = exchange("https://example.test/echo", json.dumps({"key": primary}))
    out = scrub_interactions([earlier, listkeys(primary, secondary)], RULES)
    assert json.loads(out[0]["response"]["body"]["string"]) == {"key": placeholders.REDACTED}
    body = json.loads(out[1]["response"]["body"]["string"])
    assert (body["primary"], body["secondary"]) == (
        placeholders.FAKE_PRIMARY_KEY,
        placeholders.FAKE_SECONDARY_KEY,
    )


def test_identifiers_all_replaced_longest_first_any_case() -> None:
    [out] = scrub_interactions([listkeys(key(), key())], RULES)
    uri = out["request"]["uri"]
    assert f"/subscriptions/{placeholders.SUBSCRIPTION_ID}/" in uri
    assert f"/resourceGroups/{placeholders.RESOURCE_GROUP}/" in uri  # not "batchkeysacct-rg"
    assert f"/batchAccounts/{placeholders.ACCOUNT_NAME}/" in uri
    [upper] = scrub_interactions([exchange(f"https://x/subscriptions/{SUB.upper()}")], RULES)
    assert upper["request"]["uri"] == f"https://x/subscriptions/{placeholders.SUBSCRIPTION_ID}"


def test_every_substitution_is_kept_in_one_string() -> None:
    """The Azure CLI bug: a replacer that kept only its last substitution left a key behind."""
    secret = key()
    text = f'"{SUB}" "acct" "acct-rg" {secret}'
    [out] = scrub_interactions(
        [exchange("https://x/", text)], ScrubRules(RULES.replacements, (secret,))
    )
    assert out["response"]["body"]["string"] == (
        f'"{placeholders.SUBSCRIPTION_ID}" "{placeholders.ACCOUNT_NAME}" '
        f'"{placeholders.RESOURCE_GROUP}" {placeholders.REDACTED}'
    )


def test_identifiers_url_encoded() -> None:
    rules = ScrubRules(replacements=(("my group(1)", "batchkeys-rg"),))
    [out] = scrub_interactions([exchange("https://x/?q=my%20group%281%29&p=my+group(1)")], rules)
    assert out["request"]["uri"] == "https://x/?q=batchkeys-rg&p=batchkeys-rg"


def test_input_untouched_and_new_dicts() -> None:
    original = [listkeys(key(), key(), Authorization="Bearer abc.def.ghi")]
    frozen = copy.deepcopy(original)
    out = scrub_interactions(original, RULES)
    assert original == frozen
    assert out[0] is not original[0]


def test_token_exchanges_are_dropped() -> None:
    token = exchange("https://login.microsoftonline.com/tenant/oauth2/v2.0/token", "{}")
    imds = exchange("http://169.254.169.254/metadata/identity/oauth2/token?resource=x", "{}")
    china = exchange("https://login.chinacloudapi.cn/tenant/oauth2/token", "{}")
    kept = listkeys(key(), key())
    out, dropped, _ = scrub_counted([token, kept, imds, china], RULES)
    assert dropped == 3
    assert len(out) == 1
    custom = ScrubRules(token_url_pattern=r"/my-token$")
    assert scrub_interactions([exchange("https://sim/my-token")], custom) == []


def test_the_drop_can_miss_when_the_pattern_does_not_match() -> None:
    custom = ScrubRules(token_url_pattern=r"/nothing-matches-this$")
    token = exchange("https://login.microsoftonline.com/t/oauth2/v2.0/token", "{}")
    assert len(scrub_interactions([token], custom)) == 1


def test_authorization_and_secret_headers() -> None:
    token = jwt({"aud": "https://management.azure.com"})
    item = exchange("https://x/", "")
    item["request"]["headers"] = {
        "Authorization": [f"Bearer {token}"],
        "proxy-authorization": ["Basic dXNlcjpwYXNzd29yZA=="],
        "Cookie": ["session=abcdef123456"],
        "x-ms-client-secret": ["s3cr3t-value"],
        "Accept": ["application/json"],
    }
    item["response"]["headers"] = {"Set-Cookie": ["id=xyz123456789; Secure"]}
    [out] = scrub_interactions([item], ScrubRules())
    assert out["request"]["headers"] == {
        "Authorization": [placeholders.REDACTED_AUTHORIZATION],
        "proxy-authorization": ["Basic REDACTED"],
        "Cookie": [placeholders.REDACTED],
        "x-ms-client-secret": [placeholders.REDACTED],
        "Accept": ["application/json"],
    }
    assert out["response"]["headers"] == {"Set-Cookie": [placeholders.REDACTED]}


def test_token_echoed_elsewhere_is_replaced_too() -> None:
    secret = "opaque-access-token-value-123"
    item = exchange("https://x/", json.dumps({"note": f"used {secret}"}))
    item["request"]["headers"] = {"Authorization": [f"Bearer {secret}"]}
    [out] = scrub_interactions([item], ScrubRules())
    assert secret not in json.dumps(out)


def test_json_credential_fields_at_any_depth() -> None:
    body = {
        "outer": [{"access_token": "tok-123456789", "refresh_token": "ref-123456789"}],
        "client_secret": "cs",
        "keyName": "Primary",
        "token_type": "Bearer",
        "nested": {"primary": key(), "secondary": key()},
    }
    [out] = scrub_interactions([exchange("https://x/", json.dumps(body))], ScrubRules())
    got = json.loads(out["response"]["body"]["string"])
    assert got["outer"] == [{"access_token": "REDACTED", "refresh_token": "REDACTED"}]
    assert got["client_secret"] == "REDACTED"
    assert (got["keyName"], got["token_type"]) == ("Primary", "Bearer")
    assert got["nested"]["primary"] == placeholders.FAKE_PRIMARY_KEY


def test_form_body_and_query_secrets() -> None:
    item = exchange("https://x/data?sig=abc%2Bdef&api-version=1")
    item["request"]["body"] = (
        "grant_type=client_credentials&client_secret=a%7Eb.c&client_assertion=x.y.z"
    )
    [out] = scrub_interactions([item], ScrubRules())
    assert out["request"]["body"] == (
        "grant_type=client_credentials&client_secret=REDACTED&client_assertion=REDACTED"
    )
    assert out["request"]["uri"] == "https://x/data?sig=REDACTED&api-version=1"


def test_key_in_query_string_url_encoded_follows_the_body_key() -> None:
    primary = key()
    item = listkeys(primary, key())
    item["request"]["uri"] += "&k=" + quote(primary, safe="")
    [out] = scrub_interactions([item], RULES)
    assert out["request"]["uri"].endswith("&k=" + quote(placeholders.FAKE_PRIMARY_KEY, safe=""))


def test_json_escaped_key_elsewhere_is_replaced_in_the_same_escape_style() -> None:
    primary = "+" + key()[1:]
    body = json.dumps({"primary": primary, "echo": primary}).replace("+", "\\u002B")
    [out] = scrub_interactions([exchange("https://x/", body)], ScrubRules())
    text = out["response"]["body"]["string"]
    assert primary[1:] not in text
    assert json.loads(text) == {
        "primary": placeholders.FAKE_PRIMARY_KEY,
        "echo": placeholders.FAKE_PRIMARY_KEY,
    }


def test_leftover_key_shapes_and_jwts_are_redacted() -> None:
    text = f"note {key()} and {jwt({'sub': 'user123'})}"
    [out] = scrub_interactions([exchange("https://x/", text)], ScrubRules())
    assert out["response"]["body"]["string"] == "note REDACTED and REDACTED"


def test_placeholders_are_left_alone() -> None:
    body = json.dumps({"primary": "fakeBatchAccountKey0==", "secondary": "Sanitized"})
    item = exchange("https://x/", body)
    item["request"]["headers"] = {"Authorization": ["Sanitized"]}
    assert scrub_interactions([item], ScrubRules()) == [item]


def test_gzip_body_decoded_and_lengths_fixed() -> None:
    body = json.dumps({"accountName": "acct", "primary": key(), "secondary": key()}).encode()
    packed = gzip.compress(body)
    item = listkeys("x", "y", Content_Encoding="gzip", Content_Length=str(len(packed)))
    item["response"]["body"]["string"] = packed
    [out] = scrub_interactions([item], RULES)
    text = out["response"]["body"]["string"]
    assert isinstance(text, str)
    assert json.loads(text)["primary"] == placeholders.FAKE_PRIMARY_KEY
    assert out["response"]["headers"] == {"Content-Length": [str(len(text.encode()))]}


def test_content_length_kept_when_body_unchanged() -> None:
    item = exchange("https://x/", "hello", Content_Length="999")
    assert scrub_interactions([item], ScrubRules()) == [item]


def test_request_body_shapes() -> None:
    secret = "my-extra-secret-1"
    rules = ScrubRules(secrets=(secret,))
    for body in (secret, secret.encode(), {"string": secret}, None):
        item = exchange("https://x/")
        item["request"]["body"] = body
        [out] = scrub_interactions([item], rules)
        got = out["request"]["body"]
        assert secret not in str(got)


def test_secret_rule_catches_base64_form() -> None:
    secret = "client-secret-value-42"
    encoded = base64.b64encode(secret.encode()).decode()
    [out] = scrub_interactions(
        [exchange("https://x/", f"b={encoded}")], ScrubRules(secrets=(secret,))
    )
    assert out["response"]["body"]["string"] == "b=REDACTED"


def test_idempotent_and_deterministic() -> None:
    items = [listkeys(key(), key(), Authorization="Bearer zzz-token-zzz")]
    once = scrub_interactions(items, RULES)
    assert scrub_interactions(once, RULES) == once
    assert scrub_interactions(items, RULES) == once


def test_a_placeholder_holding_a_real_identifier_stays_stable() -> None:
    rules = ScrubRules(replacements=(("keys", "batchkeys-rg"),))
    once = scrub_interactions([exchange("https://x/keys/")], rules)
    assert once[0]["request"]["uri"] == "https://x/batchkeys-rg/"
    assert scrub_interactions(once, rules) == once


# --- files ---------------------------------------------------------------------------------------


def _cassette(primary: str) -> dict[str, Any]:
    return {"interactions": [listkeys(primary, key())], "version": 1}


def test_file_yaml_keeps_format_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_cassette(key())))
    result = scrub_cassette_file(path, RULES)
    assert result.changed
    assert result.replaced > 0
    data = yaml.safe_load(path.read_text())
    assert data["version"] == 1
    assert placeholders.FAKE_PRIMARY_KEY in data["interactions"][0]["response"]["body"]["string"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]  # no temp file left
    assert not scrub_cassette_file(path, RULES).changed


def test_file_json_check_only_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_cassette(key()), indent=4) + "\n")
    before = path.read_bytes()
    assert scrub_cassette_file(path, RULES, check_only=True).changed
    assert path.read_bytes() == before
    scrub_cassette_file(path, RULES)
    assert path.read_text().startswith('{\n    "')
    assert json.loads(path.read_text())["version"] == 1


def test_file_test_proxy_keeps_its_shape(tmp_path: Path) -> None:
    entry = {
        "RequestUri": "https://management.azure.com/x/listKeys",
        "RequestMethod": "POST",
        "RequestHeaders": {"Authorization": "Bearer live-token-123456"},
        "RequestBody": None,
        "StatusCode": 200,
        "ResponseHeaders": {"Content-Length": "5"},
        "ResponseBody": {"primary": key(), "secondary": key()},
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"Entries": [entry], "Variables": {"a": "b"}}, indent=2))
    result = scrub_cassette_file(path, ScrubRules())
    assert (result.changed, result.dropped) == (True, 0)
    data = json.loads(path.read_text())
    assert data["Variables"] == {"a": "b"}
    [got] = data["Entries"]
    assert list(got) == list(entry)
    assert got["RequestHeaders"] == {"Authorization": placeholders.REDACTED_AUTHORIZATION}
    assert got["ResponseBody"]["secondary"] == placeholders.FAKE_SECONDARY_KEY
    assert got["ResponseHeaders"]["Content-Length"] == str(
        len(json.dumps(got["ResponseBody"], separators=(",", ":")))
    )
    assert path.read_text().startswith('{\n  "Entries"')


def test_file_unsupported_raises(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[]")
    with pytest.raises(CassetteError, match="unsupported content"):
        scrub_cassette_file(path, ScrubRules())
