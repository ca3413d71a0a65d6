"""Per-session state of the plugin: settings, spec, credentials, cassettes, counters.

Kept out of plugin.py so it can be tested without pytester; imports vcrpy and the spec lazily.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_batchkeys import __version__
from pytest_batchkeys.errors import CassetteError, ConfigError, record_command
from pytest_batchkeys.live.auth import REPLAY_TOKEN, StaticToken, TokenProvider, provider_from_env
from pytest_batchkeys.live.network import GuardLog, block_outbound
from pytest_batchkeys.live.sdk_retries import sdk_retries_without_waiting
from pytest_batchkeys.recording import origin
from pytest_batchkeys.recording.atomic import sweep_temps
from pytest_batchkeys.recording.cassettes import (
    CassetteRun,
    Fate,
    plan,
    serialize_cassette,
    use_cassette,
)
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.identifiers import without_userinfo
from pytest_batchkeys.settings import OPTIONS_BY_FIELD, Settings, is_loopback_url, validate_live

if TYPE_CHECKING:
    from pytest_batchkeys.live.client import Target
    from pytest_batchkeys.spec.model import LoadedSpec

SEED_SPEC: Final = "seed"
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.\-\[\]=,+]")


class Harness:
    """Everything the fixtures share within one pytest session (one per xdist worker)."""

    def __init__(self, settings: Settings, env: Mapping[str, str]) -> None:
        self.settings = settings
        self.env = dict(env)
        self.counters: Counter[str] = Counter()
        self.guard_log = GuardLog()
        #: "nodeid -> path" of failing tests whose recording was kept beside the cassette.
        self.kept_aside: list[str] = []
        #: rootdir and invocation dir, so printed commands work where pytest was started.
        self.rootdir: Path | None = None
        self.invocation_dir: Path | None = None
        self._spec: LoadedSpec | None = None
        self._provider: TokenProvider | None = None
        if settings.is_live:
            validate_live(settings)
            self._provider = provider_from_env(settings, self.env, on_secret=remember_secret)
        sweep_temps(settings.cassette_dir)  # writes a killed run left behind (docs/security.md)

    # -- spec -------------------------------------------------------------------------------
    @property
    def spec(self) -> LoadedSpec:
        """The contract: --batch-spec PATH (or `seed`, the shipped seed), else the bundled spec."""
        if self._spec is None:
            from pytest_batchkeys.spec import load as spec

            if not self.settings.spec:
                self._spec = spec.load_bundled()
            elif self.settings.spec == SEED_SPEC:
                self._spec = spec.load_seed()
            else:
                self._spec = spec.load_spec(self.settings.spec)
        return self._spec

    def check_api_version(self) -> None:
        """Raise ConfigError unless the configured api-version is one the spec lists."""
        wanted = self.settings.api_version
        versions = self.spec.api_versions
        if wanted is None or wanted in versions:
            return
        option = OPTIONS_BY_FIELD["api_version"]
        raise ConfigError(
            f"api-version {wanted!r} (from {option.flag}, ini {option.ini} or {option.env}) is "
            f"not one the spec lists ({self.spec.source}): {', '.join(versions)}. Nothing was "
            "run or written. Use one of these, or, for a newer api-version, a spec that lists "
            "it: --batch-spec=PATH.",
            anchor="unknown-api-version",
        )

    @property
    def api_version(self) -> str:
        """--batch-api-version, else the spec's newest stable version."""
        return self.settings.api_version or self.spec.default_api_version

    # -- credentials ------------------------------------------------------------------------
    def provider_for(self, run: CassetteRun | None) -> TokenProvider:
        """Real credentials when the test talks to the endpoint, a placeholder when it replays."""
        if self._provider is not None and (run is None or run.action != "replay"):
            return self._provider
        return StaticToken(REPLAY_TOKEN, description="replay placeholder")

    # -- cassettes --------------------------------------------------------------------------
    def cassette_path(
        self, nodeid: str, given: str | None = None, *, contract: bool = False
    ) -> Path:
        """The marker's `cassette=` under the cassette dir, else one derived from the node id.

        Tests of the shipped contract suite live under `contract/`, named after the test only,
        so the path does not depend on where the package is installed.
        """
        base = self.settings.cassette_dir
        if given:
            path = Path(given)
            return path if path.is_absolute() else base / path
        file_part, _, rest = nodeid.partition("::")
        name = _UNSAFE.sub("_", rest.replace("::", ".")) or "module"
        if contract:
            from pytest_batchkeys.contract import CASSETTE_SUBDIR

            return base / CASSETTE_SUBDIR / f"{name}.yaml"
        return base / Path(file_part).with_suffix("") / f"{name}.yaml"

    def checker(self, schema: Any) -> Callable[..., Any]:
        """A function running every contract check on a response, counted in the summary."""
        from pytest_batchkeys.checks.run import run_checks
        from pytest_batchkeys.checks.violations import ContractViolations
        from pytest_batchkeys.spec.schemathesis_adapter import get_operation

        operation = get_operation(schema)
        redact = _redactor() if self.settings.is_live else None

        def check(response: Any, *, negative: bool = False, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            kwargs.setdefault("operation", operation)  # another operation (regenerateKeys) wins
            report = run_checks(response, negative=negative, redact=redact, **kwargs)
            self.counters["checks_run"] += len(report.ran)
            self.counters["checks_failed"] += len(report.failures)
            if not report.ok:
                raise ContractViolations(report.failures)
            return report

        return check

    def record_command(self, nodeid: str, *, rerecord: bool, contract: bool = False) -> str:
        """The command that records `nodeid`, runnable from the directory pytest started in."""
        return record_command(
            nodeid,
            rerecord=rerecord,
            contract=contract,
            rootdir=self.rootdir,
            cwd=self.invocation_dir,
        )

    @contextmanager
    def cassette(
        self,
        path: Path,
        nodeid: str,
        *,
        contract: bool = False,
        fate: Callable[[], Fate] = lambda: "keep",
    ) -> Iterator[CassetteRun | None]:
        """Replay or record `path` for one test; yields None in live mode (nothing recorded).

        A recording made while the test fails (`fate()` is "aside" when it is saved) never
        becomes the cassette: it is kept beside it, and the summary lists the test.
        """
        mode = self.settings.mode
        if mode == "live":
            yield None
            return
        action = plan(path, mode=mode, record_mode=self.settings.record_mode)
        if action == "replay" and not path.exists():
            self.counters["cassettes_missing"] += 1
            command = self.record_command(nodeid, rerecord=False, contract=contract)
            raise CassetteError(
                missing_cassette_message(path, nodeid, command), anchor="missing-cassette"
            )
        with ExitStack() as stack:
            if action == "replay":
                stack.enter_context(block_outbound(self.guard_log, context=nodeid))
                stack.enter_context(sdk_retries_without_waiting())
            run = stack.enter_context(
                use_cassette(
                    path,
                    action,
                    prepare_save=self.prepare_save,
                    metadata=self.recording_metadata() if action != "replay" else None,
                    fate=fate,
                )
            )
            yield run
        if action == "replay":
            self.counters["cassettes_replayed"] += 1
        else:
            self.count_recording(nodeid, run.kept_aside)

    def count_recording(self, nodeid: str, kept_aside: Path | None) -> None:
        """Count a saved recording; one kept aside (its test failed) is listed in the summary."""
        if kept_aside is None:
            self.counters["cassettes_recorded"] += 1
            return
        self.counters["recordings_kept_aside"] += 1
        self.kept_aside.append(f"{nodeid} -> {kept_aside}")

    def recording_metadata(self) -> dict[str, Any]:
        """What a recorded cassette says about how it was made (checked for staleness in replay)."""
        return {
            "recorded_with": f"pytest-batchkeys {__version__}",
            origin.KEY: origin.origin_of(is_loopback_url(self.settings.arm_url)),
            # replay retries as often as the recording did, so a 429 and its retry replay
            "max_retries": self.settings.max_retries,
            "api_version": self.api_version,
            "spec_fingerprint": self.spec.fingerprint,
        }

    def prepare_save(
        self, interactions: list[dict[str, Any]], metadata: dict[str, Any], path: Path
    ) -> str:
        """Scrub, serialize and leak-check a cassette about to be written."""
        from pytest_batchkeys.secrets.leakguard import guard_text
        from pytest_batchkeys.secrets.scrub import ScrubRules, scrub_interactions

        for interaction in interactions:
            remember_keys_in_body(interaction.get("response", {}).get("body"))
        from pytest_batchkeys.secrets.leakguard import REGISTRY

        rules = ScrubRules(replacements=self.replacements(), secrets=REGISTRY.secrets())
        scrubbed = scrub_interactions(interactions, rules)
        text = serialize_cassette(scrubbed, metadata)
        guard_text(text, cassette=str(path))
        return text

    def replacements(self) -> tuple[tuple[str, str], ...]:
        """Real identifiers of the target and credentials → the replay placeholders."""
        pairs = [
            (self.settings.subscription_id, placeholders.SUBSCRIPTION_ID),
            (self.settings.resource_group, placeholders.RESOURCE_GROUP),
            (self.settings.account_name, placeholders.ACCOUNT_NAME),
            (self.env.get("AZURE_TENANT_ID"), placeholders.TENANT_ID),
            (self.env.get("AZURE_CLIENT_ID"), placeholders.CLIENT_ID),
        ]
        return tuple((real, fake) for real, fake in pairs if real and real != fake)

    @staticmethod
    def replay_retries(run: CassetteRun | None) -> int:
        """How often a replaying session retries: as the cassette was recorded (0 if unknown)."""
        if run is None or run.action != "replay":
            return 0
        value = run.metadata.get("max_retries")
        return value if type(value) is int and value >= 0 else 0

    def target(self, run: CassetteRun | None) -> Target:
        """Placeholders when the test replays, the configured target otherwise."""
        from pytest_batchkeys.live.client import Target

        if run is None or run.action != "replay":
            settings = self.settings
            return Target(
                subscription_id=settings.subscription_id or placeholders.SUBSCRIPTION_ID,
                resource_group=settings.resource_group or placeholders.RESOURCE_GROUP,
                account_name=settings.account_name or placeholders.ACCOUNT_NAME,
                api_version=self.api_version,
            )
        return Target(
            subscription_id=placeholders.SUBSCRIPTION_ID,
            resource_group=placeholders.RESOURCE_GROUP,
            account_name=placeholders.ACCOUNT_NAME,
            api_version=str(run.metadata.get("api_version") or self.api_version),
        )

    def summary_lines(self) -> list[str]:
        """Terminal summary: mode, endpoint (no secrets), cassettes, generated cases, checks."""
        c = self.counters
        settings = self.settings
        endpoint = without_userinfo(settings.arm_url) if settings.is_live else "cassettes (offline)"
        lines = [
            f"mode: {settings.mode}"
            + (f" ({settings.record_mode})" if settings.mode == "record" else "")
            + f"; endpoint: {endpoint}; cassette dir: {settings.cassette_dir}",
            f"cassettes: {c['cassettes_replayed']} replayed, {c['cassettes_recorded']} recorded, "
            f"{c['cassettes_missing']} missing",
            f"generated cases: {c['cases_replayed']} replayed, {c['cases_new']} new",
            f"checks: {c['checks_run']} run, {c['checks_failed']} failed",
        ]
        if self.kept_aside:
            lines.append(
                f"failing tests, recording kept aside ({len(self.kept_aside)}; each previous "
                "cassette, if any, is unchanged; replay never reads these files):"
            )
            lines.extend(f"  {entry}" for entry in sorted(self.kept_aside))
        if self.guard_log.blocked:
            lines.append(f"network: {len(self.guard_log.blocked)} outbound connection(s) blocked")
        return lines


def missing_cassette_message(path: Path, nodeid: str, command: str) -> str:
    """What to say when replay has no cassette for a test."""
    return (
        f"No cassette for {nodeid}: {path} does not exist. Replay mode never calls out and "
        f"never skips. Record it against Azure (or a simulator) with:\n"
        f"    {command}\n"
        "(needs a target and credentials: AZURE_SUBSCRIPTION_ID, BATCHKEYS_RESOURCE_GROUP, "
        "BATCHKEYS_ACCOUNT_NAME and a service principal or token)"
    )


def remember_secret(value: str, kind: str) -> None:
    """Register a secret with the leak guard and the redactor (lazy import keeps start-up light)."""
    from pytest_batchkeys.secrets.leakguard import REGISTRY

    REGISTRY.add(value, kind)


def remember_keys_in_body(body: Any) -> None:
    """Register the keys of a listKeys-shaped body (a vcrpy body dict, text or bytes)."""
    from pytest_batchkeys.secrets.redact import remember_keys

    remember_keys(body.get("string") if isinstance(body, dict) else body)


def _redactor() -> Callable[[str], str]:
    """The redactor of registered secrets (imported lazily: live mode only)."""
    from pytest_batchkeys.secrets.redact import redact_text

    return redact_text
