"""Redacted output: every form of every registered secret replaced in text, logs and exceptions."""

from __future__ import annotations

import logging
import traceback

from .leakguard import REGISTRY, SecretRegistry


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
