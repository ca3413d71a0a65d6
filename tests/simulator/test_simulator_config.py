"""Simulator configuration: files, defaults, clear errors, and the live Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import (
    SUPPORTED_API_VERSIONS,
    Account,
    ErrorChoice,
    Simulator,
    SimulatorConfig,
    Subscription,
    load_config,
)

TIMEOUT = 5
FULL = Path(__file__).with_name("simulator_full.yaml")
TENANT = "11111111-1111-1111-1111-111111111111"
SUB = "22222222-2222-2222-2222-222222222222"


def test_defaults_are_the_documented_world() -> None:
    config = SimulatorConfig()
    (sub,) = config.subscriptions
    assert sub.id == placeholders.SUBSCRIPTION_ID
    assert [g.name for g in sub.resource_groups] == [placeholders.RESOURCE_GROUP]
    assert [a.name for a in sub.resource_groups[0].accounts] == [placeholders.ACCOUNT_NAME]
    assert config.throttle.capacity == 200
    assert config.throttle.refill_per_second == 10
    for version in ("2026-08-01", "2025-06-01", "2024-07-01", "2024-02-01", "2015-12-01"):
        assert version in config.api_versions
    assert config.api_versions == list(SUPPORTED_API_VERSIONS)
    assert config.error("shared_key_disabled") == ErrorChoice(409, "OperationNotAllowed")


def test_full_example_file_loads_and_is_served() -> None:
    config = load_config(FULL)
    assert config.api_versions == ["2026-08-01", "2025-06-01", "2024-07-01"]
    assert config.faults[0].first == 2
    config.faults.clear()
    with Simulator(config) as sim:
        data = {
            "client_id": "ci-app",
            "client_secret": "not-a-real-secret",
            "scope": sim.scope,
            "grant_type": "client_credentials",
        }
        token = requests.post(sim.token_url(TENANT), data=data, timeout=TIMEOUT).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        ok = requests.post(
            sim.listkeys_url("PRODACCT", resource_group="prod-rg", subscription_id=SUB),
            headers=auth,
            timeout=TIMEOUT,
        )
        disabled = requests.post(
            sim.listkeys_url("aadonlyacct", resource_group="prod-rg", subscription_id=SUB),
            headers={"Authorization": "Bearer static-token-for-tests"},
            timeout=TIMEOUT,
        )
        old = requests.post(
            sim.listkeys_url(
                "prodacct", resource_group="prod-rg", subscription_id=SUB, api_version="2024-02-01"
            ),
            headers=auth,
            timeout=TIMEOUT,
        )
    assert ok.status_code == 200
    assert ok.json()["accountName"] == "prodacct"
    assert ok.json()["primary"].startswith("cHJpbWFyeS1rZXkt")
    assert ok.headers["x-ms-routing-request-id"].startswith("WESTEUROPE:")
    assert ok.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    assert ok.headers["x-ms-ratelimit-remaining-subscription-writes"] == "1199"
    assert disabled.status_code == 400
    assert disabled.json()["error"]["code"] == "SharedKeyAuthenticationDisabled"
    assert "target" not in disabled.json()["error"]
    assert old.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert "The supported versions are '2026-08-01,2025-06-01,2024-07-01'." in old.text


def test_docs_show_the_full_example_verbatim() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "simulator.md").read_text(encoding="utf-8")
    example = FULL.read_text(encoding="utf-8").split("\n", 1)[1]
    assert f"```yaml\n{example}```" in docs


def test_unquoted_header_profile_loads(tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text("header_profile: 2019\n", encoding="utf-8")
    assert load_config(path).header_profile == "2019"


def test_json_files_and_empty_files_load(tmp_path: Path) -> None:
    path = tmp_path / "sim.json"
    path.write_text(json.dumps({"seed": 3, "throttle": {"capacity": 5}}))
    config = load_config(path)
    assert (config.seed, config.throttle.capacity) == (3, 5.0)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_config(empty) == SimulatorConfig()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("colour: blue\n", "colour: unknown key"),
        ("seed: lots\n", "seed: expected int"),
        ("subscriptions:\n  - id: nope\n", "subscriptions[0].id: 'nope' is not a UUID"),
        (
            "subscriptions:\n  - resource_groups:\n      - accounts:\n          - name: a-b\n",
            "subscriptions[0].resource_groups[0].accounts[0].name:",
        ),
        (
            "subscriptions:\n  - resource_groups:\n      - name: 'grün.'\n",
            "subscriptions[0].resource_groups[0].name:",
        ),
        ("faults:\n  - {kind: error, probability: 3}\n", "faults[0].probability:"),
        ("faults:\n  - {first: 1}\n", "faults[0].kind: required key is missing"),
        ("errors:\n  nosuch: {status: 400, code: X}\n", "errors.nosuch: unknown situation"),
        ("errors:\n  throttled: {status: 429}\n", "errors.throttled.code: required key"),
        (
            "errors:\n  throttled: {status: 429, code: X, form: rp}\n",
            "errors.throttled.form: 'rp' is not one of storage, hourly, srp",
        ),
        (
            "errors:\n  invalid_token: {status: 401, code: X, form: rp}\n",
            "errors.invalid_token.form: 'rp' is not settable for this situation",
        ),
        ("header_profile: '2030'\n", "header_profile: '2030' is not one of 2024, 2019"),
        ("header_profile: 2030\n", "header_profile: 2030 is not one of 2024, 2019"),
        ("throttle:\n  remaining_writes: -1\n", "throttle.remaining_writes: must be >= 0"),
        (
            "subscriptions:\n  - resource_groups:\n      - accounts:\n"
            "          - pool_allocation_mode: Cloud\n",
            "pool_allocation_mode: 'Cloud' is not one of BatchService, UserSubscription",
        ),
        ("- just\n- a list\n", "(top level): expected a mapping"),
        ("seed: [unclosed\n", "not valid"),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert key in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config(tmp_path / "absent.yaml")


def test_python_config_is_checked_at_construction() -> None:
    config = SimulatorConfig(subscriptions=[Subscription(id="not-a-uuid")])
    with pytest.raises(ConfigError, match=r"subscriptions\[0\]\.id"):
        Simulator(config)


def test_live_api_adds_accounts_in_new_groups_and_subscriptions() -> None:
    other_sub = "33333333-3333-3333-3333-333333333333"
    with Simulator() as sim:
        added = sim.add_account("liveacct", resource_group="live-rg", subscription_id=other_sub)
        assert isinstance(added, Account)
        token = sim.issue_token()
        url = sim.listkeys_url("liveacct", resource_group="live-rg", subscription_id=other_sub)
        response = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        assert response.status_code == 200
        assert response.json()["primary"] == added.primary
        with pytest.raises(ConfigError, match="add_account"):
            sim.add_account("x")
        assert [a.name for a in sim.config.subscriptions[0].resource_groups[0].accounts] == [
            placeholders.ACCOUNT_NAME
        ]


def test_importing_the_simulator_does_not_start_anything_heavy() -> None:
    code = (
        "import sys; import pytest_batchkeys.simulator; "
        "print('werkzeug.serving' in sys.modules, 'yaml' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_python_api_refuses_a_non_loopback_host_without_opt_in() -> None:
    from pytest_batchkeys.simulator import Simulator

    with pytest.raises(ConfigError, match=r"Simulator\(host='0.0.0.0'\): refusing to bind"):
        Simulator(host="0.0.0.0")
    assert Simulator(host="0.0.0.0", allow_remote=True).host == "0.0.0.0"  # not started
    assert Simulator(host="::1").host == "::1"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"region": "EAST\r\nX-Injected: yes"}, "region"),
        ({"tenants": ["a\nb"]}, "tenants[0]"),
        (
            {"errors": {"internal_error": {"status": 500, "code": "A\rB"}}},
            "errors.internal_error.code",
        ),
    ],
)
def test_config_values_with_control_characters_are_refused(change: dict, key: str) -> None:
    from pytest_batchkeys.simulator.config import check_config
    from pytest_batchkeys.simulator.loader import config_from_mapping

    with pytest.raises(ConfigError) as refused:
        check_config(config_from_mapping(change))
    assert f": {key}: " in str(refused.value)
    assert "holds a control character" in str(refused.value)
