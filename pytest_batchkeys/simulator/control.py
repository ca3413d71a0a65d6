"""The Simulator object: start/stop on loopback, and a live API to change what it serves."""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from pathlib import Path
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
    import ssl

    from pytest_batchkeys.simulator.server import QuietServer
    from pytest_batchkeys.simulator.tls import TestAuthority

DEFAULT_API_VERSION = "2026-08-01"
#: Without registered clients the token endpoint takes any non-empty secret.
ANY_SECRET = "simulator-accepts-any-secret"


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
        tls: bool = False,
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
        self._authority = _test_authority(host) if tls else None
        self._ca_file: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve in a daemon thread; returns self once requests are accepted."""
        if self._server is not None:
            return self
        server = self._make_server()
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

    def _make_server(self) -> QuietServer:
        if self._authority is not None:
            from pytest_batchkeys.simulator.tls import make_tls_server

            context = self._authority.server_context()
            return make_tls_server(self.host, self.port, self._app, context)
        from pytest_batchkeys.simulator.server import make_quiet_server

        return make_quiet_server(self.host, self.port, self._app)

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
        """Base URL without trailing slash, e.g. http://127.0.0.1:43121 (https with TLS)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}"

    # -- TLS -------------------------------------------------------------------------------------

    @property
    def tls(self) -> bool:
        """True when the simulator serves HTTPS (Simulator(tls=True))."""
        return self._authority is not None

    @property
    def ca_pem(self) -> bytes:
        """The PEM certificate of the test CA that signed the simulator's certificate."""
        return self._tls_authority().ca_pem

    @property
    def ca_file(self) -> Path:
        """A PEM file holding the test CA, for REQUESTS_CA_BUNDLE / SSL_CERT_FILE.

        Written on first use into a private temporary folder that is removed with the simulator.
        """
        authority = self._tls_authority()
        if self._ca_file is None or not self._ca_file.exists():
            folder = Path(tempfile.mkdtemp(prefix="batchkeys-ca-"))
            weakref.finalize(self, shutil.rmtree, folder, True)
            self._ca_file = authority.write_ca(folder / "batchkeys-simulator-ca.pem")
        return self._ca_file

    def write_ca_file(self, path: str | Path) -> Path:
        """Write the test CA's PEM certificate to `path` (e.g. for `serve --ca-file`)."""
        return self._tls_authority().write_ca(path)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """A new client-side ssl.SSLContext trusting the simulator's test CA and nothing else."""
        return self._tls_authority().client_context()

    def tls_environment(self) -> dict[str, str]:
        """REQUESTS_CA_BUNDLE and SSL_CERT_FILE pointing at `ca_file` (only the test CA)."""
        path = str(self.ca_file)
        return {"REQUESTS_CA_BUNDLE": path, "SSL_CERT_FILE": path}

    def _tls_authority(self) -> TestAuthority:
        if self._authority is None:
            from pytest_batchkeys.errors import ConfigError

            raise ConfigError(
                "This simulator serves plain http and has no CA certificate; "
                "create it with Simulator(tls=True) (or run `batchkeys serve --tls`)."
            )
        return self._authority

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

    def regenerate_url(
        self,
        account: str = placeholders.ACCOUNT_NAME,
        *,
        resource_group: str = placeholders.RESOURCE_GROUP,
        subscription_id: str = placeholders.SUBSCRIPTION_ID,
        api_version: str | None = DEFAULT_API_VERSION,
    ) -> str:
        """The regenerateKeys URL of an account (api_version None: no query string)."""
        url = self.listkeys_url(
            account,
            resource_group=resource_group,
            subscription_id=subscription_id,
            api_version=api_version,
        )
        base, _, query = url.partition("?")
        return base.removesuffix("/listKeys") + "/regenerateKeys" + ("?" + query if query else "")

    def azure_environment(
        self,
        *,
        tenant: str = placeholders.TENANT_ID,
        client_id: str = placeholders.CLIENT_ID,
        client_secret: str = ANY_SECRET,
    ) -> dict[str, str]:
        """What azure-identity's EnvironmentCredential (and DefaultAzureCredential) needs to get
        tokens here: AZURE_AUTHORITY_HOST, tenant, client id and secret, plus, with TLS, the CA."""
        env = {
            "AZURE_AUTHORITY_HOST": self.url,
            "AZURE_TENANT_ID": tenant,
            "AZURE_CLIENT_ID": client_id,
            "AZURE_CLIENT_SECRET": client_secret,
        }
        return {**env, **self.tls_environment()} if self.tls else env

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


def _test_authority(host: str) -> TestAuthority:
    from pytest_batchkeys.simulator.tls import TestAuthority

    return TestAuthority([host])
