"""The Azure clouds the kit knows: ARM endpoint, login host and token scope of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, kw_only=True)
class Cloud:
    """Endpoints of one Azure cloud (public facts, see docs/configuration.md)."""

    name: str
    arm: str
    authority: str

    @property
    def scope(self) -> str:
        """The client-credentials scope for ARM in this cloud."""
        return scope_for(self.arm)


def scope_for(arm: str) -> str:
    """`{arm}/.default`, the scope that asks for a token for the ARM endpoint `arm`."""
    return arm.rstrip("/") + "/.default"


CLOUDS: Final[dict[str, Cloud]] = {
    "AzureCloud": Cloud(
        name="AzureCloud",
        arm="https://management.azure.com",
        authority="https://login.microsoftonline.com",
    ),
    "AzureChinaCloud": Cloud(
        name="AzureChinaCloud",
        arm="https://management.chinacloudapi.cn",
        authority="https://login.chinacloudapi.cn",
    ),
    "AzureUSGovernment": Cloud(
        name="AzureUSGovernment",
        arm="https://management.usgovcloudapi.net",
        authority="https://login.microsoftonline.us",
    ),
}
DEFAULT_CLOUD: Final = "AzureCloud"
