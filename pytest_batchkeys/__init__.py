"""pytest-batchkeys: test code that reads Azure Batch account keys, offline or live.

Types for annotating the fixtures are importable from here (loaded lazily, so importing the
package stays cheap): `BatchKeysClient`, `Target`, `Settings`, `CheckReport`, `OMIT`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "BatchKeysClient": "live.client",
    "Target": "live.client",
    "OMIT": "live.client",
    "Settings": "settings",
    "CheckReport": "checks.violations",
    "ContractViolations": "checks.violations",
}

if TYPE_CHECKING:
    from pytest_batchkeys.checks.violations import CheckReport, ContractViolations
    from pytest_batchkeys.live.client import OMIT, BatchKeysClient, Target
    from pytest_batchkeys.settings import Settings

__all__ = ["OMIT", "BatchKeysClient", "CheckReport", "ContractViolations", "Settings", "Target"]


def __getattr__(name: str) -> Any:
    """The public types, imported on first use."""
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
