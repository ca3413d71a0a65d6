"""Contract failure types and their rendering; a value's description never quotes a string."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["CheckReport", "ContractViolation", "ContractViolations", "Problem", "describe_value"]


class ContractViolation(AssertionError):
    """One broken contract rule; str() is title, redacted curl line, expected and actual."""

    def __init__(self, *, check: str, title: str, curl: str, expected: str, actual: str) -> None:
        self.check = check
        self.title = title
        self.curl = curl
        self.expected = expected
        self.actual = actual
        super().__init__(self.render())

    def render(self) -> str:
        """The multi-line message: title [check], Request, Expected, Got."""
        return (
            f"{self.title} [{self.check}]\n"
            f"Request: {self.curl}\n"
            f"Expected: {self.expected}\n"
            f"Got: {self.actual}"
        )

    def __str__(self) -> str:
        return self.render()


class ContractViolations(AssertionError):
    """All violations found in one response, listed in check order in one message."""

    def __init__(self, violations: Iterable[ContractViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__(self.render())

    def render(self) -> str:
        """A count line, then each violation numbered and indented."""
        count = len(self.violations)
        noun = "violation" if count == 1 else "violations"
        items = [
            f"{index}. " + textwrap.indent(str(violation), "   ").lstrip()
            for index, violation in enumerate(self.violations, start=1)
        ]
        return f"{count} contract {noun}:\n" + "\n".join(items)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class CheckReport:
    """Which checks ran on one response and what each one found."""

    ran: tuple[str, ...]
    failures: tuple[ContractViolation, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures


class Problem(NamedTuple):
    """What a check found wrong, before the request's curl line is attached."""

    title: str
    expected: str
    actual: str
    not_json: bool = False


def describe_value(value: Any) -> str:
    """A JSON value in words that never quote a string (it may be a key): numbers as they are."""
    if isinstance(value, str):
        return f"a {len(value)}-character string"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"an object with keys {', '.join(sorted(map(str, value))[:6]) or '(none)'}"
    return json.dumps(value)
