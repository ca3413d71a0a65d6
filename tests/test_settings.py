"""Settings resolution: precedence, conversion and every configuration error message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.settings import OPTIONS, Settings, resolve, validate_live

ROOT = Path("/project")
SUB = "11111111-2222-3333-4444-555555555555"


def make(cli=None, ini=None, env=None) -> Settings:
    return resolve(cli or {}, ini or {}, env or {}, rootdir=ROOT)


def test_defaults():
    settings = make()
    assert settings.mode == "replay"
    assert settings.record_mode == "new"
    assert settings.cassette_dir == ROOT / "cassettes"
    assert settings.cloud == "AzureCloud"
    assert settings.arm_url == "https://management.azure.com"
    assert settings.authority_url == "https://login.microsoftonline.com"
    assert not settings.is_live


@pytest.mark.parametrize(
    ("cli", "ini", "env", "expected"),
    [
        ({"mode": "record"}, {"batchkeys_mode": "live"}, {"BATCHKEYS_MODE": "replay"}, "record"),
        ({}, {"batchkeys_mode": "live"}, {"BATCHKEYS_MODE": "record"}, "live"),
        ({}, {"batchkeys_mode": ""}, {"BATCHKEYS_MODE": "record"}, "record"),
        ({}, {}, {}, "replay"),
    ],
    ids=["cli-beats-ini-and-env", "ini-beats-env", "env-beats-default", "default"],
)
def test_precedence_command_line_then_ini_then_environment_then_default(cli, ini, env, expected):
    assert make(cli, ini, env).mode == expected


def test_precedence_holds_for_every_option():
    """Each option follows the same order; the table in docs/configuration.md lists them all."""
    samples = {
        "mode": ("record", "live", "replay"),
        "record_mode": ("all", "new", "all"),
        "cassette_dir": ("/a", "/b", "/c"),
        "spec": ("a.yaml", "b.yaml", "c.yaml"),
        "api_version": ("2024-07-01", "2025-06-01", "2026-08-01"),
        "cloud": ("AzureChinaCloud", "AzureUSGovernment", "AzureCloud"),
        "endpoint": ("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"),
        "authority": ("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"),
        "subscription_id": ("a", "b", "c"),
        "resource_group": ("a", "b", "c"),
        "account_name": ("a", "b", "c"),
        "contract": (True, "false", "true"),
        "rotation": (True, "false", "true"),
        "connect_timeout": ("1", "2", "3"),
        "read_timeout": ("1", "2", "3"),
        "max_retries": ("1", "2", "3"),
        "max_retry_wait": ("1", "2", "3"),
        "max_examples": ("1", "2", "3"),
        "max_rate": ("1", "2", "3"),
    }
    assert set(samples) == {option.field for option in OPTIONS}
    for option in OPTIONS:
        first, second, third = samples[option.field]
        both = make({option.field: first}, {option.ini: second}, {option.env: third})
        ini_env = make({}, {option.ini: second}, {option.env: third})
        env_only = make({}, {}, {option.env: third})
        assert getattr(both, option.field) != getattr(ini_env, option.field), option.field
        assert getattr(ini_env, option.field) != getattr(env_only, option.field), option.field


def test_worked_example_from_the_readme():
    """README: ini says live, CI sets BATCHKEYS_MODE=record, the command line says nothing."""
    settings = make({}, {"batchkeys_mode": "live"}, {"BATCHKEYS_MODE": "record"})
    assert settings.mode == "live"
    settings = make({"mode": "record", "record_mode": "all"}, {"batchkeys_mode": "live"}, {})
    assert (settings.mode, settings.record_mode) == ("record", "all")


def test_relative_cassette_dir_is_under_rootdir_and_absolute_is_kept():
    assert make({"cassette_dir": "rec"}).cassette_dir == ROOT / "rec"
    assert make({"cassette_dir": "/tmp/x"}).cassette_dir == Path("/tmp/x")


def test_endpoint_drives_arm_and_authority():
    settings = make({"endpoint": "http://127.0.0.1:8080/"})
    assert settings.arm_url == "http://127.0.0.1:8080"
    assert settings.authority_url == "http://127.0.0.1:8080"
    china = make({"cloud": "azurechinacloud"})
    assert china.cloud == "AzureChinaCloud"
    assert china.arm_url == "https://management.chinacloudapi.cn"
    assert china.authority_url == "https://login.chinacloudapi.cn"


@pytest.mark.parametrize(
    ("cli", "env", "message"),
    [
        (
            {"cloud": "AzureMoon"},
            {},
            "Unknown cloud 'AzureMoon' from --batch-cloud. Expected one of: AzureCloud, "
            "AzureChinaCloud, AzureUSGovernment. For any other ARM endpoint (a simulator, a proxy) "
            "use --batch-endpoint URL. [see: batchkeys explain unknown-value]",
        ),
        (
            {},
            {"BATCHKEYS_MODE": "offline"},
            "Unknown mode 'offline' from environment variable BATCHKEYS_MODE. Expected one of: "
            "replay, live, record. [see: batchkeys explain unknown-value]",
        ),
        (
            {"endpoint": "management.azure.com"},
            {},
            "--batch-endpoint 'management.azure.com' is not a base URL. Expected scheme http or "
            "https, a host, and no query or fragment, e.g. https://management.azure.com or "
            "http://127.0.0.1:8080. [see: batchkeys explain malformed-url]",
        ),
        (
            {"authority": "http://[::1"},
            {},
            "--batch-authority 'http://[::1' is not a valid URL (Invalid IPv6 URL). Expected e.g. "
            "https://management.azure.com or http://127.0.0.1:8080. "
            "[see: batchkeys explain malformed-url]",
        ),
        (
            {"read_timeout": "soon"},
            {},
            "--batch-read-timeout is 'soon', which is not a number. Expected a number greater "
            "than zero (default: 30). [see: batchkeys explain bad-number]",
        ),
        (
            {"max_retries": "-1"},
            {},
            "--batch-max-retries is '-1', which is negative. Expected a whole number, 0 or more "
            "(default: 3). [see: batchkeys explain bad-number]",
        ),
        (
            {},
            {"BATCHKEYS_CONTRACT": "maybe"},
            "environment variable BATCHKEYS_CONTRACT is 'maybe', which is not a boolean. Use one "
            "of: true, false, 1, 0, yes, no. [see: batchkeys explain configuration-errors]",
        ),
    ],
    ids=["cloud", "mode", "endpoint", "authority", "timeout", "retries", "bool"],
)
def test_configuration_errors_are_pinned(cli, env, message):
    with pytest.raises(ConfigError) as info:
        make(cli, {}, env)
    assert str(info.value) == message


def test_live_needs_a_target_and_names_every_missing_value():
    with pytest.raises(ConfigError) as info:
        validate_live(make({"mode": "live"}, {}, {"AZURE_SUBSCRIPTION_ID": SUB}))
    assert str(info.value) == (
        "--batch-live needs a target, and these are not set:\n"
        "  BATCHKEYS_RESOURCE_GROUP (or --batch-resource-group, ini batchkeys_resource_group)\n"
        "  BATCHKEYS_ACCOUNT_NAME (or --batch-account, ini batchkeys_account_name)\n"
        "Set them, or run without --batch-live/--batch-record to replay cassettes. "
        "[see: batchkeys explain missing-target]"
    )


def _live(**extra: str) -> Settings:
    env = {
        "AZURE_SUBSCRIPTION_ID": SUB,
        "BATCHKEYS_RESOURCE_GROUP": "rg",
        "BATCHKEYS_ACCOUNT_NAME": "acct",
    }
    env.update(extra)
    return make({"mode": "record"}, {}, env)


def test_live_rejects_a_non_uuid_subscription():
    with pytest.raises(ConfigError) as info:
        validate_live(_live(AZURE_SUBSCRIPTION_ID="my-subscription"))
    assert str(info.value) == (
        "Subscription id 'my-subscription' is not a UUID. Azure subscription ids look like "
        "00000000-0000-0000-0000-000000000000; check AZURE_SUBSCRIPTION_ID or "
        "--batch-subscription. [see: batchkeys explain bad-subscription]"
    )


def test_live_refuses_plain_http_off_loopback():
    with pytest.raises(ConfigError) as info:
        validate_live(_live(BATCHKEYS_ENDPOINT="http://arm.example.com"))
    assert str(info.value) == (
        "http://arm.example.com is plain http to a host that is not loopback; a bearer token "
        "would cross the network in clear. Use https, or a simulator on 127.0.0.1. "
        "[see: batchkeys explain plain-http]"
    )
    validate_live(_live(BATCHKEYS_ENDPOINT="http://127.0.0.1:9"))
    validate_live(_live(BATCHKEYS_ENDPOINT="http://[::1]:9"))
    validate_live(_live(BATCHKEYS_ENDPOINT="https://arm.example.com"))
