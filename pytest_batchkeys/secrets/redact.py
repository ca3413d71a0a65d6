"""Redacted output: every form of every registered secret replaced in text, logs and exceptions."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from pytest_batchkeys.safeload import json_load
from pytest_batchkeys.secrets.leakguard import REGISTRY, SecretRegistry


def redact_text(text: str, registry: SecretRegistry = REGISTRY) -> str:
    """`text` with every form (raw, escaped, encoded, base64) of every secret replaced."""
    return registry.redact(text)


def redact_exception(exc: BaseException, registry: SecretRegistry = REGISTRY) -> str:
    """`Type: message` of an exception, redacted."""
    return redact_text("".join(traceback.format_exception_only(exc)).rstrip("\n"), registry)


def redact_repr(value: object, registry: SecretRegistry = REGISTRY) -> str:
    """repr() of any object, redacted."""
    return redact_text(repr(value), registry)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record with secrets redacted; it never drops a record.

    Install it on handlers (a filter on a logger does not see records propagated from its
    children). The message is formatted once with its args, then redacted; a traceback is
    formatted and redacted into exc_text.
    """

    def __init__(self, registry: SecretRegistry = REGISTRY, name: str = "") -> None:
        super().__init__(name)
        self.registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact msg, args, traceback and stack of the record in place; always keep it."""
        if not len(self.registry):
            return True
        record.msg = redact_text(record.getMessage(), self.registry)
        record.args = None
        if record.exc_info:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact_text(text, self.registry)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.registry)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, self.registry)
        return True


def remember_keys(text: str | bytes | None, registry: SecretRegistry = REGISTRY) -> None:
    """Register the `primary`/`secondary` values of a listKeys-shaped JSON body as secrets."""

    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not text or ('"primary"' not in text and '"secondary"' not in text):
        return
    try:
        payload = json_load(text)
    except ValueError:
        return
    if isinstance(payload, dict):
        for name in ("primary", "secondary"):
            value = payload.get(name)
            if isinstance(value, str):
                registry.add(value, f"{name} key")


_original_factory: list[Callable[..., logging.LogRecord]] = []


def install_log_redaction(registry: SecretRegistry = REGISTRY) -> None:
    """Redact every log record as it is created (all handlers, pytest's own included)."""
    if _original_factory:
        return
    original = logging.getLogRecordFactory()
    _original_factory.append(original)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(*args, **kwargs)
        if len(registry):
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: keep the record as it is
                return record
            record.msg, record.args = registry.redact(message), None
        return record

    logging.setLogRecordFactory(factory)


def uninstall_log_redaction() -> None:
    """Restore the log record factory that install_log_redaction replaced."""
    if _original_factory:
        logging.setLogRecordFactory(_original_factory.pop())


def redact_report(report: Any, registry: SecretRegistry = REGISTRY) -> None:
    """Replace a pytest report's failure text and captured sections by redacted copies."""
    if not len(registry):
        return
    if report.longrepr is not None:
        text = str(report.longrepr)
        redacted = registry.redact(text)
        if redacted != text:
            report.longrepr = redacted
    report.sections = [(title, registry.redact(body)) for title, body in report.sections]
