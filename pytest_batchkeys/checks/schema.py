"""schemathesis's response checks as Problems; schemathesis is imported only when one runs."""

from __future__ import annotations

import json
from typing import Any, Final

import requests

from pytest_batchkeys.checks.violations import Problem, describe_value

__all__ = ["run_schemathesis_check", "schemathesis_response"]


_SCHEMATHESIS_EXPECTED: Final = {
    "not_a_server_error": "a status below 500",
    "status_code_conformance": "a status documented for the operation",
    "content_type_conformance": "a Content-Type documented for the operation",
    "response_headers_conformance": "the response headers documented for this status",
    "response_schema_conformance": "a body matching the documented schema for this status",
}


def schemathesis_response(response: requests.Response) -> Any:
    """The schemathesis Response for a requests.Response (repeated headers kept via .raw)."""
    from schemathesis import Response

    raw_headers = getattr(response.raw, "headers", None)
    if raw_headers is not None and hasattr(raw_headers, "getlist"):
        headers = {name: list(raw_headers.getlist(name)) for name in raw_headers}
    else:
        headers = {name: [str(value)] for name, value in response.headers.items()}
    return Response(
        status_code=int(response.status_code),
        headers=headers,
        content=response.content or b"",
        request=response.request,
        elapsed=response.elapsed.total_seconds(),
        verify=True,
        message=response.reason or "",
        encoding=response.encoding,
    )


def _first_line(text: str) -> str:
    """The first non-blank line of a text ('' if none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _line_after(text: str, label: str) -> str | None:
    """The value of a 'Label: value' line in a schemathesis message, if present."""
    for line in text.splitlines():
        if line.startswith(f"{label}:"):
            return line.split(":", 1)[1].strip()
    return None


def _schema_error_text(failure: Any) -> str:
    """A JSON-schema failure as 'VALUE at /PATH breaks "keyword": RULE', quoting no string value."""
    path = "/" + "/".join(str(part) for part in failure.instance_path)
    keyword = str(failure.schema_path[-1]) if failure.schema_path else "schema"
    rule = failure.schema.get(keyword) if isinstance(failure.schema, dict) else None
    rule_text = json.dumps(rule)[:80] if rule is not None else "?"
    return f"{describe_value(failure.instance)} at {path} breaks {json.dumps(keyword)}: {rule_text}"


def _problem_from_failure(name: str, failure: Any, response: requests.Response) -> Problem:
    """A schemathesis Failure as a Problem: its first message line, or a quote-free schema error."""
    message = str(getattr(failure, "message", "") or "")
    expected = _line_after(message, "Documented") or _SCHEMATHESIS_EXPECTED[name]
    actual = _line_after(message, "Received") or _first_line(message)
    if name == "not_a_server_error":
        actual = f"{response.status_code} {response.reason or ''}".strip()
    if hasattr(failure, "instance_path") and hasattr(failure, "schema_path"):
        actual = _schema_error_text(failure)
    not_json = type(failure).__name__ == "MalformedJson"
    return Problem(str(failure.title), expected, actual or str(failure.title), not_json=not_json)


def run_schemathesis_check(
    name: str, case: Any, st_response: Any, response: requests.Response
) -> list[Problem]:
    """Run one built-in schemathesis check via Case.validate_response; one Problem per failure."""
    from schemathesis import checks as st_checks
    from schemathesis.core.failures import FailureGroup

    st_checks.load_all_checks()
    function = st_checks.CHECKS.get_one(name)
    try:
        case.validate_response(st_response, checks=[function])
    except FailureGroup as group:
        return [_problem_from_failure(name, failure, response) for failure in group.exceptions]
    return []
