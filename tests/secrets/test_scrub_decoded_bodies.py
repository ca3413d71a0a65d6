"""vcrpy with urllib3 2 stores a gzip answer's body decoded but keeps Content-Encoding: gzip."""

from __future__ import annotations

import gzip
from typing import Any

from pytest_batchkeys.secrets.scrub import ScrubRules, scrub_interactions

BODY = '{"error":{"code":"AccountNotFound","message":"The specified account does not exist."}}'


def stored(body: Any, length: int) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": "http://127.0.0.1/x", "body": None, "headers": {}},
        "response": {
            "status": {"code": 404, "message": "Not Found"},
            "headers": {"Content-Encoding": ["gzip"], "Content-Length": [str(length)]},
            "body": {"string": body},
        },
    }


def test_a_decoded_body_loses_its_content_encoding_and_gets_its_length() -> None:
    (scrubbed,) = scrub_interactions([stored(BODY, 71)], ScrubRules())
    assert scrubbed["response"]["headers"] == {"Content-Length": [str(len(BODY))]}
    assert scrubbed["response"]["body"]["string"] == BODY


def test_a_compressed_body_is_stored_decoded_without_content_encoding() -> None:
    packed = gzip.compress(BODY.encode())
    (scrubbed,) = scrub_interactions([stored(packed, len(packed))], ScrubRules())
    assert scrubbed["response"]["headers"] == {"Content-Length": [str(len(BODY))]}
    assert scrubbed["response"]["body"]["string"] == BODY
