"""A simulator world with real-looking identifiers (not the placeholders), and the environment
that points the plugin at it: what recording against a real account looks like."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_batchkeys.simulator import (
    Account,
    Client,
    ResourceGroup,
    Simulator,
    SimulatorConfig,
    Subscription,
)

#: The variables that point a run at a target; tests clear them for a clean host environment.
TARGET_VARS = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "BATCHKEYS_RESOURCE_GROUP",
    "BATCHKEYS_ACCOUNT_NAME",
    "BATCHKEYS_ENDPOINT",
    "BATCHKEYS_ACCESS_TOKEN",
    "BATCHKEYS_MODE",
)


@dataclass(frozen=True)
class RealTarget:
    """Subscription, tenant, service principal, resource group and account of one test world."""

    subscription: str
    tenant: str
    client_id: str
    client_secret: str
    group: str
    account: str

    def simulator(self, *, tls: bool = False) -> Simulator:
        """A (not yet started) simulator serving only this world (over HTTPS with tls=True)."""
        group = ResourceGroup(self.group, accounts=[Account(self.account)])
        subscription = Subscription(self.subscription, tenant=self.tenant, resource_groups=[group])
        clients = [Client(self.client_id, self.client_secret, tenant=self.tenant)]
        config = SimulatorConfig(subscriptions=[subscription], clients=clients)
        return Simulator(config, tls=tls)

    def env(self, endpoint: str) -> dict[str, str]:
        """The environment a live or record run needs to reach this world at `endpoint`."""
        return {
            "AZURE_SUBSCRIPTION_ID": self.subscription,
            "AZURE_TENANT_ID": self.tenant,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "BATCHKEYS_RESOURCE_GROUP": self.group,
            "BATCHKEYS_ACCOUNT_NAME": self.account,
            "BATCHKEYS_ENDPOINT": endpoint,
        }
