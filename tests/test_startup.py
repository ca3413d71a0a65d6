"""Start-up cost: a host suite that never uses the plugin does not import what the plugin needs.

tests/test_plugin.py checks one unmarked run with schemathesis's plugin off; here: the plugin
module on its own, the run with every optional plugin off (the line docs/ci.md recommends),
and replay plus the shipped contract suite working with those plugins off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cassette_builder as cb

ROOT = Path(__file__).resolve().parent.parent
#: What the plugin needs only once a test uses it.
HEAVY = (
    "vcr",
    "yaml",
    "schemathesis",
    "werkzeug",
    "requests",
    "urllib3",
    "jsonschema_rs",
    "pytest_batchkeys.simulator",
    "pytest_batchkeys.spec.load",
    "pytest_batchkeys.checks.run",
    "pytest_batchkeys.secrets.leakguard",
    "pytest_batchkeys.secrets.scrub",
)
#: What a host that turns the optional plugins off must not pay for either.
OPTIONAL_PLUGINS = ("hypothesis", "anyio")
PLUGINS_OFF = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")
HEAVY_REPORT = """
import sys

def pytest_sessionfinish(session):
    names = {names!r}
    loaded = sorted(n for n in names if n in sys.modules)
    print("HEAVY-MODULES:", loaded or "none")
"""


def test_importing_the_plugin_module_imports_nothing_heavy():
    code = (
        "import sys, pytest_batchkeys.plugin\n"
        f"print(sorted(m for m in {HEAVY + OPTIONAL_PLUGINS!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


def test_host_run_with_optional_plugins_off_imports_none_of_them(pytester: pytest.Pytester):
    pytester.makeconftest(HEAVY_REPORT.format(names=HEAVY + OPTIONAL_PLUGINS))
    pytester.makepyfile(
        test_host="""
        def test_one():
            assert 1 + 1 == 2
        """
    )
    result = pytester.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", *PLUGINS_OFF, "-p", "no:anyio", "-p", "no:recording"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*HEAVY-MODULES: none*"])


def test_the_recommended_ini_line_is_the_one_documented():
    page = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert f"addopts = {' '.join(PLUGINS_OFF)}" in page


def test_replay_works_with_schemathesis_and_hypothesis_plugins_off(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_replay="""
        import pytest

        @pytest.mark.batchkeys
        def test_keys(batchkeys_client):
            assert batchkeys_client.list_keys().json()["accountName"] == "batchkeysacct"

        def test_plugins_are_off(pytestconfig):
            assert not pytestconfig.pluginmanager.has_plugin("schemathesis")
            assert not pytestconfig.pluginmanager.has_plugin("hypothesispytest")
        """
    )
    cb.write(pytester.path / "cassettes" / "test_replay" / "test_keys.yaml")
    result = pytester.runpytest(*PLUGINS_OFF)
    result.assert_outcomes(passed=2)


def test_shipped_contract_suite_replays_with_both_plugins_off(pytester: pytest.Pytester):
    if not (ROOT / "pytest_batchkeys" / "contract").is_dir():
        pytest.skip("the shipped contract suite is not in this checkout yet")
    pytester.makepyfile(test_placeholder="def test_host(): pass")
    result = pytester.runpytest(
        "--batch-contract", f"--batch-cassette-dir={ROOT / 'cassettes'}", *PLUGINS_OFF
    )
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert outcomes.get("passed", 0) > 1
    result.stdout.fnmatch_lines(["*checks: * run, 0 failed"])


def test_schemathesis_is_imported_without_assertion_rewriting(pytester: pytest.Pytester):
    """Its ~240 modules would be re-parsed on every start where bytecode is not cached."""
    pytester.makepyfile(
        """
        import sys

        def test_schema(batchkeys_schema):
            loader = type(sys.modules["schemathesis.specs.openapi.schemas"].__loader__).__name__
            assert loader != "AssertionRewritingHook", loader
        """
    )
    for plugin in ("no:schemathesis", "schemathesis"):  # its own plugin off, then on
        result = pytester.runpytest_subprocess("-p", plugin, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)
