"""The shortcuts `batchkeys verify` takes for speed skip only work that could not find anything."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_batchkeys.cli import verify
from pytest_batchkeys.cli.verify import SHORTEST_KEY_FORM, run_verify
from pytest_batchkeys.secrets.encodings import ENCODINGS, GLUED_KEY
from pytest_batchkeys.secrets.scrub import JWT_SHAPE, KEY_SHAPE, SECRET_PARAM


def shortest_match(pattern: re.Pattern[str]) -> int:
    """The fewest characters a pattern can match (from the regex parser's width)."""
    parser: Any = re._parser  # type: ignore[attr-defined]
    return int(parser.parse(pattern.pattern, pattern.flags).getwidth()[0])


KEY_PATTERNS = [KEY_SHAPE, GLUED_KEY, *(e.find for e in ENCODINGS if e.find is not None)]


def test_no_key_pattern_matches_a_text_shorter_than_the_gate() -> None:
    widths = [shortest_match(pattern) for pattern in KEY_PATTERNS]
    assert len(widths) >= 5
    assert min(widths) >= SHORTEST_KEY_FORM


def test_jwt_and_form_secret_patterns_need_the_literals_the_gates_look_for() -> None:
    assert JWT_SHAPE.pattern.startswith("eyJ")
    assert ")=(" in SECRET_PARAM.pattern  # every match holds a '='
    assert SECRET_PARAM.search("a=1&client_secret=x")
    assert not SECRET_PARAM.search("client_secret x")


def cassette(tmp_path: Path, body: str) -> Path:
    uri = (
        "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/"
        "resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct/listKeys"
        "?api-version=2024-07-01"
    )
    data = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": uri, "body": None, "headers": {}},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"x-ms-request-id": ["1"], "x-ms-correlation-request-id": ["1"]},
                    "body": {"string": body},
                },
            }
        ],
        "version": 1,
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("key", ["fakeKey", "Sanitized"])
def test_placeholder_written_with_json_escapes_reads_like_the_plain_one(
    tmp_path: Path, key: str
) -> None:
    plain = {"accountName": "acct", "primary": key, "secondary": key}
    escaped = json.dumps(plain).replace(key[0], f"\\u{ord(key[0]):04x}")
    assert key not in escaped
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = run_verify([str(cassette(tmp_path / "a", json.dumps(plain)))])
    two = run_verify([str(cassette(tmp_path / "b", escaped))])
    assert [(i.kind, i.message) for i in one.issues] == [(i.kind, i.message) for i in two.issues]
    # the placeholders were read as fakes: no key-shape or differing-keys finding for either
    assert one.exit_code() == two.exit_code() == 0


def test_short_header_values_are_still_scanned_for_form_secrets() -> None:
    found = list(verify._shape_secrets("sig=abc"))
    assert [kind for kind, _, _ in found] == ["client-secret"]
    assert list(verify._shape_secrets("text/plain")) == []
