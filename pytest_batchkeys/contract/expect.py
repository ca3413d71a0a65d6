"""The status assertion the shipped suites share: a one-line failure naming what was sent."""

from __future__ import annotations

from typing import Any

import pytest


def expect_status(response: Any, expected: int | range, what: str) -> None:
    """Fail (no traceback) unless the response status is `expected` (a code or a range)."""
    __tracebackhide__ = True
    ok = (
        response.status_code in expected
        if isinstance(expected, range)
        else (response.status_code == expected)
    )
    if not ok:
        wanted = (
            f"{expected.start}-{expected.stop - 1}" if isinstance(expected, range) else expected
        )
        pytest.fail(
            f"{what}: expected HTTP {wanted}, got {response.status_code} "
            f"({response.headers.get('Content-Type', 'no content type')})",
            pytrace=False,
        )
