"""Builds hand-made recordings with secrets planted in every form, at test time.

Nothing secret-shaped is committed: every key, token and client secret is generated from a seeded
random source when a test asks for it, so the repository holds no 88-character base64 or JWT.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import yaml

from pytest_batchkeys.secrets import placeholders

ARM = "https://management.azure.com"
TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"


def listkeys_uri(sub: str, group: str = "real-rg", account: str = "realacct") -> str:
    """A listKeys URL for the given target."""
    return (
        f"{ARM}/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Batch"
        f"/batchAccounts/{account}/listKeys?api-version=2026-08-01"
    )


def make_key(rng: random.Random) -> str:
    """A real-shaped account key (base64 of 64 bytes) holding both '+' and '/'."""
    while True:
        key = base64.b64encode(rng.randbytes(64)).decode()
        if "+" in key and "/" in key:
            return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_jwt(rng: random.Random) -> str:
    """A JWT-shaped bearer token with a random signature."""
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _b64url(
        json.dumps({"aud": ARM, "oid": str(uuid.UUID(int=rng.getrandbits(128)))}).encode()
    )
    return f"{header}.{payload}.{_b64url(rng.randbytes(64))}"


def make_client_secret(rng: random.Random) -> str:
    """An Entra-style client secret (letters, digits, '~', '.', '_', '-')."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
    return "Q8" + "".join(rng.choice(alphabet) for _ in range(38))


@dataclass
class Planted:
    """The generated secrets (label -> value) and the files holding them."""

    secrets: dict[str, str]
    subscription: str
    files: dict[str, Path] = field(default_factory=dict)


def make_secrets(seed: int = 7) -> Planted:
    """Fresh, deterministic secrets of every kind."""
    rng = random.Random(seed)
    labels = ["primary", "secondary", "query_key", "header_key", "json_primary", "json_secondary"]
    labels += ["proxy_primary", "proxy_secondary", "gzip_primary", "gzip_secondary"]
    secrets = {label: make_key(rng) for label in labels}
    secrets["token"] = make_jwt(rng)
    secrets["proxy_token"] = make_jwt(rng)
    secrets["client_secret"] = make_client_secret(rng)
    secrets["refresh_token"] = make_client_secret(rng)
    return Planted(secrets, str(uuid.UUID(int=rng.getrandbits(128))))


def headers(**values: str) -> dict[str, list[str]]:
    """vcrpy-style headers from keyword arguments (underscores become dashes)."""
    return {name.replace("_", "-"): [value] for name, value in values.items()}


def exchange(
    method: str,
    uri: str,
    *,
    status: int = 200,
    request_body: Any = None,
    request_headers: dict[str, list[str]] | None = None,
    body: Any = "",
    response_headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """One vcrpy-serialized interaction."""
    return {
        "request": {
            "method": method,
            "uri": uri,
            "body": request_body,
            "headers": request_headers or {},
        },
        "response": {
            "status": {"code": status, "message": "OK" if status == 200 else "Error"},
            "headers": response_headers or {},
            "body": {"string": body},
        },
    }


def arm_headers(body: str | bytes) -> dict[str, list[str]]:
    """Real-looking ARM response headers for a JSON body."""
    return headers(
        Content_Type="application/json; charset=utf-8",
        Content_Length=str(len(body)),
        x_ms_request_id="0134a7df-011a-4970-b635-3cb65474de77",
        x_ms_correlation_request_id="6daf7550-f04a-45c2-9183-68264239f758",
    )


def keys_body(primary: str, secondary: str, account: str = "realacct") -> str:
    """A listKeys 200 body."""
    return json.dumps({"accountName": account, "primary": primary, "secondary": secondary})


def token_exchange(p: Planted) -> dict[str, Any]:
    """A client-credentials token exchange: client secret in the form, JWT in the response."""
    s = p.secrets
    form = (
        f"grant_type=client_credentials&client_id=00000000-0000-0000-0000-00000000c1d0"
        f"&client_secret={quote_plus(s['client_secret'])}&scope={quote(ARM + '/.default', safe='')}"
    )
    body = json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": s["token"]})
    return exchange(
        "POST",
        TOKEN_URL.format(tenant="72f988bf-86f1-41af-91ab-2d7cd011db47"),
        request_body=form,
        request_headers=headers(Content_Type="application/x-www-form-urlencoded"),
        body=body,
        response_headers=headers(Content_Type="application/json"),
    )


def vcr_yaml(p: Planted) -> dict[str, Any]:
    """vcrpy YAML: token exchange, bearer JWT, raw keys, a url-encoded key in a query string."""
    s = p.secrets
    body = keys_body(s["primary"], s["secondary"])
    listkeys = exchange(
        "POST",
        listkeys_uri(p.subscription),
        request_headers=headers(Authorization=f"Bearer {s['token']}", Content_Length="0"),
        body=body,
        response_headers=arm_headers(body),
    )
    probe = exchange(
        "GET",
        f"{ARM}/probe?key={quote(s['query_key'], safe='')}&api-version=2026-08-01",
        body="{}",
        response_headers=headers(Content_Type="application/json"),
    )
    return {"interactions": [token_exchange(p), listkeys, probe], "version": 1}


def vcr_json(p: Planted) -> dict[str, Any]:
    """vcrpy JSON: keys JSON-escaped (\\u002B, \\/) inside the body, a key in a custom header."""
    s = p.secrets
    body = keys_body(s["json_primary"], s["json_secondary"])
    escaped = body.replace("+", "\\u002B").replace("/", "\\/")
    listkeys = exchange(
        "POST",
        listkeys_uri(p.subscription),
        request_headers=headers(Authorization="Bearer REDACTED", x_ms_key=s["header_key"]),
        body=escaped,
        response_headers=arm_headers(escaped),
    )
    return {"interactions": [listkeys], "version": 1}


def vcr_gzip(p: Planted) -> dict[str, Any]:
    """vcrpy YAML with a gzip-compressed listKeys body (binary in the file)."""
    s = p.secrets
    packed = gzip.compress(keys_body(s["gzip_primary"], s["gzip_secondary"]).encode(), mtime=0)
    response_headers = arm_headers(packed)
    response_headers["Content-Encoding"] = ["gzip"]
    listkeys = exchange(
        "POST",
        listkeys_uri(placeholders.SUBSCRIPTION_ID),
        body=packed,
        response_headers=response_headers,
    )
    return {"interactions": [listkeys], "version": 1}


def proxy_entry(
    uri: str,
    body: Any,
    *,
    method: str = "POST",
    status: int = 200,
    request_headers: dict[str, str] | None = None,
    request_body: Any = None,
    content_length: int | None = None,
) -> dict[str, Any]:
    """One Azure SDK test-proxy entry (request-id headers dropped, as such recorders do)."""
    response_headers = {"Content-Type": "application/json; charset=utf-8"}
    if content_length is not None:
        response_headers["Content-Length"] = str(content_length)
    return {
        "RequestUri": uri,
        "RequestMethod": method,
        "RequestHeaders": request_headers or {"Authorization": "Sanitized"},
        "RequestBody": request_body,
        "StatusCode": status,
        "ResponseHeaders": response_headers,
        "ResponseBody": body,
    }


def proxy_text(entries: list[dict[str, Any]]) -> str:
    """A test-proxy recording as .NET writes it: '+' escaped as \\u002B."""
    text = json.dumps({"Entries": entries, "Variables": {}}, indent=2)
    return text.replace("+", "\\u002B") + "\n"


def proxy_planted(p: Planted) -> str:
    """Test-proxy JSON: escaped keys, a stale Content-Length, a refresh token, a bearer JWT."""
    s = p.secrets
    body = {
        "accountName": "realacct",
        "primary": s["proxy_primary"],
        "secondary": s["proxy_secondary"],
    }
    listkeys = proxy_entry(
        listkeys_uri(p.subscription),
        body,
        request_headers={"Authorization": f"Bearer {s['proxy_token']}"},
        content_length=231,
    )
    refresh = proxy_entry(
        f"{ARM}/oauth/refresh",
        {"refresh_token": s["refresh_token"]},
        request_body=None,
    )
    return proxy_text([listkeys, refresh])


def proxy_clean() -> str:
    """A foreign but clean test-proxy recording: its own placeholders, dropped headers."""
    body = {
        "accountName": "sampleacct",
        "primary": "fakeBatchAccountKey0==",
        "secondary": "fakeBatchAccountKey1==",
    }
    uri = listkeys_uri(placeholders.SUBSCRIPTION_ID, "rg", "sampleacct")
    return proxy_text([proxy_entry(uri, body, content_length=164)])


def ours_clean() -> dict[str, Any]:
    """A cassette as our recorder writes it: fake keys, placeholders, all headers kept."""
    body = keys_body(
        placeholders.FAKE_PRIMARY_KEY, placeholders.FAKE_SECONDARY_KEY, placeholders.ACCOUNT_NAME
    )
    uri = listkeys_uri(
        placeholders.SUBSCRIPTION_ID, placeholders.RESOURCE_GROUP, placeholders.ACCOUNT_NAME
    )
    listkeys = exchange(
        "POST",
        uri,
        request_headers=headers(Authorization=placeholders.REDACTED_AUTHORIZATION),
        body=body,
        response_headers=arm_headers(body),
    )
    return {"interactions": [listkeys], "version": 1}


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    return path


def build(directory: Path, seed: int = 7) -> Planted:
    """Write every planted recording into `directory` (and a clean/ subdirectory)."""
    p = make_secrets(seed)
    directory.mkdir(parents=True, exist_ok=True)
    p.files["vcr_yaml"] = write_yaml(directory / "vcr_planted.yaml", vcr_yaml(p))
    p.files["vcr_json"] = write_json(directory / "vcr_planted.json", vcr_json(p))
    p.files["vcr_gzip"] = write_yaml(directory / "vcr_gzip.yml", vcr_gzip(p))
    p.files["proxy"] = directory / "proxy_planted.json"
    p.files["proxy"].write_text(proxy_planted(p), encoding="utf-8")
    return p


def build_clean(directory: Path) -> dict[str, Path]:
    """Write recordings that hold only placeholders."""
    directory.mkdir(parents=True, exist_ok=True)
    foreign = directory / "proxy_clean.json"
    foreign.write_text(proxy_clean(), encoding="utf-8")
    ours = write_yaml(directory / "ours_clean.yaml", ours_clean())
    return {"foreign": foreign, "ours": ours}
