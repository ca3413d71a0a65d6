"""pytest glue: options, marker, fixtures, report hooks. Logic lives in the other modules."""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_batchkeys.errors import BatchKeysError, CredentialError, UsageProblem, pointer
from pytest_batchkeys.settings import (
    OPTIONS,
    Settings,
    check_cassette_dir_for_replay,
    check_option_values_are_not_paths,
    cli_values,
    is_loopback_url,
    resolve,
)

if TYPE_CHECKING:
    import requests

    from pytest_batchkeys.harness import Harness
    from pytest_batchkeys.live.client import BatchKeysClient, Target
    from pytest_batchkeys.recording.cassettes import CassetteRun, Fate

SETTINGS = pytest.StashKey[Settings]()
HARNESS = pytest.StashKey["Harness"]()


class SpecRepairWarning(pytest.PytestWarning):
    """The spec given with --batch-spec had a gap that the loader repaired."""


RUN = pytest.StashKey["CassetteRun | None"]()
FAILED = pytest.StashKey[bool]()
CREDENTIALS_FAILED = pytest.StashKey[bool]()
MARKER = "batchkeys"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("batchkeys", "batchkeys: Azure Batch listKeys cassettes and contract")
    group.addoption(
        "--batch-live",
        action="store_true",
        dest="batch_live",
        default=None,
        help="talk to the real endpoint; no cassette is read or written (ini/env: "
        "batchkeys_mode / BATCHKEYS_MODE=live)",
    )
    group.addoption(
        "--batch-record",
        action="store_const",
        const="new",
        dest="batch_record",
        default=None,
        help="live, and write scrubbed cassettes for tests that have none; takes no value, so "
        "`pytest --batch-record tests/test_x.py::test_y` records that test (ini/env: "
        "batchkeys_mode / BATCHKEYS_MODE=record)",
    )
    group.addoption(
        "--batch-record-all",
        action="store_const",
        const="all",
        dest="batch_record",
        help="like --batch-record, and re-record every cassette the run touches; a test that "
        "fails keeps its old cassette (ini/env: batchkeys_record_mode / BATCHKEYS_RECORD_MODE=all)",
    )
    # The spellings of earlier releases keep working (argparse matches a whole option string
    # before it splits at '='), without a value that could swallow a test path.
    for mode in ("new", "all"):
        group.addoption(
            f"--batch-record={mode}",
            action="store_const",
            const=mode,
            dest="batch_record",
            help=argparse.SUPPRESS,
        )
    for option in OPTIONS:
        if option.field in ("mode", "record_mode"):
            continue
        env = f"; env {option.env}" if option.env else ""
        kwargs: dict[str, Any] = {"dest": option.field, "default": None}
        if option.metavar is None:
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
        group.addoption(option.flag, help=f"{option.help} (ini {option.ini}{env})", **kwargs)
    for option in OPTIONS:
        parser.addini(option.ini, help=option.help, default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(cassette=None): replay (or record) this test's listKeys traffic in a "
        "cassette; cassette= names the file under the cassette dir",
    )
    try:
        check_option_values_are_not_paths(
            [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *config.invocation_params.args],
            config.invocation_params.dir,
        )
        settings = resolve(
            cli_values(config.getoption),
            {option.ini: config.getini(option.ini) for option in OPTIONS},
            dict(os.environ),
            rootdir=config.rootpath,
        )
        config.stash[SETTINGS] = settings
        if settings.mode == "replay":
            check_cassette_dir_for_replay(settings.cassette_dir)
        # Live runs, explicit specs and api-versions are checked now, so their mistakes are
        # usage errors;
        # a plain replay run builds the harness only when a test first needs it.
        if settings.is_live or settings.spec or settings.api_version:
            harness = _harness(config)
            harness.check_api_version()
            for repair in harness.spec.repairs if settings.spec else ():
                warning = SpecRepairWarning(f"{harness.spec.source}: {repair}")
                config.issue_config_time_warning(warning, 2)
    except UsageProblem as exc:
        from pytest_batchkeys.secrets.redact import redact_output

        raise pytest.UsageError(redact_output(str(exc))) from None
    if settings.is_live:
        from pytest_batchkeys.secrets.redact import protect_run

        protect_run(settings.arm_url)
    if settings.contract:
        _collect_contract_suite(config)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """What runs against what: mode, spec, api-version, and where the cassettes came from."""
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return None
    harness = config.stash.get(HARNESS, None)
    spec = settings.spec or "bundled"
    version = settings.api_version or "the spec's newest stable"
    if harness is not None:
        spec, version = harness.spec.source, harness.api_version
    line = f"batchkeys: {settings.mode} mode; spec: {spec}; api-version: {version}"
    if settings.is_live:
        from pytest_batchkeys.secrets.identifiers import without_userinfo

        return [f"{line}; endpoint: {without_userinfo(settings.arm_url)}"]
    from pytest_batchkeys.recording.origin import origins

    found = origins(settings.cassette_dir)
    made = ", ".join(f"{count} {name}" for name, count in sorted(found.items())) or "none yet"
    return [f"{line}; cassettes recorded against: {made} ({settings.cassette_dir})"]


def _collect_contract_suite(config: pytest.Config) -> None:
    """Add the shipped suite to the run; alone when no test paths were given explicitly."""
    from pytest_batchkeys.contract import ROTATION_FILE, SUITE_FILE

    suites = [str(SUITE_FILE)]
    if config.stash[SETTINGS].rotation:
        suites.append(str(ROTATION_FILE))
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = suites
    else:
        config.args.extend(suite for suite in suites if suite not in config.args)


def _harness(config: pytest.Config) -> Harness:
    """The session's harness, built on first use (it validates live settings and credentials)."""
    harness = config.stash.get(HARNESS, None)
    if harness is None:
        from pytest_batchkeys.harness import Harness

        harness = Harness(config.stash[SETTINGS], dict(os.environ))
        harness.rootdir = config.rootpath
        harness.invocation_dir = config.invocation_params.dir
        config.stash[HARNESS] = harness
    return harness


@pytest.fixture(scope="session")
def batchkeys_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved settings of this run (mode, target, endpoint, cassette dir...)."""
    return _harness(pytestconfig).settings


@pytest.fixture
def batchkeys_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteRun | None]:
    """The test's cassette, replaying or recording; None in live mode."""
    from pytest_batchkeys.recording.interop import nested_cassette_error

    nested = nested_cassette_error(request.node)
    if nested is not None:
        raise pytest.fail.Exception(str(nested), pytrace=False)
    harness = _harness(request.config)
    marker = request.node.get_closest_marker(MARKER)
    given = marker.kwargs.get("cassette") if marker else None
    contract = _in_contract_suite(request.node)
    path = harness.cassette_path(request.node.nodeid, given, contract=contract)
    try:
        with harness.cassette(
            path,
            request.node.nodeid,
            contract=contract,
            fate=lambda: _recording_fate(request.node),
        ) as run:
            request.node.stash[RUN] = run
            yield run
    except BatchKeysError as exc:
        raise pytest.fail.Exception(str(exc), pytrace=False) from None


def _recording_fate(node: Any) -> Fate:
    """A failing test's recording is kept aside; none is kept when credentials stopped the run."""
    if node.config.stash.get(CREDENTIALS_FAILED, False):
        return "discard"
    return "aside" if node.stash.get(FAILED, False) else "keep"


@pytest.fixture(autouse=True)
def _batchkeys_marker(request: pytest.FixtureRequest) -> None:
    """Marked tests get their cassette even when they request no batchkeys fixture."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("batchkeys_cassette")


@pytest.fixture
def batchkeys_target(
    request: pytest.FixtureRequest, batchkeys_cassette: CassetteRun | None
) -> Target:
    """Subscription, resource group, account, api-version: placeholders in replay, real live."""
    return _harness(request.config).target(batchkeys_cassette)


@pytest.fixture
def batchkeys_session(
    request: pytest.FixtureRequest, batchkeys_cassette: CassetteRun | None
) -> Iterator[requests.Session]:
    """A requests.Session with auth, timeouts and (live) bounded retries."""
    from pytest_batchkeys.live.client import build_session

    harness = _harness(request.config)
    with build_session(
        harness.settings,
        harness.provider_for(batchkeys_cassette),
        replay_retries=harness.replay_retries(batchkeys_cassette),
    ) as session:
        yield session


@pytest.fixture
def batchkeys_client(
    request: pytest.FixtureRequest, batchkeys_session: requests.Session, batchkeys_target: Target
) -> BatchKeysClient:
    """Calls listKeys on the target; keyword overrides make negative tests one line."""
    from pytest_batchkeys.live.client import BatchKeysClient

    return BatchKeysClient(
        batchkeys_session, _harness(request.config).settings.arm_url, batchkeys_target
    )


@pytest.fixture
def batchkeys_credential(
    request: pytest.FixtureRequest, batchkeys_cassette: CassetteRun | None
) -> Any:
    """An azure-core credential for Azure SDK clients: real token live, placeholder in replay."""
    from pytest_batchkeys.live.auth import ProviderCredential

    return ProviderCredential(_harness(request.config).provider_for(batchkeys_cassette))


@pytest.fixture(scope="session")
def batchkeys_spec(pytestconfig: pytest.Config) -> Any:
    """The loaded, repaired spec (LoadedSpec) of the contract."""
    return _harness(pytestconfig).spec


@pytest.fixture(scope="session")
def batchkeys_schema(pytestconfig: pytest.Config) -> Any:
    """The schemathesis schema of BatchAccount_GetKeys, base URL set to the configured endpoint."""
    from pytest_batchkeys.spec.schemathesis_adapter import schemathesis_schema

    harness = _harness(pytestconfig)
    return schemathesis_schema(harness.spec, harness.settings.arm_url)


@pytest.fixture
def batchkeys_check(request: pytest.FixtureRequest, batchkeys_schema: Any) -> Any:
    """check(response, negative=False): every contract check; raises ContractViolations."""
    return _harness(request.config).checker(batchkeys_schema)


@pytest.fixture
def batchkeys_generated_cases(
    request: pytest.FixtureRequest, batchkeys_check: Any
) -> Iterator[Any]:
    """Generated contract cases: replayed from their cassette, or generated and sent live (and
    saved at teardown, kept aside if the test failed)."""
    from pytest_batchkeys.contract.generated import GeneratedRun

    harness = _harness(request.config)
    contract = _in_contract_suite(request.node)
    path = harness.cassette_path(request.node.nodeid, None, contract=contract)
    generated = GeneratedRun(
        harness=harness,
        path=path,
        check=batchkeys_check,
        nodeid=request.node.nodeid,
        fate=lambda: _recording_fate(request.node),
    )
    yield generated
    try:
        generated.save()
    except BatchKeysError as exc:
        raise pytest.fail.Exception(str(exc), pytrace=False) from None


def _in_contract_suite(node: Any) -> bool:
    from pytest_batchkeys.contract import CONTRACT_DIR

    return CONTRACT_DIR in node.path.resolve().parents


@pytest.fixture
def batchkeys_simulator(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A local listKeys + token endpoint simulator on a free loopback port, stopped afterwards.

    HTTPS: parametrize indirectly with {"tls": True} (other keywords: config, host, port).
    """
    from pytest_batchkeys.simulator.testing import fixture_simulator, serving

    try:
        simulator = fixture_simulator(getattr(request, "param", None))
    except BatchKeysError as exc:
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    with serving(simulator) as running:
        yield running


LOOPBACK_AUTHORITIES = pytest.StashKey[list[str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Once fixtures ran: an AZURE_AUTHORITY_HOST on https loopback (a simulator) gets MSAL's
    instance discovery answered by that host instead of login.microsoftonline.com."""
    result = yield
    authority = _loopback_authority(os.environ.get("AZURE_AUTHORITY_HOST", ""))
    known = item.config.stash.setdefault(LOOPBACK_AUTHORITIES, [])
    if authority is not None and authority not in known:
        from pytest_batchkeys.simulator.loopback_discovery import install

        install(authority)
        known.append(authority)
    return result


def _loopback_authority(value: str) -> str | None:
    """The https base URL of a loopback AZURE_AUTHORITY_HOST (azure-identity adds https://)."""
    url = (value if "://" in value else f"https://{value}").strip().rstrip("/")
    return url if value and url.startswith("https://") and is_loopback_url(url) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Replace a vcrpy 'cannot overwrite' error with our message naming the closest request."""
    failure: BaseException | None = None
    try:
        result = yield
    except BaseException as exc:
        failure = exc
    run = item.stash.get(RUN, None)
    if run is not None and run.misses:
        lines = "\n".join(miss.describe() for miss in run.misses)
        command = _harness(item.config).record_command(
            item.nodeid, rerecord=True, contract=_in_contract_suite(item)
        )
        pytest.fail(
            f"Request not found in cassette {run.path}:\n{lines}\n"
            f"Record it again with:\n    {command}\n{pointer('request-not-found')}",
            pytrace=False,
        )
    if failure is not None:
        raise failure
    return result


def pytest_unconfigure(config: pytest.Config) -> None:
    for authority in config.stash.get(LOOPBACK_AUTHORITIES, []):
        from pytest_batchkeys.simulator.loopback_discovery import uninstall

        uninstall(authority)
    harness = config.stash.get(HARNESS, None)
    if harness is not None and harness.settings.is_live:
        from pytest_batchkeys.secrets.redact import unprotect_run

        unprotect_run()


def _redacting(config: pytest.Config) -> bool:
    """True in live and record modes: output is redacted (see docs/security.md)."""
    harness = config.stash.get(HARNESS, None)
    return harness is not None and harness.settings.is_live


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, Any]:
    """Remember a failing test (its recording is kept aside); redact reports (live, record)."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        item.stash[FAILED] = True  # read when the cassette is saved, at teardown
        _stop_on_credential_error(item, call, report)
    if _redacting(item.config):
        from pytest_batchkeys.secrets.redact import redact_report

        redact_report(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """Collection errors are redacted like test failures."""
    report = yield
    if _redacting(collector.config):
        from pytest_batchkeys.secrets.redact import redact_report

        redact_report(report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_warning_recorded(warning_message: Any) -> None:
    """Warnings are redacted before the terminal reporter keeps them."""
    from pytest_batchkeys.secrets.leakguard import REGISTRY

    if len(REGISTRY):
        from pytest_batchkeys.secrets.redact import redact_warning

        redact_warning(warning_message)


def _stop_on_credential_error(item: pytest.Item, call: Any, report: Any) -> None:
    """Credentials that fail are a setup problem of the whole run, not of this test: show one
    clean paragraph (no traceback, no secret) and run no further test."""
    failure = _credential_error(call.excinfo.value if call.excinfo else None)
    if failure is None:
        return
    report.longrepr = f"{failure}\nNo further test is run: every test would fail the same way."
    item.session.shouldstop = f"batchkeys: credentials failed ({failure.anchor})"
    item.config.stash[CREDENTIALS_FAILED] = True


def _credential_error(error: BaseException | None) -> CredentialError | None:
    """The CredentialError behind `error` (raised directly, or wrapped by an HTTP client)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, CredentialError):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    harness = config.stash.get(HARNESS, None)
    if harness is None or not _used(harness):
        return
    from pytest_batchkeys.secrets.redact import redact_output

    terminalreporter.write_sep("-", "batchkeys")
    for line in harness.summary_lines():
        terminalreporter.write_line(redact_output(line))


def _used(harness: Harness) -> bool:
    return any(harness.counters.values()) or harness.settings.is_live


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, Any, Any]:
    """A run stopped by failing credentials exits 4; an xdist worker hands on its counters; once
    the junit XML is written, it is redacted (live and record modes)."""
    if session.config.stash.get(CREDENTIALS_FAILED, False):
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    harness = session.config.stash.get(HARNESS, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and session.config.stash.get(CREDENTIALS_FAILED, False):
        workeroutput["batchkeys_credentials_failed"] = True
    if harness is not None and workeroutput is not None:
        workeroutput["batchkeys_counters"] = dict(harness.counters)
        workeroutput["batchkeys_kept_aside"] = list(harness.kept_aside)
    result = yield
    xmlpath = getattr(session.config.option, "xmlpath", None)
    if xmlpath and _redacting(session.config):
        from pytest_batchkeys.secrets.redact import redact_xml_file

        redact_xml_file(session.config.invocation_params.dir / xmlpath)
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller, add up the workers' counters; a worker stopped by failing
    credentials makes the whole run exit 4."""
    output = getattr(node, "workeroutput", {})
    if output.get("batchkeys_credentials_failed"):
        node.config.stash[CREDENTIALS_FAILED] = True
    counters = output.get("batchkeys_counters")
    if counters:
        harness = _harness(node.config)
        harness.counters.update(counters)
        harness.kept_aside.extend(output.get("batchkeys_kept_aside", ()))
