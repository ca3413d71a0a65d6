"""Error types whose messages are part of the interface: what happened, expected, what to do."""

from __future__ import annotations

TROUBLESHOOTING = "docs/troubleshooting.md"


class BatchKeysError(Exception):
    """A problem the user can fix; str() ends with a pointer to its troubleshooting anchor."""

    anchor = "errors"

    def __init__(self, message: str, *, anchor: str | None = None) -> None:
        if anchor is not None:
            self.anchor = anchor
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} [see {TROUBLESHOOTING}#{self.anchor}]"


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
