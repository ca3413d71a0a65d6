"""The leak guard (every form of every secret, found fast, never printed) and redacted output."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import random
import threading
from urllib.parse import quote, quote_plus

import pytest
import yaml

from pytest_batchkeys.errors import SecretLeakError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.leakguard import REGISTRY, Leak, SecretRegistry, forms, guard_text
from pytest_batchkeys.secrets.redact import (
    RedactingFilter,
    redact_exception,
    redact_repr,
    redact_text,
)

RNG = random.Random(5)


def key() -> str:
    while True:
        value = base64.b64encode(RNG.randbytes(64)).decode()
        if "+" in value and "/" in value:
            return value


SECRETS = [key(), "Q8~cl1ent.s3cret_value-with/slash+plus", "pässwörd with spaces & <tags>"]


def registry(*values: str) -> SecretRegistry:
    reg = SecretRegistry()
    for value in values:
        assert reg.add(value, "client secret")
    return reg


@pytest.mark.parametrize("secret", SECRETS)
def test_every_form_is_found_and_redacted(secret: str) -> None:
    reg = registry(secret)
    for form in forms(secret):
        text = f'{{"field": "x{form}y"}}'
        assert reg.find_leaks(text), form
        assert reg.redact(text) == '{"field": "xREDACTEDy"}', form


def test_forms_cover_the_escapes_other_tools_write() -> None:
    secret = SECRETS[0]
    expected = {
        secret,
        secret.replace("+", "\\u002B"),
        secret.replace("/", "\\/"),
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode().rstrip("="),
    }
    assert expected <= set(forms(secret))


def test_mixed_and_double_escapes_are_found() -> None:
    secret = SECRETS[1]
    reg = registry(secret)
    mixed = secret.replace("+", "%2b").replace("/", "\\u002f")
    double = json.dumps(json.dumps({"s": secret.replace("+", "\\u002B")}))
    assert reg.find_leaks(mixed)
    assert reg.find_leaks(double)


def test_guid_secret_found_in_any_case() -> None:
    guid = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    reg = registry(guid)
    assert reg.find_leaks(guid.upper())


def test_short_values_and_placeholders_are_not_registered() -> None:
    reg = SecretRegistry()
    ignored = ["", "short", placeholders.REDACTED, placeholders.FAKE_PRIMARY_KEY, "Sanitized"]
    ignored += [placeholders.FAKE_SECONDARY_KEY[:20], placeholders.SUBSCRIPTION_ID]
    assert [reg.add(value, "x") for value in ignored] == [False] * len(ignored)
    assert len(reg) == 0
    assert reg.find_leaks(f"{placeholders.FAKE_PRIMARY_KEY} REDACTED") == []


def test_leak_names_kind_form_and_field() -> None:
    reg = SecretRegistry()
    reg.add(SECRETS[0], "primary key")
    text = json.dumps({"primary": SECRETS[0].replace("+", "\\u002B")})
    assert reg.find_leaks(text) == [Leak("primary key", "json-escaped", "primary")]
    query = f"uri: https://x/?k={quote(SECRETS[0], safe='')}"
    assert reg.find_leaks(query) == [Leak("primary key", "url-encoded", "k")]
    b64 = "blob: " + base64.b64encode(SECRETS[0].encode()).decode()
    assert reg.find_leaks(b64) == [Leak("primary key", "base64", "blob")]


def test_longest_secret_wins_where_two_overlap() -> None:
    reg = SecretRegistry()
    reg.add("abcdefgh12", "short")
    reg.add("abcdefgh1234567", "long")
    assert [leak.kind for leak in reg.find_leaks("x abcdefgh1234567 y")] == ["long"]
    assert reg.redact("abcdefgh1234567") == "REDACTED"


def test_guard_message_names_kind_field_cassette_never_the_value() -> None:
    reg = SecretRegistry()
    reg.add(SECRETS[0], "primary key")
    text = yaml.safe_dump({"response": {"body": {"string": json.dumps({"primary": SECRETS[0]})}}})
    with pytest.raises(SecretLeakError) as info:
        guard_text(text, cassette="cassettes/test_keys.yaml", registry=reg)
    message = str(info.value)
    assert message == (
        "Refused to write cassette cassettes/test_keys.yaml: it still holds a secret: "
        "primary key (raw) in field 'primary'. The cassette was not written (the previous one, "
        "if any, is kept). Add a scrub rule for that field (ScrubRules.secrets or a custom "
        "before_record hook) and record again. [see: batchkeys explain secret-leak]"
    )
    assert reg.find_leaks(message) == []


def test_guard_passes_clean_text() -> None:
    reg = registry(SECRETS[0])
    guard_text(f"primary: {placeholders.FAKE_PRIMARY_KEY}", cassette="c.yaml", registry=reg)


def test_guard_sees_through_yaml_line_folding() -> None:
    secret = "a secret with several spaces " * 3
    reg = registry(secret)
    text = yaml.safe_dump({"body": "x" * 60 + secret + "é"}, width=40)
    assert secret not in text  # folded across lines
    with pytest.raises(SecretLeakError, match="in field 'body'"):
        guard_text(text, cassette="c.yaml", registry=reg)


def test_guard_sees_into_compressed_binary_bodies() -> None:
    reg = registry(SECRETS[0])
    packed = gzip.compress(json.dumps({"primary": SECRETS[0]}).encode())
    text = yaml.safe_dump({"response": {"body": {"string": packed}}})
    assert reg.find_leaks(text) == []
    with pytest.raises(SecretLeakError, match=r"response\.body\.string"):
        guard_text(text, cassette="c.yaml", registry=reg)


def test_guard_with_empty_registry_is_a_no_op() -> None:
    guard_text(SECRETS[0], cassette="c.yaml", registry=SecretRegistry())


def test_default_registry_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "default-registry-secret"
    REGISTRY.add(secret, "token")
    try:
        with pytest.raises(SecretLeakError):
            guard_text(f"x {secret}", cassette="c.yaml")
        assert redact_text(f"x {secret}") == "x REDACTED"
    finally:
        REGISTRY.clear()


def test_registry_is_thread_safe() -> None:
    reg = SecretRegistry()
    values = [f"thread-secret-{i:04d}" for i in range(400)]

    def work(chunk: list[str]) -> None:
        for value in chunk:
            reg.add(value, "token")
            reg.find_leaks(value)

    threads = [threading.Thread(target=work, args=(values[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reg) == 400
    assert reg.redact(" ".join(values)) == " ".join(["REDACTED"] * 400)


def test_many_secrets_over_a_big_text_stay_fast() -> None:
    reg = SecretRegistry()
    keys = [key() for _ in range(200)]
    reg.add_all(keys, "key")
    text = ("x" * 79 + "\n") * 25_000 + keys[-1]
    assert reg.find_leaks(text) == [Leak("key", "raw", "?")]


# --- redacted output ---------------------------------------------------------------------------


def test_redact_exception_and_repr() -> None:
    reg = registry(SECRETS[1])
    error = ValueError(f"bad key {SECRETS[1]!r}")
    assert redact_exception(error, reg) == "ValueError: bad key 'REDACTED'"
    assert redact_repr({"secret": SECRETS[1]}, reg) == "{'secret': 'REDACTED'}"


def test_logging_filter_redacts_message_args_and_traceback() -> None:
    reg = registry(SECRETS[1])
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter(reg))
    logger = logging.getLogger("batchkeys.test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s in %r", SECRETS[1], {"k": quote(SECRETS[1], safe="")})
        try:
            raise RuntimeError(SECRETS[1])
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    joined = "\n".join(records)
    assert "REDACTED" in joined
    assert "RuntimeError: REDACTED" in joined
    assert reg.find_leaks(joined) == []


def test_logging_filter_without_secrets_keeps_records() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert RedactingFilter(SecretRegistry()).filter(record)
    assert record.getMessage() == "hello world"
