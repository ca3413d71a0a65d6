"""The plugin as users meet it: options, marker, fixtures, replay failures, usage errors."""

from __future__ import annotations

import pytest
from helpers import cassette_builder as cb

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.settings import OPTIONS

REPLAY_TEST = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    response = batchkeys_client.list_keys()
    assert response.status_code == 200
    assert response.json()["accountName"] == "batchkeysacct"
"""


def test_help_lists_every_option_in_the_batchkeys_group(pytester: pytest.Pytester):
    result = pytester.runpytest("--help")
    out = result.stdout.str()
    assert "batchkeys: Azure Batch listKeys cassettes and contract:" in out
    for option in OPTIONS:
        for flag in option.flag.split(" / "):
            assert flag.split("=")[0] in out, flag
        assert option.ini in out, option.ini


def test_replay_serves_the_cassette_named_after_the_node_id(pytester: pytest.Pytester):
    pytester.makepyfile(test_replay=REPLAY_TEST)
    cb.write(pytester.path / "cassettes" / "test_replay" / "test_keys.yaml")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*mode: replay; endpoint: cassettes (offline)*",
            "cassettes: 1 replayed, 0 recorded, 0 missing",
        ]
    )


def test_marker_cassette_argument_and_cassette_dir_option(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.batchkeys(cassette="shared/keys.yaml")
        def test_keys(batchkeys_client):
            assert batchkeys_client.list_keys().status_code == 200
        """
    )
    cb.write(pytester.path / "recs" / "shared" / "keys.yaml")
    pytester.runpytest("--batch-cassette-dir=recs").assert_outcomes(passed=1)


def test_missing_cassette_fails_and_says_how_to_record(pytester: pytest.Pytester):
    pytester.makepyfile(test_replay=REPLAY_TEST)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    path = pytester.path / "cassettes" / "test_replay" / "test_keys.yaml"
    result.stdout.fnmatch_lines(
        [
            f"*No cassette for test_replay.py::test_keys: {path} does not exist. Replay mode never "
            "calls out and never skips. Record it against Azure (or a simulator) with:",
            "    pytest --batch-record test_replay.py::test_keys",
            "(needs a target and credentials: AZURE_SUBSCRIPTION_ID, BATCHKEYS_RESOURCE_GROUP, "
            "BATCHKEYS_ACCOUNT_NAME and a service principal or token) "
            "[[]see: batchkeys explain missing-cassette[]]",
        ]
    )
    assert "cassettes: 0 replayed, 0 recorded, 1 missing" in result.stdout.str()


def test_unmatched_request_names_cassette_request_and_closest_recorded(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_replay="""
        import pytest

        @pytest.mark.batchkeys
        def test_keys(batchkeys_client):
            batchkeys_client.list_keys(api_version="2024-07-01")
        """
    )
    path = cb.write(pytester.path / "cassettes" / "test_replay" / "test_keys.yaml")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*Request not found in cassette {path}:",
            f"*  request:  POST {cb.PATH}?api-version=2024-07-01",
            f"*  closest:  POST {cb.PATH}?api-version=2026-08-01",
            "*  differs:  query api-version: '2026-08-01' recorded, '2024-07-01' sent",
            "Record it again with:",
            "    pytest --batch-record-all test_replay.py::test_keys",
            "[[]see: batchkeys explain request-not-found[]]",
        ]
    )


def test_a_request_played_more_often_than_recorded_is_reported(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_replay="""
        import pytest

        @pytest.mark.batchkeys
        def test_keys(batchkeys_client):
            batchkeys_client.list_keys()
            batchkeys_client.list_keys()
        """
    )
    cb.write(pytester.path / "cassettes" / "test_replay" / "test_keys.yaml")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*differs:  already played: the test sent this request more times than recorded"]
    )


def test_fixtures_give_placeholders_in_replay(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_fx=f"""
        import pytest, requests

        def test_fixtures(batchkeys_settings, batchkeys_target, batchkeys_session, batchkeys_client):
            assert batchkeys_settings.mode == "replay"
            assert batchkeys_target.subscription_id == "{placeholders.SUBSCRIPTION_ID}"
            assert batchkeys_target.resource_group == "{placeholders.RESOURCE_GROUP}"
            assert batchkeys_target.account_name == "{placeholders.ACCOUNT_NAME}"
            assert batchkeys_target.api_version == "2026-08-01"
            assert isinstance(batchkeys_session, requests.Session)
            assert batchkeys_client.target == batchkeys_target
            assert batchkeys_client.list_keys().json()["primary"] == "{placeholders.FAKE_PRIMARY_KEY}"
        """
    )
    cb.write(pytester.path / "cassettes" / "test_fx" / "test_fixtures.yaml")
    pytester.runpytest().assert_outcomes(passed=1)


def test_client_overrides_make_negative_requests(pytester: pytest.Pytester):
    """Every part of the request can be overridden; OMIT leaves it out."""
    pytester.makepyfile(
        test_neg="""
        import pytest
        from pytest_batchkeys.live.client import OMIT

        @pytest.mark.batchkeys
        def test_negative(batchkeys_client):
            assert batchkeys_client.list_keys(account_name="nosuchacct").status_code == 404
            assert batchkeys_client.list_keys(api_version=OMIT).status_code == 400
            assert batchkeys_client.list_keys(token=OMIT).status_code == 401
        """
    )
    base = cb.PATH.rsplit("/batchAccounts/", 1)[0]
    error = {"error": {"code": "X", "message": "x"}}
    cb.write(
        pytester.path / "cassettes" / "test_neg" / "test_negative.yaml",
        cb.interaction(path=f"{base}/batchAccounts/nosuchacct/listKeys", status=404, body=error),
        cb.interaction(api_version=None, status=400, body=error),
        cb.interaction(status=401, body=error),
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_usage_error_is_one_clean_line_with_exit_code_4(pytester: pytest.Pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--batch-cloud=AzureMoon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: Unknown cloud 'AzureMoon' from --batch-cloud.*"])
    assert "INTERNALERROR" not in result.stderr.str() + result.stdout.str()


def test_live_without_credentials_lists_what_to_set(pytester: pytest.Pytester, monkeypatch):
    for name in (
        "BATCHKEYS_ACCESS_TOKEN",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("BATCHKEYS_RESOURCE_GROUP", "rg")
    monkeypatch.setenv("BATCHKEYS_ACCOUNT_NAME", "acct")
    monkeypatch.setenv("AZURE_CLIENT_ID", "someone")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--batch-live")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: Client credentials are incomplete: AZURE_CLIENT_ID set but AZURE_TENANT_ID, "
            "AZURE_CLIENT_SECRET not set. Set all three, or none of them. "
            "[[]see: batchkeys explain missing-credentials[]]"
        ]
    )


def test_unmarked_tests_are_untouched_and_vcr_is_not_imported(pytester: pytest.Pytester):
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            heavy = sorted(m for m in ("vcr", "yaml", "schemathesis", "werkzeug", "requests",
                                        "pytest_batchkeys.simulator", "pytest_batchkeys.spec.load")
                           if m in sys.modules)
            print("HEAVY-MODULES:", heavy or "none")
        """
    )
    pytester.makepyfile(
        """
        import socket

        def test_plain():
            assert socket.socket.connect.__name__ == "connect"
        """
    )
    # schemathesis's and pytest-recording's own plugins are switched off: they are not ours
    result = pytester.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:recording"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*HEAVY-MODULES: none*"])


def test_seed_spec_is_loaded_and_each_repair_is_a_warning(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        def test_spec(batchkeys_spec, batchkeys_schema):
            assert batchkeys_spec.source == "seed"
            assert batchkeys_schema.get_base_url() == "https://management.azure.com"
        """
    )
    result = pytester.runpytest("--batch-spec=seed", "-W", "always")
    result.assert_outcomes(passed=1, warnings=7)
    result.stdout.fnmatch_lines(
        [
            '*SpecRepairWarning: seed: The query parameter named "No Name" was read as api-version*',
            "*SpecRepairWarning: seed: Path parameter subscriptionId is used in the path template "
            "but not declared*",
            "*SpecRepairWarning: seed: The spec lists only the http scheme*",
        ]
    )


def test_bundled_spec_needs_no_repair(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        def test_spec(batchkeys_spec, batchkeys_schema):
            assert batchkeys_spec.source == "bundled"
            assert batchkeys_spec.default_api_version == "2026-08-01"
        """
    )
    pytester.runpytest("-W", "error::pytest.PytestWarning").assert_outcomes(passed=1)


def test_spec_without_the_operation_is_a_usage_error(pytester: pytest.Pytester):
    pytester.makefile(
        ".json", other='{"swagger": "2.0", "paths": {"/x": {"get": {"operationId": "Other_Get"}}}}'
    )
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--batch-spec=other.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *other.json*BatchAccount_GetKeys*Other_Get*"])
