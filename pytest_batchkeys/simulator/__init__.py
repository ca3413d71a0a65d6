"""Local stand-in for ARM listKeys and the Entra token endpoint (imported only when needed)."""

from __future__ import annotations

from pytest_batchkeys.simulator.app import RequestRecord, SimulatorStats
from pytest_batchkeys.simulator.config import (
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
from pytest_batchkeys.simulator.control import Simulator
from pytest_batchkeys.simulator.faults import Fault
from pytest_batchkeys.simulator.loader import load_config
from pytest_batchkeys.simulator.loopback_discovery import loopback_instance_discovery

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
    "loopback_instance_discovery",
]
