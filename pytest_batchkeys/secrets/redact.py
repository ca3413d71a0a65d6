"""Redacted output: every form of every registered secret replaced in text, logs and exceptions."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_batchkeys.safeload import json_load
from pytest_batchkeys.secrets.identifiers import userinfo_secrets, without_userinfo
from pytest_batchkeys.secrets.leakguard import REGISTRY, SecretRegistry
from pytest_batchkeys.secrets.placeholders import REDACTED


def redact_text(text: str, registry: SecretRegistry = REGISTRY) -> str:
    """`text` with every form (raw, escaped, encoded, base64) of every secret replaced."""
    return registry.redact(text)


def redact_output(text: str, registry: SecretRegistry = REGISTRY) -> str:
    """Text about to be shown or written: registered secrets in every form, then any JWT and
    any account-key-shaped value that is not a placeholder, whether or not it was seen."""
    from pytest_batchkeys.secrets.scrub import JWT_SHAPE, KEY_SHAPE, is_placeholder_key

    if not text:
        return text
    text = registry.redact(text) if len(registry) else text
    text = without_userinfo(text)
    if "eyJ" in text:
        text = JWT_SHAPE.sub(REDACTED, text)
    return KEY_SHAPE.sub(lambda m: m[0] if is_placeholder_key(m[0]) else REDACTED, text)


def redact_exception(exc: BaseException, registry: SecretRegistry = REGISTRY) -> str:
    """`Type: message` of an exception, redacted."""
    return redact_text("".join(traceback.format_exception_only(exc)).rstrip("\n"), registry)


def redact_repr(value: object, registry: SecretRegistry = REGISTRY) -> str:
    """repr() of any object, redacted."""
    return redact_text(repr(value), registry)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record with secrets redacted; it never drops a record.

    Install it on handlers (a filter on a logger does not see records propagated from its
    children). It does what the plugin's record factory does in live runs (`redact_record`).
    """

    def __init__(self, registry: SecretRegistry = REGISTRY, name: str = "") -> None:
        super().__init__(name)
        self.registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact msg, args, traceback and stack of the record in place; always keep it."""
        redact_record(record, self.registry)
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


def redact_record(record: logging.LogRecord, registry: SecretRegistry = REGISTRY) -> None:
    """Redact a record's message, traceback and stack in place.

    The traceback is formatted now, redacted, and kept in `exc_text`, which every formatter
    prints instead of formatting `exc_info` again; `exc_info` stays for caplog users.
    """
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it; show it redacted
        message = f"{record.msg!r} % {record.args!r}"
    record.msg, record.args = redact_output(message, registry), None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact_output(text, registry)
    elif record.exc_text:
        record.exc_text = redact_output(record.exc_text, registry)
    if record.stack_info:
        record.stack_info = redact_output(record.stack_info, registry)


def install_log_redaction(registry: SecretRegistry = REGISTRY) -> None:
    """Redact every log record as it is created (all handlers, pytest's own included)."""
    if _original_factory:
        return
    original = logging.getLogRecordFactory()
    _original_factory.append(original)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(*args, **kwargs)
        redact_record(record, registry)
        return record

    logging.setLogRecordFactory(factory)


def uninstall_log_redaction() -> None:
    """Restore the log record factory that install_log_redaction replaced."""
    if _original_factory:
        logging.setLogRecordFactory(_original_factory.pop())


_MAX_DEPTH = 12


def _redact_value(value: Any, registry: SecretRegistry, depth: int) -> Any:
    """A str, list, tuple or pytest repr object with every text in it redacted."""
    if isinstance(value, str):
        return redact_output(value, registry)
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, list):
        return [_redact_value(item, registry, depth + 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_redact_value(item, registry, depth + 1) for item in value)
    if type(value).__module__.startswith("_pytest") and hasattr(value, "__dict__"):
        for name, item in vars(value).items():
            new = _redact_value(item, registry, depth + 1)
            if new is not item:
                object.__setattr__(value, name, new)
    return value


def redact_longrepr(longrepr: Any, registry: SecretRegistry = REGISTRY) -> Any:
    """A report's longrepr with every line redacted, its structure (and colours) kept.

    If any text still changes under redaction after the structured pass (a repr type this does
    not know), the whole longrepr becomes its redacted text.
    """
    if longrepr is None:
        return None
    longrepr = _redact_value(longrepr, registry, 0)
    if isinstance(longrepr, str | tuple):
        return longrepr
    text = str(longrepr)
    redacted = redact_output(text, registry)
    return longrepr if redacted == text else redacted


def redact_report(report: Any, registry: SecretRegistry = REGISTRY) -> None:
    """Replace a pytest report's failure text, captured sections and properties by redacted
    copies (what the terminal, -rA, the junit XML and xdist's controller all read)."""
    report.longrepr = redact_longrepr(report.longrepr, registry)
    report.sections = [(title, redact_output(body, registry)) for title, body in report.sections]
    if isinstance(getattr(report, "wasxfail", None), str):
        report.wasxfail = redact_output(report.wasxfail, registry)
    properties = getattr(report, "user_properties", None)
    if properties:
        report.user_properties = [
            (redact_output(str(name), registry), _redact_property(value, registry))
            for name, value in properties
        ]


def _redact_property(value: Any, registry: SecretRegistry) -> Any:
    """A user property value redacted (non-text values through their str())."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    redacted = redact_output(text, registry)
    return value if redacted == text and not isinstance(value, bytes) else redacted


def redact_warning(warning_message: Any, registry: SecretRegistry = REGISTRY) -> None:
    """A recorded warning (warnings.WarningMessage) with its text redacted in place."""
    message = warning_message.message
    text = str(message)
    redacted = redact_output(text, registry)
    if redacted != text:
        category = type(message) if isinstance(message, Warning) else UserWarning
        try:
            warning_message.message = category(redacted)
        except Exception:  # a warning class with another signature
            warning_message.message = UserWarning(redacted)
    source = getattr(warning_message, "line", None)
    if isinstance(source, str):
        warning_message.line = redact_output(source, registry)


def redact_xml_file(path: str | os.PathLike[str], registry: SecretRegistry = REGISTRY) -> bool:
    """Rewrite an XML file the run wrote (the junit report) with every text and attribute value
    redacted; True if it changed. A file that does not parse is redacted as plain text."""
    from xml.etree import ElementTree

    target = Path(path)
    try:
        original = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        root = ElementTree.fromstring(original)
    except ElementTree.ParseError:
        redacted = redact_output(original, registry)
    else:
        for element in root.iter():
            element.text = redact_output(element.text, registry) if element.text else element.text
            element.tail = redact_output(element.tail, registry) if element.tail else element.tail
            for name, value in element.attrib.items():
                element.attrib[name] = redact_output(value, registry)
        redacted = ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
        if redacted.replace("'", '"') == original.replace("'", '"'):
            return False
    if redacted == original:
        return False
    _replace_file(target, redacted)
    return True


def redact_text_file(path: str | os.PathLike[str], registry: SecretRegistry = REGISTRY) -> bool:
    """Rewrite a text file the run wrote (a log file) redacted; True if it changed."""
    target = Path(path)
    try:
        original = target.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return False
    redacted = redact_output(original, registry)
    if redacted == original:
        return False
    _replace_file(target, redacted)
    return True


def _replace_file(target: Path, text: str) -> None:
    """Replace a file's content through a temporary file beside it."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.redact.tmp")
    tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    os.replace(tmp, target)


def protect_run(endpoint: str | None, registry: SecretRegistry = REGISTRY) -> None:
    """Live and record runs: capture secrets at the transport, redact log records as they are
    made, and treat the endpoint's userinfo as a secret."""
    from pytest_batchkeys.secrets.capture import install_capture

    registry.add_all(userinfo_secrets(endpoint or ""), "endpoint userinfo")
    install_capture(registry)
    install_log_redaction(registry)


def unprotect_run() -> None:
    """Undo protect_run (at the end of the pytest session)."""
    from pytest_batchkeys.secrets.capture import uninstall_capture

    uninstall_capture()
    uninstall_log_redaction()
