"""The Simulator object: start/stop on loopback, and a live API to change what it serves."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator.app import RequestRecord, SimulatorApp, SimulatorStats
from pytest_batchkeys.simulator.arm import ensure_keys
from pytest_batchkeys.simulator.config import (
    Account,
    Principal,
    ResourceGroup,
    SimulatorConfig,
    Subscription,
    check_config,
)
from pytest_batchkeys.simulator.faults import Fault

if TYPE_CHECKING:
    from pytest_batchkeys.simulator.server import QuietServer

DEFAULT_API_VERSION = "2026-08-01"


def refuse_remote_host(host: str, *, allow_remote: bool) -> None:
    """ConfigError for a non-loopback bind address unless `allow_remote` (keys are in clear)."""
    from pytest_batchkeys.simulator.server import is_loopback

    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"Simulator(host={host!r}): refusing to bind an address that is not loopback: the "
            "simulator serves keys and tokens in clear. Use host='127.0.0.1', or pass "
            "allow_remote=True (the CLI's --allow-remote) if you really mean it."
        )


class Simulator:
    """Local ARM listKeys + Entra token endpoint; `with Simulator() as sim:` serves on loopback."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
    ) -> None:
        refuse_remote_host(host, allow_remote=allow_remote)
        self.config = config if config is not None else SimulatorConfig()
        check_config(self.config)
        for sub in self.config.subscriptions:
            for group in sub.resource_groups:
                for account in group.accounts:
                    ensure_keys(account, sub.id, group.name, self.config.seed)
        self.host = host
        self.port = port
        self._app = SimulatorApp(self.config)
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve in a daemon thread; returns self once requests are accepted."""
        if self._server is not None:
            return self
        from pytest_batchkeys.simulator.server import make_quiet_server

        server = make_quiet_server(self.host, self.port, self._app)
        self.port = server.server_address[1]
        self._server = server
        self._app.base_url = self.url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"batchkeys-simulator-{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close the socket and join the serving thread; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:43121."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def token_url(self, tenant: str = placeholders.TENANT_ID) -> str:
        """The client-credentials token endpoint for `tenant`."""
        return f"{self.url}/{tenant}/oauth2/v2.0/token"

    def listkeys_url(
        self,
        account: str = placeholders.ACCOUNT_NAME,
        *,
        resource_group: str = placeholders.RESOURCE_GROUP,
        subscription_id: str = placeholders.SUBSCRIPTION_ID,
        api_version: str | None = DEFAULT_API_VERSION,
    ) -> str:
        """The listKeys URL of an account (api_version None: no query string)."""
        url = (
            f"{self.url}/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Batch/batchAccounts/{account}/listKeys"
        )
        return url if api_version is None else f"{url}?api-version={api_version}"

    @property
    def scope(self) -> str:
        """A scope the token endpoint accepts: the simulator's own base URL + /.default."""
        return f"{self.url}/.default"

    # -- live configuration --------------------------------------------------------------------

    def add_account(
        self,
        name: str,
        *,
        resource_group: str = placeholders.RESOURCE_GROUP,
        subscription_id: str = placeholders.SUBSCRIPTION_ID,
        primary: str | None = None,
        secondary: str | None = None,
        allowed_authentication_modes: list[str] | None = None,
        pool_allocation_mode: Literal["BatchService", "UserSubscription"] = "BatchService",
    ) -> Account:
        """Serve a new account (creating its subscription and group if needed); returns it."""
        account = Account(name, primary, secondary, pool_allocation_mode=pool_allocation_mode)
        if allowed_authentication_modes is not None:
            account.allowed_authentication_modes = list(allowed_authentication_modes)
        subs = self.config.subscriptions
        sub = next((s for s in subs if s.id.lower() == subscription_id.lower()), None)
        if sub is None:
            sub = Subscription(subscription_id, resource_groups=[])
        groups = sub.resource_groups
        group = next((g for g in groups if g.name.lower() == resource_group.lower()), None)
        if group is None:
            group = ResourceGroup(resource_group, accounts=[])
        group.accounts.append(account)
        try:
            if group not in groups:
                groups.append(group)
            if sub not in subs:
                subs.append(sub)
            check_config(self.config, "add_account()")
        except Exception:
            group.accounts.remove(account)
            raise
        ensure_keys(account, sub.id, group.name, self.config.seed)
        return account

    def add_fault(self, fault: Fault | None = None, **fields: Any) -> Fault:
        """Add a fault rule (a Fault, or its fields as keywords); applies from the next request."""
        rule = fault if fault is not None else Fault(**fields)
        problems = rule.problems()
        if problems:
            from pytest_batchkeys.errors import ConfigError

            key, problem = problems[0]
            raise ConfigError(f"simulator add_fault(): {key}: {problem}.")
        self.config.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove every fault rule and forget their counts."""
        self.config.faults.clear()
        self._app.faults.reset()

    def set_permissions(
        self, principal: str, actions: list[str], scopes: list[str] | None = None
    ) -> Principal:
        """Replace a principal's role assignments (actions are fnmatch patterns)."""
        self.config.principals[:] = [
            p for p in self.config.principals if p.id.lower() != principal.lower()
        ]
        entry = Principal(principal, list(actions), list(scopes or ["/"]))
        self.config.principals.append(entry)
        return entry

    def reset_throttle(self) -> None:
        """Refill every subscription's write bucket."""
        self._app.buckets.reset()

    # -- tokens and observation -----------------------------------------------------------------

    def issue_token(
        self,
        client_id: str = placeholders.CLIENT_ID,
        *,
        tenant: str = placeholders.TENANT_ID,
        principal: str | None = None,
        expires_in: float | None = None,
    ) -> str:
        """A token the ARM route accepts, made without the token endpoint (not in stats)."""
        lifetime = self.config.token_lifetime if expires_in is None else expires_in
        return self._app.tokens.issue(
            client_id=client_id,
            tenant=tenant,
            principal=principal or client_id,
            audience="https://management.azure.com/",
            lifetime=lifetime,
        )

    @property
    def stats(self) -> SimulatorStats:
        """Counters since start or the last reset_stats()."""
        return self._app.stats()

    @property
    def request_log(self) -> list[RequestRecord]:
        """The most recent requests (up to 10,000), oldest first."""
        return self._app.request_log()

    def reset_stats(self) -> None:
        """Zero the counters and empty the request log."""
        self._app.reset_stats()
