"""Error types whose messages are part of the interface: what happened, expected, what to do."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

#: The page every anchor is a section of (docs/troubleshooting.md in the repository and the
#: docs site); host projects read a section with EXPLAIN, from the copy shipped in the wheel.
TROUBLESHOOTING = "docs/troubleshooting.md"
EXPLAIN = "batchkeys explain"


class BatchKeysError(Exception):
    """A problem the user can fix; str() ends with `[see: batchkeys explain ANCHOR]`."""

    anchor = "errors"

    def __init__(self, message: str, *, anchor: str | None = None) -> None:
        if anchor is not None:
            self.anchor = anchor
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        # A message ending in an indented command keeps that line pasteable.
        last_line = self.message.rsplit("\n", 1)[-1]
        gap = "\n" if last_line.startswith("    pytest ") else " "
        return f"{self.message}{gap}{pointer(self.anchor)}"


def pointer(anchor: str) -> str:
    """Where a message sends the reader: a command that works in any project with the kit."""
    return f"[see: {EXPLAIN} {anchor}]"


class UsageProblem(BatchKeysError):
    """A setup or configuration mistake; the plugin reports it as pytest.UsageError (exit 4)."""

    anchor = "usage-errors"


class ConfigError(UsageProblem):
    """An option, ini key or environment variable has a value that cannot work."""

    anchor = "configuration-errors"


class SpecError(UsageProblem):
    """The spec file cannot be read, or holds no usable BatchAccount_GetKeys operation."""

    anchor = "spec-errors"


class CredentialError(UsageProblem):
    """Live mode lacks credentials or target, or a token could not be acquired."""

    anchor = "credential-errors"


class CassetteError(BatchKeysError):
    """A cassette is missing, unreadable, unsupported or does not hold a request."""

    anchor = "cassette-errors"


class SecretLeakError(BatchKeysError):
    """A cassette about to be written still holds a secret; the write was refused."""

    anchor = "secret-leak"


def record_command(
    nodeid: str,
    *,
    rerecord: bool,
    contract: bool = False,
    rootdir: Path | None = None,
    cwd: Path | None = None,
) -> str:
    """The shell command that records (or re-records) one test, ready to paste from `cwd`.

    Node ids are relative to the rootdir, so the test path is rewritten relative to the
    directory pytest was started in; tests of the shipped contract suite are selected by name.
    """
    flag = "--batch-record-all" if rerecord else "--batch-record"
    file_part, sep, rest = nodeid.partition("::")
    if contract:
        return f"pytest --batch-contract {flag} -k {shlex.quote(rest or file_part)}"
    if rootdir is not None and cwd is not None and file_part:
        file_part = os.path.relpath(rootdir / file_part, cwd)
    return f"pytest {flag} {shlex.quote(file_part + sep + rest)}"
