"""Mutation test: break the bundled cassettes in 25 ways; the contract suite must notice.

This is how we prove the checks can fail: each mutation is a realistic way a service (or a
careless hand edit) could break the contract, applied to a copy of `cassettes/`.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "cassettes"
KEYS = "contract/test_keys_are_returned_and_well_formed.yaml"
UNKNOWN_ACCOUNT = "contract/test_unknown_account_is_404.yaml"
NO_TOKEN = "contract/test_no_token_is_401.yaml"
MISSING_VERSION = "contract/test_missing_api_version_is_400.yaml"
BAD_VERSION = "contract/test_unsupported_api_version_is_400.yaml"
TOO_LONG = "contract/test_invalid_account_name_is_4xx_never_5xx[too-long].yaml"
GENERATED = "contract/test_generated_cases.yaml"
MIN_KILL_RATE = 0.95

Mutation = Callable[[Path], None]


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def _save(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=True))


def _edit_response(name: str, edit: Callable[[dict[str, Any]], None], index: int = 0) -> Mutation:
    """A mutation applying `edit` to the response of interaction `index` of cassette `name`."""

    def mutate(root: Path) -> None:
        path = root / name
        data = _load(path)
        edit(data["interactions"][index]["response"])
        _save(path, data)

    return mutate


def _edit_body(name: str, edit: Callable[[Any], Any], index: int = 0) -> Mutation:
    """A mutation rewriting the JSON body of a response (edit returns the new body)."""

    def change(response: dict[str, Any]) -> None:
        body = json.loads(response["body"]["string"])
        response["body"]["string"] = json.dumps(edit(body))

    return _edit_response(name, change, index)


def _set(key: str, value: Any) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        body[key] = value
        return body

    return edit


def _drop(key: str) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        body.pop(key)
        return body

    return edit


def _error(**fields: Any) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        body["error"].update(fields)
        return {"error": {k: v for k, v in body["error"].items() if v is not None}}

    return edit


def _status(name: str, code: int, index: int = 0) -> Mutation:
    def change(response: dict[str, Any]) -> None:
        response["status"] = {"code": code, "message": "Mutated"}

    return _edit_response(name, change, index)


def _header(name: str, header: str, value: str | None, index: int = 0) -> Mutation:
    def change(response: dict[str, Any]) -> None:
        headers = {k: v for k, v in response["headers"].items() if k.lower() != header.lower()}
        if value is not None:
            headers[header] = [value]
        response["headers"] = headers

    return _edit_response(name, change, index)


def _raw_body(name: str, text: str, content_type: str | None = None) -> Mutation:
    def change(response: dict[str, Any]) -> None:
        response["body"]["string"] = text
        if content_type:
            response["headers"]["Content-Type"] = [content_type]

    return _edit_response(name, change)


def _generated(edit: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / GENERATED
        data = _load(path)
        edit(data)
        _save(path, data)

    return mutate


def _first_negative_accepts(data: dict[str, Any]) -> None:
    """A generated negative (invalid) case is answered 200 with keys: input not rejected."""
    index = data["batchkeys"]["generated_kinds"].index("negative")
    response = data["interactions"][index]["response"]
    response["status"] = {"code": 200, "message": "OK"}
    response["body"]["string"] = _load(BUNDLED / KEYS)["interactions"][0]["response"]["body"][
        "string"
    ]


def _first_case_throttled_without_retry_after(data: dict[str, Any]) -> None:
    response = data["interactions"][0]["response"]
    response["status"] = {"code": 429, "message": "Too Many Requests"}
    response["body"]["string"] = json.dumps({"error": {"code": "TooManyRequests", "message": "x"}})
    response["headers"] = {k: v for k, v in response["headers"].items() if k != "Retry-After"}


def _first_case_500(data: dict[str, Any]) -> None:
    response = data["interactions"][0]["response"]
    response["status"] = {"code": 500, "message": "Internal Server Error"}
    response["body"]["string"] = json.dumps({"error": {"code": "InternalError", "message": "x"}})


def _stale_api_version(data: dict[str, Any]) -> None:
    data["batchkeys"]["api_version"] = "2024-07-01"


def _stale_spec(data: dict[str, Any]) -> None:
    data["batchkeys"]["spec_fingerprint"] = "0" * 64


def _no_cases(data: dict[str, Any]) -> None:
    data["interactions"] = []
    data["batchkeys"]["generated_kinds"] = []


def _delete(name: str) -> Mutation:
    def mutate(root: Path) -> None:
        (root / name).unlink()

    return mutate


SHORT_KEY = base64.b64encode(b"k" * 32).decode()

MUTATIONS: dict[str, Mutation] = {
    "key-too-short": _edit_body(KEYS, _set("primary", SHORT_KEY)),
    "key-not-base64": _edit_body(KEYS, _set("secondary", "not base64 at all!")),
    "keys-equal": _edit_body(KEYS, lambda b: {**b, "secondary": b["primary"]}),
    "missing-primary": _edit_body(KEYS, _drop("primary")),
    "missing-accountName": _edit_body(KEYS, _drop("accountName")),
    "wrong-accountName": _edit_body(KEYS, _set("accountName", "someoneelse")),
    "primary-is-a-number": _edit_body(KEYS, _set("primary", 12345)),
    "keys-status-500": _status(KEYS, 500),
    "keys-html-body": _raw_body(KEYS, "<html><body>Service Unavailable</body></html>", "text/html"),
    "keys-wrong-content-type": _header(KEYS, "Content-Type", "text/plain"),
    "keys-truncated-json": _raw_body(KEYS, '{"accountName":"batchkeysacct","prim'),
    "missing-request-id": _header(KEYS, "x-ms-request-id", None),
    "missing-correlation-id": _header(KEYS, "x-ms-correlation-request-id", None),
    "cloud-error-without-code": _edit_body(UNKNOWN_ACCOUNT, _error(code=None)),
    "cloud-error-empty-message": _edit_body(UNKNOWN_ACCOUNT, _error(message="")),
    "cloud-error-flat-shape": _edit_body(UNKNOWN_ACCOUNT, lambda b: b["error"]),
    "unknown-account-answers-200": _status(UNKNOWN_ACCOUNT, 200),
    "401-without-www-authenticate": _header(NO_TOKEN, "WWW-Authenticate", None),
    "missing-api-version-accepted": _status(MISSING_VERSION, 404),
    "bad-api-version-accepted": _status(BAD_VERSION, 200),
    "invalid-name-500": _status(TOO_LONG, 500),
    "generated-429-without-retry-after": _generated(_first_case_throttled_without_retry_after),
    "generated-negative-accepted": _generated(_first_negative_accepts),
    "generated-500": _generated(_first_case_500),
    "generated-stale-api-version": _generated(_stale_api_version),
    "generated-stale-spec": _generated(_stale_spec),
    "generated-no-cases": _generated(_no_cases),
    "cassette-deleted": _delete(KEYS),
}


def _run(pytester: pytest.Pytester, root: Path, *select: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--batch-contract", f"--batch-cassette-dir={root}", "-p", "no:cacheprovider", "-q", *select
    )


def _owner(name: str) -> str:
    """The -k expression selecting the contract test that replays the mutated cassette."""
    cassette = {
        **dict.fromkeys(MUTATIONS, KEYS),
        **{n: GENERATED for n in MUTATIONS if n.startswith("generated-")},
        **{n: UNKNOWN_ACCOUNT for n in MUTATIONS if "cloud-error" in n or "unknown-account" in n},
        "401-without-www-authenticate": NO_TOKEN,
        "missing-api-version-accepted": MISSING_VERSION,
        "bad-api-version-accepted": BAD_VERSION,
        "invalid-name-500": TOO_LONG,
    }[name]
    test = Path(cassette).stem.split("[")[0]
    return f"{test} and {Path(cassette).stem.split('[')[1][:-1]}" if "[" in cassette else test


def test_bundled_cassettes_pass_unmutated(pytester: pytest.Pytester, tmp_path: Path):
    root = tmp_path / "cassettes"
    shutil.copytree(BUNDLED, root)
    _run(pytester, root).assert_outcomes(passed=14)


def test_at_least_20_mutations_and_95_percent_are_killed(pytester: pytest.Pytester, tmp_path: Path):
    assert len(MUTATIONS) >= 20
    survivors = []
    for name, mutate in MUTATIONS.items():
        root = tmp_path / name / "cassettes"
        shutil.copytree(BUNDLED, root)
        mutate(root)
        # only the test replaying the mutated cassette: the others replay untouched files
        result = _run(pytester, root, "-k", _owner(name))
        outcomes = result.parseoutcomes()
        if result.ret == 0 or not (outcomes.get("failed", 0) or outcomes.get("errors", 0)):
            survivors.append(name)
    killed = len(MUTATIONS) - len(survivors)
    rate = killed / len(MUTATIONS)
    print(f"mutations killed: {killed}/{len(MUTATIONS)} ({rate:.0%}); survivors: {survivors}")
    assert rate >= MIN_KILL_RATE, f"surviving mutations: {survivors}"
