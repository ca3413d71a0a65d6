"""Bad input through the plugin: a clear, pinned message, no INTERNALERROR, nothing overwritten.

Three families: cassettes (the test errors and names the file), specs and configuration (a
pytest UsageError: exit code 4 and one `ERROR:` line).

Decision pinned here: `--batch-record` (new) never replaces an existing cassette, not even an
unreadable one; it fails with the same message as replay. `--batch-record-all` re-records it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import cassette_builder as cb
from helpers.vcr_probe import vcrpy_patched

from pytest_batchkeys.errors import CassetteError, SpecError
from pytest_batchkeys.recording.cassettes import (
    read_cassette,
    serialize_cassette,
    use_cassette,
    write_cassette,
)
from pytest_batchkeys.simulator import Simulator
from pytest_batchkeys.spec import load as spec

REPLAY_TEST = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200
"""
SUB = "9b2f5c1e-0a4d-4c7e-8f3b-6d1e2a9c4b70"
ENV_PREFIXES = ("AZURE_", "BATCHKEYS_")
REMEDY = (
    "Restore it from version control, or record it again with --batch-record-all (plain "
    "--batch-record keeps existing cassettes, broken ones included)."
)
SHAPE = "Expected a vcrpy cassette: a mapping with 'interactions' (a list) and 'version: 1'."
UNREADABLE = "[see: batchkeys explain cassette-unreadable]"
FORMAT = "[see: batchkeys explain cassette-format]"
GOOD = serialize_cassette([cb.interaction()], {})
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Azure or batchkeys variable of the outer environment leaks into these runs."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


def _format(problem: str) -> Callable[[Path], str]:
    return lambda p: f"Cassette {p} {problem}. {SHAPE} {REMEDY} {FORMAT}"


def _field(field: str, problem: str) -> Callable[[Path], str]:
    return lambda p: (
        f"Cassette {p}, interaction 1, field {field}: {problem}. vcrpy cannot replay it and "
        f"verify cannot check it. {REMEDY} {FORMAT}"
    )


def _interaction_without(where: str, key: str) -> str:
    item = cb.interaction()
    del item[where][key]
    return serialize_cassette([item], {})


def _without_top(key: str) -> str:
    item = cb.interaction()
    del item[key]
    return serialize_cassette([item], {})


# (id, file content or None for a directory, message for the cassette path)
CASSETTES: list[tuple[str, bytes | None, Callable[[Path], str]]] = [
    (
        "truncated-yaml",
        GOOD[: GOOD.index('"primary"') + 20].encode(),
        lambda p: (
            f"Cassette {p} is not valid YAML: while scanning a quoted scalar, found "
            f"unexpected end of stream at line 11, column 69 (truncated or corrupted?). {REMEDY} "
            f"{UNREADABLE}"
        ),
    ),
    (
        "binary-garbage",
        bytes(range(256)) * 4,
        lambda p: (
            f"Cassette {p} is not UTF-8 text: byte 0x80 at offset 128 cannot be decoded "
            f"(binary data, or saved in another encoding?). vcrpy writes cassettes as UTF-8 YAML. "
            f"{REMEDY} {UNREADABLE}"
        ),
    ),
    (
        "non-utf8-latin1",
        GOOD.replace("message: OK", "message: Caf\u00e9").encode("latin-1"),
        lambda p: (
            f"Cassette {p} is not UTF-8 text: byte 0xe9 at offset "
            f"{GOOD.index('message: OK') + len('message: Caf')} cannot be decoded (binary data, or "
            f"saved in another encoding?). vcrpy writes cassettes as UTF-8 YAML. {REMEDY} "
            f"{UNREADABLE}"
        ),
    ),
    (
        "control-character",
        b"interactions: [\x00]\nversion: 1\n",
        lambda p: (
            f"Cassette {p} holds the character #x0000, which YAML does not allow, at "
            f"offset 15 (binary data?). {REMEDY} {UNREADABLE}"
        ),
    ),
    (
        "unsupported-format-version",
        GOOD.replace("version: 1", "version: 2").encode(),
        lambda p: (
            f"Cassette {p} has format version 2 (a number); pytest-batchkeys reads vcrpy's "
            "cassette format version 1 (the number) only (vcrpy 1.0 and later). Was it written by "
            f"another tool or a newer vcrpy? {REMEDY} {FORMAT}"
        ),
    ),
    ("missing-version", GOOD.replace("version: 1\n", "").encode(), _format("has no 'version' key")),
    (
        "missing-interactions",
        b"version: 1\nrequests: []\n",
        _format("has no 'interactions' key (keys found: version, requests)"),
    ),
    (
        "unsafe-yaml-tag",
        b"interactions: !!python/object/apply:os.system ['echo pwned']\nversion: 1\n",
        lambda p: (
            f"Cassette {p} uses the YAML tag '!!python/object/apply:os.system' at line 1, "
            "column 15, which is not allowed: cassettes are read with a safe loader (nothing in the "
            "file was run) and must be plain YAML (mappings, lists, strings, numbers). "
            f"{REMEDY} [see: batchkeys explain cassette-unsafe-yaml]"
        ),
    ),
    (
        "empty-file",
        b"",
        lambda p: (
            f"Cassette {p} is empty. An empty file is never replayed as 'no requests': a "
            f"recorded cassette always holds 'interactions' and 'version'. {REMEDY} {UNREADABLE}"
        ),
    ),
    (
        "whitespace-only",
        b"\n   \n",
        lambda p: (
            f"Cassette {p} is empty. An empty file is never replayed as 'no requests': a "
            f"recorded cassette always holds 'interactions' and 'version'. {REMEDY} {UNREADABLE}"
        ),
    ),
    (
        "directory",
        None,
        lambda p: (
            f"Cassette path {p} is a directory, not a file. Remove or rename the "
            "directory, or point the marker at a file: @pytest.mark.batchkeys(cassette='name.yaml'). "
            f"{UNREADABLE}"
        ),
    ),
    (
        "interactions-not-a-list",
        b"interactions: {request: {}}\nversion: 1\n",
        _format("has 'interactions' holding a mapping, not a list"),
    ),
    (
        "interaction-not-a-mapping",
        b"interactions: [just a string]\nversion: 1\n",
        _field("(interaction)", "is a string, not a mapping with 'request' and 'response'"),
    ),
    (
        "interaction-without-request",
        _without_top("request").encode(),
        _field("request", "is null, not a mapping"),
    ),
    (
        "interaction-without-response",
        _without_top("response").encode(),
        _field("response", "is null, not a mapping"),
    ),
    (
        "response-without-status",
        _interaction_without("response", "status").encode(),
        _field("response.status", "is missing or not a mapping with 'code' and 'message'"),
    ),
    (
        "status-code-a-string",
        GOOD.replace("code: 200", "code: '200'").encode(),
        _field("response.status.code", "is a string ('200'), not an integer"),
    ),
    (
        "response-without-body",
        _interaction_without("response", "body").encode(),
        _field("response.body", "is not a mapping with a 'string' (text, binary data or null)"),
    ),
    (
        "request-without-headers",
        _interaction_without("request", "headers").encode(),
        _field("request", "has no 'headers'"),
    ),
    (
        "pre-1.0-list-format",
        b"- request: {method: GET, url: 'http://x/'}\n  response: {status: 200}\n",
        lambda p: (
            f"Cassette {p} is in the pre-1.0 vcrpy format (a bare list of interactions). "
            f"{SHAPE} vcrpy converts old cassettes with `python -m vcr.migration {p}`; or record it "
            f"again with --batch-record-all. {FORMAT}"
        ),
    ),
    (
        "top-level-scalar",
        b"hello\n",
        _format("holds a string at the top level, not a mapping"),
    ),
    (
        "two-yaml-documents",
        (GOOD + "---\n" + GOOD).encode(),
        lambda p: (
            f"Cassette {p} is not valid YAML: expected a single document in the stream, "
            f"but found another document at line {GOOD.count(chr(10)) + 1}, column 1 (truncated or "
            f"corrupted?). {REMEDY} {UNREADABLE}"
        ),
    ),
    (
        "metadata-not-a-mapping",
        (GOOD + "metadata: 3\n").encode(),
        _format("has 'metadata' holding a number, not a mapping"),
    ),
]


def _place(path: Path, content: bytes | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        path.mkdir()
        (path / "keep.txt").write_text("not a cassette")
    else:
        path.write_bytes(content)


def _snapshot(path: Path) -> Any:
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else path.read_bytes()


def _assert_clean(result: pytest.RunResult) -> None:
    text = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in text
    assert "Traceback" not in text


def _record_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, token: str = "t0ken") -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    monkeypatch.setenv("BATCHKEYS_RESOURCE_GROUP", "rg")
    monkeypatch.setenv("BATCHKEYS_ACCOUNT_NAME", "acct")
    monkeypatch.setenv("BATCHKEYS_ACCESS_TOKEN", token)
    monkeypatch.setenv("BATCHKEYS_ENDPOINT", endpoint)


@pytest.mark.parametrize("mode", ["replay", "record-new"])
@pytest.mark.parametrize(
    ("content", "message"), [c[1:] for c in CASSETTES], ids=[c[0] for c in CASSETTES]
)
def test_bad_cassette_errors_with_its_message_and_is_kept(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    content: bytes | None,
    message: Callable[[Path], str],
) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    path = pytester.path / "cassettes" / "test_replay" / "test_keys.yaml"
    _place(path, content)
    before = _snapshot(path)
    args: list[str] = []
    if mode == "record-new":
        _record_env(monkeypatch, "http://127.0.0.1:9")  # never contacted: nothing is recorded
        args = ["--batch-record"]
    result = pytester.runpytest(*args)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    _assert_clean(result)
    assert message(path) in result.stdout.str()
    assert _snapshot(path) == before


@pytest.mark.skipif(IS_ROOT, reason="root reads any file")
def test_unreadable_cassette(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    path = cb.write(pytester.path / "cassettes" / "test_replay" / "test_keys.yaml")
    path.chmod(0)
    try:
        result = pytester.runpytest()
    finally:
        path.chmod(0o644)
    result.assert_outcomes(errors=1)
    _assert_clean(result)
    assert (
        f"Cassette {path} cannot be read: Permission denied. The user running pytest needs read "
        "access to it; check its permissions and owner. [see: batchkeys explain "
        "cassette-unreadable]"
    ) in result.stdout.str()


def test_record_all_replaces_a_broken_cassette(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    path = pytester.path / "cassettes" / "test_replay" / "test_keys.yaml"
    _place(path, b"interactions: [\n")
    with Simulator() as sim:
        sim.add_account("acct", resource_group="rg", subscription_id=SUB)
        _record_env(monkeypatch, sim.url, sim.issue_token())
        result = pytester.runpytest("--batch-record=all")
    result.assert_outcomes(passed=1)
    assert len(read_cassette(path).interactions) == 1


def test_record_all_over_a_directory_names_the_write_problem(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_replay=REPLAY_TEST)
    path = pytester.path / "cassettes" / "test_replay" / "test_keys.yaml"
    _place(path, None)
    with Simulator() as sim:
        sim.add_account("acct", resource_group="rg", subscription_id=SUB)
        _record_env(monkeypatch, sim.url, sim.issue_token())
        result = pytester.runpytest("--batch-record=all")
    result.assert_outcomes(passed=1, errors=1)
    _assert_clean(result)
    assert (
        f"Cassette {path} cannot be written: a directory has its name. The directory is left as "
        "it is. Remove or rename it, or point the marker at another file: "
        "@pytest.mark.batchkeys(cassette='name.yaml'). [see: batchkeys explain cassette-write]"
    ) in result.stdout.str()
    assert _snapshot(path) == ["keep.txt"]
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_save_raises_after_vcrpy_has_unpatched(tmp_path: Path) -> None:
    # vcrpy saves before it unpatches: an error out of the save used to leave its patches on for
    # the rest of the process, so later tests ran through a closed cassette.
    def refuse(interactions: Any, metadata: Any, path: Path) -> str:
        raise CassetteError(f"refused {path.name}", anchor="cassette-write")

    path = tmp_path / "refused.yaml"
    refused = pytest.raises(
        CassetteError,
        match=r"^refused refused\.yaml \[see: batchkeys explain cassette-write\]$",
    )
    with Simulator() as sim, refused, use_cassette(path, "record", prepare_save=refuse):
        assert vcrpy_patched()
        assert requests.get(f"{sim.url}/nothing-here", timeout=5).status_code == 404
    assert vcrpy_patched() == []
    assert not path.exists()


def test_write_cassette_over_a_directory_keeps_it(tmp_path: Path) -> None:
    # the writer the generated-case cassettes share with vcrpy's persister
    path = tmp_path / "generated.yaml"
    (path / "inside").mkdir(parents=True)
    with pytest.raises(CassetteError) as info:
        write_cassette(path, "interactions: []\nversion: 1\n")
    assert str(info.value) == (
        f"Cassette {path} cannot be written: a directory has its name. The directory is left as "
        "it is. Remove or rename it, or point the marker at another file: "
        "@pytest.mark.batchkeys(cassette='name.yaml'). [see: batchkeys explain cassette-write]"
    )
    assert [p.name for p in path.iterdir()] == ["inside"]


# --- specs -------------------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"
LISTKEYS = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
    "Microsoft.Batch/batchAccounts/{accountName}/listKeys"
)
SPEC_HINT = (
    "Expected a Swagger 2.0 or OpenAPI 3.x document in YAML or JSON. Fix the file at that "
    "place, or point the spec setting at another file."
)
SPEC_ANCHOR = "[see: batchkeys explain spec-errors]"


def _official(tmp: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = json.loads((DATA / "official-like-batch.json").read_text(encoding="utf-8"))
    change(data)
    shutil.copytree(DATA / "common-types", tmp / "common-types", dirs_exist_ok=True)
    target = tmp / "spec.json"
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def _broken_ref(data: dict[str, Any]) -> None:
    data["paths"][LISTKEYS]["post"]["responses"]["200"]["schema"] = {"$ref": "#/definitions/No"}


def _as_get(data: dict[str, Any]) -> None:
    data["paths"].pop("/providers/Microsoft.Batch/operations")
    data["paths"][LISTKEYS] = {"get": data["paths"][LISTKEYS]["post"]}


def _text(body: str | bytes, name: str = "spec.yaml") -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        target = tmp / name
        target.write_bytes(body if isinstance(body, bytes) else body.encode())
        return target

    return make


def _directory(tmp: Path) -> Path:
    (tmp / "specs").mkdir()
    return tmp / "specs"


# (id, builder of the spec path, full pinned message or None where tests/test_spec.py pins it)
SPECS: list[tuple[str, Callable[[Path], Path], Callable[[Path], str] | None]] = [
    (
        "plain-text",
        _text("just some words\n", "spec.txt"),
        lambda p: (
            f"Spec file {p} holds a string at the top level, not a mapping. Expected a "
            "Swagger 2.0 or OpenAPI 3.x document: a mapping with a `swagger` or `openapi` key and "
            "`paths`. Check that the file is the spec itself, not a list of specs or an empty file. "
            f"{SPEC_ANCHOR}"
        ),
    ),
    ("truncated-json", _text('{"swagger": "2.0", "paths": {}', "spec.json"), None),
    ("invalid-yaml", _text("swagger: '2.0'\npaths:\n  /a: [1, 2\n"), None),
    (
        "binary",
        _text(b"\xff\xfe\x00garbage", "spec.json"),
        lambda p: (
            f"Spec file {p} is not UTF-8 text (byte 0xff at offset 0 cannot be decoded). {SPEC_HINT} {SPEC_ANCHOR}"
        ),
    ),
    (
        "unsafe-yaml-tag",
        _text("swagger: '2.0'\ninfo: !!python/object:os.system {}\npaths: {}\n"),
        lambda p: (
            f"Spec file {p} is not valid YAML: could not determine a constructor for the "
            "tag 'tag:yaml.org,2002:python/object:os.system' at line 2, column 7. "
            f"{SPEC_HINT} {SPEC_ANCHOR}"
        ),
    ),
    ("no-getkeys", _text('{"swagger": "2.0", "paths": {"/a": {}}}', "spec.json"), None),
    ("broken-ref", lambda tmp: _official(tmp, _broken_ref), None),
    ("unknown-swagger-version", _text('{"swagger": "1.2", "paths": {}}', "spec.json"), None),
    ("unknown-openapi-version", _text('{"openapi": "4.0.0", "paths": {}}', "spec.json"), None),
    ("missing-file", lambda tmp: tmp / "nope.yaml", None),
    (
        "directory",
        _directory,
        lambda p: (
            f"Spec file {p} is a directory; only regular files are read (refused at once). "
            "Nothing was loaded. Point the spec setting at the listKeys spec itself, or leave it "
            "unset to use the bundled contract. [see: batchkeys explain input-limits]"
        ),
    ),
    ("empty-file", _text(""), None),
    ("top-level-list", _text("- swagger: '2.0'\n"), None),
    (
        # spec.py reports a `paths` list as "0 paths" (raised with its owner)
        "paths-not-a-mapping",
        _text("swagger: '2.0'\npaths: [1]\n"),
        lambda p: (
            f"Spec file {p} has `paths` as a list, so it cannot contain BatchAccount_GetKeys. "
            "Expected `paths` to map each path to its operations, with the listKeys POST among "
            f"them; pass the Microsoft.Batch management spec. {SPEC_ANCHOR}"
        ),
    ),
    ("operation-not-post", lambda tmp: _official(tmp, _as_get), None),
]


def _spec_message(path: Path) -> str:
    with pytest.raises(SpecError) as info:
        spec.load_spec(path)
    return str(info.value)


def _usage_error(result: pytest.RunResult) -> list[str]:
    """The run's stderr lines, after checking it was a clean usage error."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _assert_clean(result)
    lines = [line for line in result.stderr.lines if line.strip()]
    assert len([line for line in lines if line.startswith("ERROR:")]) == 1, lines
    return lines


@pytest.mark.parametrize(("build", "pinned"), [s[1:] for s in SPECS], ids=[s[0] for s in SPECS])
def test_bad_spec_is_a_usage_error_with_the_loader_message(
    pytester: pytest.Pytester,
    build: Callable[[Path], Path],
    pinned: Callable[[Path], str] | None,
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    path = build(pytester.path)
    message = _spec_message(path)
    if pinned is not None:
        assert message == pinned(path)
    result = pytester.runpytest(f"--batch-spec={path}")
    assert _usage_error(result) == [f"ERROR: {message}"]


def test_bad_spec_from_the_environment_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    monkeypatch.setenv("BATCHKEYS_SPEC", str(pytester.path / "gone.json"))
    result = pytester.runpytest()
    assert _usage_error(result) == [f"ERROR: {_spec_message(pytester.path / 'gone.json')}"]


# --- configuration -----------------------------------------------------------------------------

CONFIG_ANCHOR = "[see: batchkeys explain {}]"
LIVE_ENV = {
    "AZURE_SUBSCRIPTION_ID": SUB,
    "BATCHKEYS_RESOURCE_GROUP": "rg",
    "BATCHKEYS_ACCOUNT_NAME": "acct",
    "BATCHKEYS_ACCESS_TOKEN": "t0ken",
    "BATCHKEYS_ENDPOINT": "http://127.0.0.1:9",
}
NUMBER = "[see: batchkeys explain bad-number]"
CONTRADICTORY = "[see: batchkeys explain contradictory-options]"
UNWRITABLE = "[see: batchkeys explain unwritable-cassette-dir]"
DIR_HELP = "(ini batchkeys_cassette_dir, env BATCHKEYS_CASSETTE_DIR)."

# (id, command line, environment (None: replay, no env), expected stderr lines for rootdir)
CONFIGS: list[tuple[str, list[str], dict[str, str] | None, Callable[[Path], list[str]]]] = [
    (
        "unknown-cloud",
        ["--batch-cloud=AzureMoon"],
        None,
        lambda _: [
            "ERROR: Unknown cloud 'AzureMoon' from --batch-cloud. Expected one of: AzureCloud, "
            "AzureChinaCloud, AzureUSGovernment. For any other ARM endpoint (a simulator, a "
            "proxy) use --batch-endpoint URL. [see: batchkeys explain unknown-value]"
        ],
    ),
    (
        "malformed-endpoint",
        ["--batch-endpoint=http://[::1"],
        None,
        lambda _: [
            "ERROR: --batch-endpoint 'http://[::1' is not a valid URL (Invalid IPv6 URL). "
            "Expected e.g. https://management.azure.com or http://127.0.0.1:8080. "
            "[see: batchkeys explain malformed-url]"
        ],
    ),
    (
        "endpoint-with-query",
        ["--batch-endpoint=https://arm.example.com/?api-version=1"],
        None,
        lambda _: [
            "ERROR: --batch-endpoint 'https://arm.example.com/?api-version=1' is not a base URL. "
            "Expected scheme http or https, a host, and no query or fragment, e.g. "
            "https://management.azure.com or http://127.0.0.1:8080. "
            "[see: batchkeys explain malformed-url]"
        ],
    ),
    (
        "non-uuid-subscription",
        ["--batch-live"],
        {**LIVE_ENV, "AZURE_SUBSCRIPTION_ID": "my-subscription"},
        lambda _: [
            "ERROR: Subscription id 'my-subscription' is not a UUID. Azure subscription ids look "
            "like 00000000-0000-0000-0000-000000000000; check AZURE_SUBSCRIPTION_ID or "
            "--batch-subscription. [see: batchkeys explain bad-subscription]"
        ],
    ),
    (
        "live-and-record",
        ["--batch-live", "--batch-record=all"],
        LIVE_ENV,
        lambda _: [
            "ERROR: --batch-live and --batch-record-all contradict each other: live mode never "
            "writes cassettes, record mode writes them (record mode talks to the endpoint too). "
            f"Pass only one of them. {CONTRADICTORY}"
        ],
    ),
    (
        "live-with-record-mode-all",
        ["--batch-live"],
        {**LIVE_ENV, "BATCHKEYS_RECORD_MODE": "all"},
        lambda _: [
            "ERROR: The record mode is 'all' (re-record every cassette), but the mode is live, "
            "which never writes cassettes. To re-record, use --batch-record-all (or "
            "batchkeys_mode / BATCHKEYS_MODE=record); to run live without recording, unset "
            f"batchkeys_record_mode / BATCHKEYS_RECORD_MODE. {CONTRADICTORY}"
        ],
    ),
    (
        "cassette-dir-is-a-file",
        ["--batch-record", "--batch-cassette-dir=afile"],
        LIVE_ENV,
        lambda root: [
            f"ERROR: Cassette dir {root / 'afile'} is a file, not a directory, so --batch-record "
            "cannot write cassettes there. Remove or rename the file, or choose another "
            f"--batch-cassette-dir {DIR_HELP} {UNWRITABLE}"
        ],
    ),
    (
        "cassette-dir-under-a-file",
        ["--batch-record", "--batch-cassette-dir=afile/cassettes"],
        LIVE_ENV,
        lambda root: [
            f"ERROR: Cassette dir {root / 'afile' / 'cassettes'} would be under "
            f"{root / 'afile'}, which is a file, not a directory, so --batch-record cannot write "
            f"cassettes there. Remove or rename the file, or choose another --batch-cassette-dir "
            f"{DIR_HELP} {UNWRITABLE}"
        ],
    ),
    (
        "record-mode-unknown-on-command-line",
        ["--batch-record=sometimes"],
        LIVE_ENV,
        lambda root: [
            "ERROR: usage: pytest.main() [options] [file_or_dir] [file_or_dir] [...]",
            "pytest.main(): error: argument --batch-record: ignored explicit argument 'sometimes'",
            "  inifile: None",
            f"  rootdir: {root}",
        ],
    ),
    (
        "record-mode-unknown-in-environment",
        [],
        {**LIVE_ENV, "BATCHKEYS_MODE": "record", "BATCHKEYS_RECORD_MODE": "sometimes"},
        lambda _: [
            "ERROR: Unknown record mode 'sometimes' from environment variable "
            "BATCHKEYS_RECORD_MODE. Expected one of: new, all. "
            "[see: batchkeys explain unknown-value]"
        ],
    ),
    (
        "timeout-not-a-number",
        ["--batch-read-timeout=soon"],
        None,
        lambda _: [
            "ERROR: --batch-read-timeout is 'soon', which is not a number. Expected a number "
            f"greater than zero (default: 30). {NUMBER}"
        ],
    ),
    (
        "timeout-zero",
        ["--batch-connect-timeout=0"],
        None,
        lambda _: [
            "ERROR: --batch-connect-timeout is '0', and zero would fail or stop every request. "
            f"Expected a number greater than zero (default: 5). {NUMBER}"
        ],
    ),
    (
        "timeout-infinite",
        ["--batch-read-timeout=inf"],
        None,
        lambda _: [
            "ERROR: --batch-read-timeout is 'inf', which is not a finite number; an endless "
            "timeout or limit could hang the run. Expected a number greater than zero (default: "
            f"30). {NUMBER}"
        ],
    ),
    (
        "retries-fractional",
        ["--batch-max-retries=1.5"],
        None,
        lambda _: [
            "ERROR: --batch-max-retries is '1.5', which is not a whole number. Expected a whole "
            f"number, 0 or more (default: 3). {NUMBER}"
        ],
    ),
    (
        "retry-wait-negative",
        [],
        {"BATCHKEYS_MAX_RETRY_WAIT": "-5"},
        lambda _: [
            "ERROR: environment variable BATCHKEYS_MAX_RETRY_WAIT is '-5', which is negative. "
            f"Expected a number greater than zero (default: 60). {NUMBER}"
        ],
    ),
    (
        "incomplete-client-credentials",
        ["--batch-live"],
        {
            **{k: v for k, v in LIVE_ENV.items() if k != "BATCHKEYS_ACCESS_TOKEN"},
            "AZURE_TENANT_ID": SUB,
            "AZURE_CLIENT_ID": "app",
        },
        lambda _: [
            "ERROR: Client credentials are incomplete: AZURE_TENANT_ID, AZURE_CLIENT_ID set but "
            "AZURE_CLIENT_SECRET not set. Set all three, or none of them. "
            "[see: batchkeys explain missing-credentials]"
        ],
    ),
    (
        "plain-http-off-loopback",
        ["--batch-live", "--batch-endpoint=http://arm.example.com"],
        LIVE_ENV,
        lambda _: [
            "ERROR: http://arm.example.com is plain http to a host that is not loopback; a "
            "bearer token would cross the network in clear. Use https, or a simulator on "
            "127.0.0.1. [see: batchkeys explain plain-http]"
        ],
    ),
    (
        "live-without-target",
        ["--batch-live"],
        {"BATCHKEYS_ACCESS_TOKEN": "t0ken"},
        lambda _: [
            "ERROR: --batch-live needs a target, and these are not set:",
            "  AZURE_SUBSCRIPTION_ID (or --batch-subscription, ini batchkeys_subscription_id)",
            "  BATCHKEYS_RESOURCE_GROUP (or --batch-resource-group, ini batchkeys_resource_group)",
            "  BATCHKEYS_ACCOUNT_NAME (or --batch-account, ini batchkeys_account_name)",
            "Set them, or run without --batch-live/--batch-record to replay cassettes. "
            "[see: batchkeys explain missing-target]",
        ],
    ),
    (
        "not-a-boolean",
        [],
        {"BATCHKEYS_CONTRACT": "maybe"},
        lambda _: [
            "ERROR: environment variable BATCHKEYS_CONTRACT is 'maybe', which is not a boolean. "
            "Use one of: true, false, 1, 0, yes, no. "
            "[see: batchkeys explain configuration-errors]"
        ],
    ),
]


@pytest.mark.parametrize(
    ("args", "env", "expected"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS]
)
def test_bad_configuration_is_a_usage_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str] | None,
    expected: Callable[[Path], list[str]],
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    (pytester.path / "afile").write_text("a file, not a directory")
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    result = pytester.runpytest(*args)
    assert _usage_error(result) == expected(pytester.path)
    assert (pytester.path / "afile").read_text() == "a file, not a directory"


@pytest.mark.skipif(IS_ROOT, reason="root writes anywhere")
def test_read_only_cassette_dir_in_record_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    directory = pytester.mkdir("readonly")
    directory.chmod(0o555)
    for name, value in LIVE_ENV.items():
        monkeypatch.setenv(name, value)
    try:
        result = pytester.runpytest("--batch-record", "--batch-cassette-dir=readonly")
    finally:
        directory.chmod(0o755)
    assert _usage_error(result) == [
        f"ERROR: Cassette dir {directory} is not writable by this user, so --batch-record cannot "
        f"write cassettes there. Fix its permissions, or choose another --batch-cassette-dir "
        f"{DIR_HELP} {UNWRITABLE}"
    ]
