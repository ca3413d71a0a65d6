"""`batchkeys verify` and `batchkeys scrub` over hand-made recordings with planted secrets."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_batchkeys.cli.main import main
from pytest_batchkeys.cli.verify import fingerprint
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.leakguard import SecretRegistry


def _load_planted() -> ModuleType:
    path = Path(__file__).parents[1] / "data" / "secrets" / "planted.py"
    spec = importlib.util.spec_from_file_location("batchkeys_planted", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


planted = _load_planted()


@pytest.fixture
def plant(tmp_path: Path) -> Any:
    """Every planted recording, written into tmp_path/planted."""
    return planted.build(tmp_path / "planted")


@pytest.fixture
def clean(tmp_path: Path) -> dict[str, Path]:
    """Recordings holding only placeholders."""
    return planted.build_clean(tmp_path / "clean")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def verify_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, dict[str, Any]]:
    code, out = run(capsys, "verify", "--format", "json", *map(str, paths))
    return code, json.loads(out)


def registry_of(secrets: dict[str, str]) -> SecretRegistry:
    registry = SecretRegistry()
    for label, value in secrets.items():
        assert registry.add(value, label)
    return registry


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [issue for issue in report["issues"] if issue["severity"] == "finding"]


def test_verify_finds_every_planted_secret(plant: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = verify_json(capsys, plant.files["vcr_yaml"].parent)
    assert code == 1
    found = {issue["fingerprint"] for issue in findings(report)}
    missing = [label for label, value in plant.secrets.items() if fingerprint(value) not in found]
    assert missing == []
    assert report["files"] == 4


@pytest.mark.parametrize("name", ["vcr_yaml", "vcr_json", "vcr_gzip", "proxy"])
def test_each_planted_file_alone_is_a_finding(
    plant: Any, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, report = verify_json(capsys, plant.files[name])
    assert code == 1
    assert findings(report)


def test_kinds_and_locations_are_named(plant: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, report = verify_json(capsys, plant.files["vcr_yaml"].parent)
    rows = {(Path(i["file"]).name, i["location"], i["kind"]) for i in findings(report)}
    assert ("vcr_planted.yaml", "interactions[0].request.body", "client-secret") in rows
    assert ("vcr_planted.yaml", "interactions[2].request.uri", "account-key") in rows
    assert ("vcr_gzip.yml", "interactions[0].response.body.string", "account-key") in rows
    assert ("proxy_planted.json", "Entries[0].ResponseBody.primary", "account-key") in rows
    assert ("proxy_planted.json", "Entries[1].ResponseBody.refresh_token", "secret-field") in rows
    assert (
        "vcr_planted.json",
        "interactions[0].request.headers.x-ms-key[0]",
        "account-key",
    ) in rows


def test_output_never_holds_a_planted_secret(
    plant: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_of(plant.secrets)
    directory = str(plant.files["vcr_yaml"].parent)
    for argv in (["verify", directory], ["verify", "--format", "json", directory]):
        code, out = run(capsys, *argv)
        assert code == 1
        assert registry.find_leaks(out) == []
        assert all(value not in out for value in plant.secrets.values())


def test_the_output_check_can_fail(plant: Any) -> None:
    registry = registry_of(plant.secrets)
    assert registry.find_leaks("note: " + plant.secrets["primary"].replace("+", "\\u002B"))


def test_placeholders_are_not_flagged(
    clean: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = verify_json(capsys, clean["foreign"].parent)
    assert code == 0
    assert findings(report) == []
    assert report["exchanges"] == 2


def test_foreign_recording_limits_are_warnings(
    clean: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = verify_json(capsys, clean["foreign"])
    kinds = {issue["kind"] for issue in report["issues"] if issue["severity"] == "warning"}
    assert kinds == {"request_id_headers_present", "content-length"}


def test_our_clean_cassette_has_no_issue(
    clean: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = verify_json(capsys, clean["ours"])
    assert (code, report["issues"]) == (0, [])


def test_table_output(clean: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "verify", str(clean["foreign"]))
    assert code == 0
    header, *rows, summary = out.strip().splitlines()
    assert header.split() == ["SEVERITY", "FILE", "LOCATION", "KIND", "FINGERPRINT", "MESSAGE"]
    assert sorted(row.split()[3] for row in rows) == [
        "content-length",
        "request_id_headers_present",
    ]
    assert all(row.startswith("warning ") for row in rows)
    assert summary == (
        "1 file(s), 1 listKeys exchange(s): 0 finding(s), 2 warning(s), 0 unreadable input(s)"
    )


def test_fingerprint_shows_at_most_four_characters() -> None:
    secret = "Q8abcdefghijklmnopqrstuvwxyz0123456789"
    shown = fingerprint(secret)
    assert shown.startswith("Q8ab…len=38,sha256:")
    assert secret[:5] not in shown
    assert fingerprint("short-secret").startswith("…len=12")


# --- contract: mutated cassettes make verify fail --------------------------------------------


def _ours(tmp_path: Path, mutate: Any) -> Path:
    data = planted.ours_clean()
    mutate(data["interactions"][0]["response"])
    return planted.write_yaml(tmp_path / "mutated.yaml", data)


def _set_body(body: Any) -> Any:
    def mutate(response: dict[str, Any]) -> None:
        response["body"]["string"] = body if isinstance(body, str) else json.dumps(body)
        response["headers"].pop("Content-Length", None)

    return mutate


def _status(code: int) -> Any:
    def mutate(response: dict[str, Any]) -> None:
        response["status"]["code"] = code
        response["body"]["string"] = json.dumps({"error": {"code": "Boom", "message": "boom"}})
        response["headers"].pop("Content-Length", None)

    return mutate


GOOD = {
    "accountName": placeholders.ACCOUNT_NAME,
    "primary": placeholders.FAKE_PRIMARY_KEY,
    "secondary": placeholders.FAKE_SECONDARY_KEY,
}


@pytest.mark.parametrize(
    ("mutate", "kind"),
    [
        (_set_body({**GOOD, "primary": "c2hvcnQ="}), "keys_are_base64_64_bytes"),
        (
            _set_body({k: v for k, v in GOOD.items() if k != "secondary"}),
            "keys_are_base64_64_bytes",
        ),
        (_set_body({**GOOD, "secondary": GOOD["primary"]}), "keys_differ"),
        (_set_body({**GOOD, "accountName": "someoneelse"}), "account_name_echoes_request"),
        (_set_body("<html><body>Service Unavailable</body></html>"), "json_body"),
        (_status(500), "contract"),
        (_set_body(GOOD), None),
    ],
    ids=["short-key", "missing-field", "equal-keys", "wrong-account", "html", "500", "unbroken"],
)
def test_contract_violations_are_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Any, kind: str | None
) -> None:
    code, report = verify_json(capsys, _ours(tmp_path, mutate))
    kinds = {issue["kind"] for issue in findings(report)}
    if kind is None:
        assert (code, kinds) == (0, set())
    else:
        assert code == 1
        assert kind in kinds


def test_stale_content_length_is_only_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def mutate(response: dict[str, Any]) -> None:
        response["headers"]["Content-Length"] = ["9999"]

    code, report = verify_json(capsys, _ours(tmp_path, mutate))
    assert code == 0
    assert [i["kind"] for i in report["issues"]] == ["content-length"]


def test_real_looking_subscription_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = planted.ours_clean()
    request = data["interactions"][0]["request"]
    request["uri"] = request["uri"].replace(
        placeholders.SUBSCRIPTION_ID, "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    )
    code, report = verify_json(capsys, planted.write_yaml(tmp_path / "sub.yaml", data))
    assert code == 0
    assert [(i["severity"], i["kind"]) for i in report["issues"]] == [
        ("warning", "subscription-id")
    ]


# --- unreadable and unsupported input: exit 2, saying why ---------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("bad.json", "{not json", "invalid JSON"),
        ("bad.yaml", "interactions: [\n  - {", "invalid YAML"),
        ("other.json", '{"hello": 1}', "unsupported content"),
        ("old.yaml", "- request: {uri: x}\n  response: {}\n", "pre-1.0 vcrpy cassette"),
        ("binary.yaml", b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_unusable_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: Any, why: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, out = run(capsys, "verify", str(path))
    assert code == 2
    assert why in out


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "verify", str(tmp_path / "nope"))
    assert code == 2
    assert "no such file or directory" in out


def test_unusable_input_wins_over_findings(
    plant: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.json").write_text("[")
    code, report = verify_json(capsys, plant.files["vcr_yaml"], tmp_path / "broken.json")
    assert code == 2
    assert findings(report)
    assert report["errors"]


def test_yaml_error_message_does_not_quote_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = planted.make_secrets(3).secrets["primary"]
    path = tmp_path / "broken.yaml"
    path.write_text(f"interactions:\n  - primary: {secret}\n  - [unclosed\n")
    code, out = run(capsys, "verify", str(path))
    assert code == 2
    assert secret not in out
    assert secret[:20] not in out


# --- scrub command ------------------------------------------------------------------------------


def test_scrub_then_verify_is_clean(plant: Any, capsys: pytest.CaptureFixture[str]) -> None:
    directory = plant.files["vcr_yaml"].parent
    assert run(capsys, "scrub", "--check", str(directory))[0] == 1
    before = {path: path.read_bytes() for path in directory.iterdir()}
    assert {p: p.read_bytes() for p in directory.iterdir()} == before  # --check wrote nothing
    code, out = run(capsys, "scrub", str(directory))
    assert code == 0
    assert "4 file(s) checked, 4 changed" in out
    assert registry_of(plant.secrets).find_leaks(out) == []
    code, report = verify_json(capsys, directory)
    assert (code, findings(report)) == (0, [])
    for path in directory.iterdir():
        assert registry_of(plant.secrets).find_leaks(path.read_text()) == [], path
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in before)


def test_scrub_is_idempotent(plant: Any, capsys: pytest.CaptureFixture[str]) -> None:
    directory = plant.files["vcr_yaml"].parent
    run(capsys, "scrub", str(directory))
    once = {path: path.read_bytes() for path in directory.iterdir()}
    code, out = run(capsys, "scrub", "--check", str(directory))
    assert (code, out.strip()) == (0, "4 file(s) checked, 0 would change")
    run(capsys, "scrub", str(directory))
    assert {path: path.read_bytes() for path in directory.iterdir()} == once


def test_scrub_leaves_clean_recordings_untouched(
    clean: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before = {path: path.read_bytes() for path in clean.values()}
    code, _ = run(capsys, "scrub", *map(str, clean.values()))
    assert code == 0
    assert {path: path.read_bytes() for path in clean.values()} == before


def test_scrub_keeps_file_mode_and_format(plant: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = plant.files["proxy"]
    path.chmod(0o644)
    run(capsys, "scrub", str(path))
    assert path.stat().st_mode & 0o777 == 0o644
    data = json.loads(path.read_text())
    assert set(data) == {"Entries", "Variables"}
    assert data["Entries"][0]["ResponseBody"]["primary"] == placeholders.FAKE_PRIMARY_KEY


def test_scrub_unusable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    code, out = run(capsys, "scrub", str(tmp_path))
    assert code == 2
    assert "unsupported content" in out


def test_scrubbed_cassette_replays_with_vcrpy(
    plant: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    vcr = pytest.importorskip("vcr")
    requests = pytest.importorskip("requests")
    path = plant.files["vcr_yaml"]
    run(capsys, "scrub", str(path))
    uri = planted.listkeys_uri(plant.subscription)
    recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "query"])
    with recorder.use_cassette(str(path)):
        response = requests.post(uri, timeout=5)
    assert response.json()["primary"] == placeholders.FAKE_PRIMARY_KEY
