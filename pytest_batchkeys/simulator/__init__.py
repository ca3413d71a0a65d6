"""Local stand-in for ARM listKeys and the Entra token endpoint (imported only when needed)."""

from __future__ import annotations

from .app import RequestRecord, SimulatorStats
from .config import (
    DEFAULT_ERRORS,
    SUPPORTED_API_VERSIONS,
    Account,
    Client,
    ErrorChoice,
    Principal,
    ResourceGroup,
    SimulatorConfig,
    StaticToken,
    Subscription,
    Throttle,
)
from .control import Simulator
from .faults import Fault
from .loader import load_config

__all__ = [
    "DEFAULT_ERRORS",
    "SUPPORTED_API_VERSIONS",
    "Account",
    "Client",
    "ErrorChoice",
    "Fault",
    "Principal",
    "RequestRecord",
    "ResourceGroup",
    "Simulator",
    "SimulatorConfig",
    "SimulatorStats",
    "StaticToken",
    "Subscription",
    "Throttle",
    "load_config",
]
