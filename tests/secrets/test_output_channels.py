"""Output redaction per channel: report parts, log records with tracebacks, warnings, XML files."""

from __future__ import annotations

import base64
import logging
import os
import warnings
from pathlib import Path
from types import SimpleNamespace

from pytest_batchkeys.secrets.leakguard import SecretRegistry
from pytest_batchkeys.secrets.redact import (
    redact_longrepr,
    redact_record,
    redact_report,
    redact_warning,
    redact_xml_file,
)

KEY = base64.b64encode(os.urandom(64)).decode()


def _registry() -> SecretRegistry:
    registry = SecretRegistry()
    registry.add(KEY, "primary key")
    return registry


def test_report_parts_are_redacted() -> None:
    report = SimpleNamespace(
        longrepr=("test_x.py", 3, f"Skipped: {KEY}"),
        sections=[("Captured stdout call", f"key={KEY}\n")],
        user_properties=[("leak", KEY), ("count", 3)],
        wasxfail=f"known: {KEY.rstrip('=')}",
    )
    redact_report(report, _registry())
    assert report.longrepr == ("test_x.py", 3, "Skipped: REDACTED")
    assert report.sections == [("Captured stdout call", "key=REDACTED\n")]
    assert report.user_properties == [("leak", "REDACTED"), ("count", 3)]
    assert report.wasxfail == "known: REDACTED"


def test_a_structured_longrepr_keeps_its_type() -> None:
    import pytest

    try:
        raise AssertionError(f"bad {base64.b64decode(KEY)!r}")
    except AssertionError:
        info = pytest.ExceptionInfo.from_current()
    longrepr = info.getrepr(style="long", showlocals=True)
    redacted = redact_longrepr(longrepr, _registry())
    assert type(redacted) is type(longrepr)
    text = str(redacted)
    assert "REDACTED" in text
    assert KEY[10:26] not in text
    assert base64.b64decode(KEY).hex()[:16] not in text


def test_log_records_keep_exc_info_and_print_a_redacted_traceback() -> None:
    registry = _registry()
    try:
        raise ValueError(KEY)
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", (KEY,), None)
        record.exc_info = __import__("sys").exc_info()
    redact_record(record, registry)
    shown = logging.Formatter().format(record)
    assert KEY not in shown
    assert shown.count("REDACTED") == 2
    assert record.exc_info is not None  # caplog users still get the exception


def test_warnings_are_redacted() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(f"leak {KEY}", UserWarning, stacklevel=1)
    [message] = caught
    redact_warning(message, _registry())
    assert str(message.message) == "leak REDACTED"
    assert isinstance(message.message, UserWarning)


def test_xml_files_are_redacted_in_text_and_attributes(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><testsuites><testcase name="t">'
        f'<property name="p" value="{KEY}"/><failure message="{KEY}">x {KEY}</failure>'
        f"</testcase></testsuites>"
    )
    assert redact_xml_file(path, _registry())
    text = path.read_text()
    assert KEY not in text
    assert text.count("REDACTED") == 3
    assert not redact_xml_file(path, _registry())  # nothing left to change
