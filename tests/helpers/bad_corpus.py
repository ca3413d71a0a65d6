"""The corpus of bad inputs: cassettes, specs, plugin settings, simulator configs and raw HTTP.

Each case names what it feeds, the exit code (or HTTP status) it must end with, and a fragment of
the message. tests/test_bad_corpus.py runs every case in-process under a time limit;
bench/bench_bad_inputs.py runs them as real processes and prints the table of results.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from helpers import cassette_builder as cb
from pytest_batchkeys.recording.cassettes import serialize_cassette
from pytest_batchkeys.secrets import placeholders

Kind = Literal["cli", "pytest", "http"]
#: Every case must end within this many seconds (beyond the start-up of its process).
TIME_LIMIT: Final = 5.0
#: What a whole in-process pytest session may add on a loaded machine (plugin set-up, collection,
#: reporting); the bad input's own handling is measured by bench/bench_bad_inputs.py.
SESSION_ALLOWANCE: Final = 5.0
#: Markers for file content that is not bytes.
DIR: Final = "<directory>"
FIFO: Final = "<fifo>"
DEVICE: Final = "<device>"
SPARSE: Final = "<sparse 200 MB>"
Content = bytes | str

REPLAY_TEST: Final = """
import pytest

@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200
"""
CASSETTE: Final = "cassettes/test_replay/test_keys.yaml"


@dataclass(frozen=True)
class Case:
    """One bad input, how it is fed, and how it must end."""

    id: str
    kind: Kind
    files: tuple[tuple[str, Content], ...]
    args: tuple[str, ...]
    expect: int
    fragment: str
    env: tuple[tuple[str, str], ...] = ()
    request: bytes = b""


@dataclass
class Outcome:
    """How a case ended: exit code (HTTP status for raw HTTP, 0 for a closed connection)."""

    code: int
    output: str
    seconds: float
    changed: list[str] = field(default_factory=list)

    def problems(self, case: Case, limit: float = TIME_LIMIT) -> list[str]:
        """Why this outcome breaks the case's promise; empty when it keeps it."""
        found = []
        if self.code != case.expect:
            found.append(f"exit {self.code}, expected {case.expect}")
        if case.fragment not in self.output:
            found.append(f"message lacks {case.fragment!r}")
        if "INTERNALERROR" in self.output:
            found.append("INTERNALERROR")
        if "Traceback (most recent call last)" in self.output:
            found.append("raw traceback")
        if self.seconds >= limit:
            found.append(f"took {self.seconds:.1f} s")
        if self.changed:
            found.append(f"changed {', '.join(self.changed)}")
        return found


# --- contents ------------------------------------------------------------------------------------


def _good(**changes: Any) -> dict[str, Any]:
    return cb.interaction(**changes)


def _cassette(*interactions: dict[str, Any], version: Any = 1) -> bytes:
    text = serialize_cassette(list(interactions), {})
    if version != 1:
        text = text.replace("version: 1", f"version: {version}")
    return text.encode()


def _with(where: str, key: str, value: Any) -> bytes:
    """A one-interaction cassette whose request or response `key` holds `value`."""
    item = _good()
    item[where][key] = value
    return _cassette(item)


def _status(code: Any) -> bytes:
    item = _good()
    item["response"]["status"]["code"] = code
    return _cassette(item)


def billion_laughs(levels: int = 9, width: int = 9) -> bytes:
    """A YAML alias bomb of a few hundred bytes that expands to width**levels strings."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    lines.append(f"interactions: *a{levels - 1}\nversion: 1")
    return ("\n".join(lines) + "\n").encode()


def deep_flow(depth: int) -> bytes:
    return b"interactions: " + b"[" * depth + b"]" * depth + b"\nversion: 1\n"


def deep_json(depth: int, key: str = "interactions") -> bytes:
    return b'{"' + key.encode() + b'": ' + b"[" * depth + b"]" * depth + b', "version": 1}'


_HUGE_INT: Final = "9" * 5000
_GOOD_TEXT: Final = _cassette(_good()).decode()

#: (id, content, fragment for replay, fragment for verify and scrub)
CASSETTES: Final[list[tuple[str, Content, str, str]]] = [
    ("alias-bomb", billion_laughs(), "safeload.MAX_NODES", "safeload.MAX_NODES"),
    ("alias-bomb-wide", billion_laughs(6, 30), "safeload.MAX_NODES", "safeload.MAX_NODES"),
    (
        "recursive-alias",
        b"interactions: &a [*a]\nversion: 1\n",
        "recursive YAML alias",
        "recursive",
    ),
    ("deep-flow-100k", deep_flow(100_000), "exceeded maximum nesting depth", "nesting depth"),
    ("deep-flow-500", deep_flow(500), "safeload.MAX_DEPTH", "safeload.MAX_DEPTH"),
    (
        "deep-block-150",
        b"interactions:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 151)) + b"version: 1\n",
        "safeload.MAX_DEPTH",
        "safeload.MAX_DEPTH",
    ),
    (
        "status-5000-digits",
        _GOOD_TEXT.replace("code: 200", f"code: {_HUGE_INT}").encode(),
        "4300 digits",
        "4300 digits",
    ),
    ("status-string", _status("200"), "field response.status.code", "field response.status.code"),
    ("status-999", _status(999), "not an HTTP status code", "not an HTTP status code"),
    ("status-negative", _status(-1), "not an HTTP status code", "not an HTTP status code"),
    ("status-float", _status(200.5), "not an integer", "not an integer"),
    ("status-bool", _status(True), "not an integer", "not an integer"),
    ("version-string", _cassette(_good(), version="'1'"), "format version '1'", "version '1'"),
    ("version-2", _cassette(_good(), version=2), "format version 2", "format version 2"),
    ("version-null", _cassette(_good(), version="null"), "format version None", "version None"),
    (
        "response-header-int",
        _with("response", "headers", {"Retry-After": [5]}),
        "field response.headers.Retry-After",
        "field response.headers.Retry-After",
    ),
    (
        "response-header-null",
        _with("response", "headers", {"X-A": [None]}),
        "field response.headers.X-A",
        "field response.headers.X-A",
    ),
    (
        "response-header-crlf",
        _with("response", "headers", {"X-A": ["a\r\nX-B: c"]}),
        "holds a line break",
        "holds a line break",
    ),
    (
        "response-headers-list",
        _with("response", "headers", ["a", "b"]),
        "field response.headers",
        "field response.headers",
    ),
    (
        "request-header-int",
        _with("request", "headers", {"Content-Length": [12]}),
        "field request.headers.Content-Length",
        "field request.headers.Content-Length",
    ),
    (
        "uri-bad-ipv6",
        _with("request", "uri", "http://[::1/x"),
        "not a valid URI",
        "not a valid URI",
    ),
    (
        "uri-bad-port",
        _with("request", "uri", "http://h:99999/x"),
        "not a valid URI",
        "not a valid URI",
    ),
    (
        "uri-relative",
        _with("request", "uri", "/x/listKeys"),
        "not an absolute http(s) URI",
        "not an absolute http(s) URI",
    ),
    ("uri-list", _with("request", "uri", ["http://h/"]), "field request.uri", "field request.uri"),
    ("method-int", _with("request", "method", 5), "field request.method", "field request.method"),
    (
        "method-empty",
        _with("request", "method", ""),
        "field request.method",
        "field request.method",
    ),
    (
        "request-body-mapping",
        _with("request", "body", {"a": 1}),
        "field request.body",
        "field request.body",
    ),
    (
        "response-body-int",
        _with("response", "body", {"string": 5}),
        "field response.body",
        "field response.body",
    ),
    (
        "status-message-int",
        _GOOD_TEXT.replace("message: OK", "message: 5").encode(),
        "field response.status.message",
        "field response.status.message",
    ),
    (
        "interaction-string",
        b"interactions: [x]\nversion: 1\n",
        "field (interaction)",
        "field (interaction)",
    ),
    (
        "request-null",
        _with("response", "status", None),
        "field response.status",
        "field response.status",
    ),
    (
        "unsafe-tag",
        b"interactions: !!python/object/apply:os.system ['true']\nversion: 1\n",
        "is not allowed",
        "invalid YAML",
    ),
    (
        "truncated",
        _GOOD_TEXT[: _GOOD_TEXT.index("primary") + 20].encode(),
        "not valid YAML",
        "invalid YAML",
    ),
    ("binary", bytes(range(256)) * 4, "not UTF-8", "not UTF-8"),
    (
        "latin-1",
        _GOOD_TEXT.replace("message: OK", "message: Caf\u00e9").encode("latin-1"),
        "not UTF-8",
        "not UTF-8",
    ),
    ("nul-character", b"interactions: [\x00]\nversion: 1\n", "#x0000", "invalid YAML"),
    ("empty", b"", "is empty", "unsupported content"),
    ("top-level-list", b"- a\n- b\n", "pre-1.0 vcrpy format", "unsupported content"),
    (
        "interactions-mapping",
        b"interactions: {a: 1}\nversion: 1\n",
        "not a list",
        "unsupported content",
    ),
    (
        "two-documents",
        (_GOOD_TEXT + "---\n" + _GOOD_TEXT).encode(),
        "single document",
        "invalid YAML",
    ),
    ("directory", DIR, "is a directory", ""),  # verify and scrub search a directory
    ("fifo", FIFO, "named pipe (FIFO)", "named pipe (FIFO)"),
    ("device", DEVICE, "is a device", "is a device"),
    ("sparse-200mb", SPARSE, "safeload.MAX_FILE_BYTES", "safeload.MAX_FILE_BYTES"),
]

#: Cassettes that load but whose recorded response body is hostile JSON: a contract finding for
#: verify (exit 1), nothing to scrub (exit 0), and a replayed test that only checks the status
#: passes (exit 0). (id, body, fragment of verify)
BODIES: Final[list[tuple[str, str, str]]] = [
    ("body-deep-json", "[" * 100_000 + "]" * 100_000, "safeload.MAX_DEPTH"),
    ("body-huge-int", '{"primary": ' + _HUGE_INT + "}", "4300 digits"),
]

#: Files only `verify` and `scrub` read (JSON cassettes and Azure SDK test-proxy recordings).
RECORDINGS: Final[list[tuple[str, str, Content, str]]] = [
    ("json-deep-100k", "deep.json", deep_json(100_000), "safeload.MAX_DEPTH"),
    ("json-deep-500", "deep.json", deep_json(500), "safeload.MAX_DEPTH"),
    (
        "json-huge-int",
        "int.json",
        b'{"interactions": [], "version": ' + _HUGE_INT.encode() + b"}",
        "4300 digits",
    ),
    ("json-invalid", "bad.json", b'{"interactions": [', "invalid JSON"),
    (
        "json-status-string",
        "s.json",
        json.dumps(
            {
                "interactions": [
                    {
                        **_good(),
                        "response": {
                            **_good()["response"],
                            "status": {"code": "200", "message": ""},
                        },
                    }
                ],
                "version": 1,
            }
        ).encode(),
        "field response.status.code",
    ),
    (
        "json-version-string",
        "v.json",
        json.dumps({"interactions": [], "version": "1"}).encode(),
        "format version '1'",
    ),
    (
        "proxy-status-string",
        "p.json",
        json.dumps(
            {
                "Entries": [
                    {
                        "RequestUri": "https://h/x",
                        "RequestMethod": "POST",
                        "RequestHeaders": {},
                        "RequestBody": None,
                        "StatusCode": "200",
                        "ResponseHeaders": {},
                        "ResponseBody": None,
                    }
                ]
            }
        ).encode(),
        "field response.status.code",
    ),
    (
        "proxy-method-null",
        "p.json",
        json.dumps(
            {
                "Entries": [
                    {
                        "RequestUri": "https://h/x",
                        "RequestMethod": None,
                        "StatusCode": 200,
                    }
                ]
            }
        ).encode(),
        "field request.method",
    ),
    (
        "proxy-header-int",
        "p.json",
        json.dumps(
            {
                "Entries": [
                    {
                        "RequestUri": "https://h/x",
                        "RequestMethod": "GET",
                        "StatusCode": 200,
                        "ResponseHeaders": {"Retry-After": 5},
                    }
                ]
            }
        ).encode(),
        "field response.headers.Retry-After",
    ),
    (
        "proxy-uri-bad",
        "p.json",
        json.dumps(
            {
                "Entries": [
                    {
                        "RequestUri": "http://[::1/x",
                        "RequestMethod": "GET",
                        "StatusCode": 200,
                    }
                ]
            }
        ).encode(),
        "not a valid URI",
    ),
]


def _spec_bomb() -> bytes:
    return billion_laughs().replace(b"interactions: ", b"swagger: '2.0'\npaths: ")


#: (id, file name, content, fragment) for --batch-spec.
SPECS: Final[list[tuple[str, str, Content, str]]] = [
    ("alias-bomb", "spec.yaml", _spec_bomb(), "safeload.MAX_NODES"),
    ("recursive-alias", "spec.yaml", b"swagger: '2.0'\npaths: &p {a: *p}\n", "recursive"),
    ("deep-json-100k", "spec.json", deep_json(100_000, "paths"), "safeload.MAX_DEPTH"),
    ("deep-yaml-500", "spec.yaml", b"paths: " + b"[" * 500 + b"]" * 500, "safeload.MAX_DEPTH"),
    ("huge-int", "spec.yaml", b"swagger: " + _HUGE_INT.encode() + b"\n", "4300 digits"),
    ("fifo", "spec.yaml", FIFO, "named pipe (FIFO)"),
    ("device", "spec.yaml", DEVICE, "is a device"),
    ("directory", "spec.yaml", DIR, "is a directory"),
    ("sparse-200mb", "spec.yaml", SPARSE, "safeload.MAX_FILE_BYTES"),
    ("binary", "spec.yaml", bytes(range(256)), "not UTF-8"),
    ("invalid-json", "spec.json", b'{"swagger": ', "not valid JSON"),
    ("two-documents", "spec.yaml", b"swagger: '2.0'\n---\nswagger: '2.0'\n", "2 YAML documents"),
    ("top-level-list", "spec.yaml", b"- swagger: '2.0'\n", "not a mapping"),
    (
        "unsafe-tag",
        "spec.yaml",
        b"swagger: !!python/object/apply:os.system ['true']\n",
        "not valid YAML",
    ),
]

#: (id, file name, content, fragment) for `batchkeys serve --config`.
CONFIGS: Final[list[tuple[str, str, Content, str]]] = [
    (
        "alias-bomb",
        "sim.yaml",
        billion_laughs().replace(b"interactions: ", b"tenants: "),
        "safeload.MAX_NODES",
    ),
    ("recursive-alias", "sim.yaml", b"tenants: &t [*t]\n", "recursive"),
    ("deep-json", "sim.json", deep_json(100_000, "tenants"), "safeload.MAX_DEPTH"),
    ("deep-yaml", "sim.yaml", b"tenants: " + b"[" * 500 + b"]" * 500, "safeload.MAX_DEPTH"),
    ("huge-int", "sim.yaml", b"seed: " + _HUGE_INT.encode() + b"\n", "4300 digits"),
    ("fifo", "sim.yaml", FIFO, "named pipe (FIFO)"),
    ("device", "sim.yaml", DEVICE, "is a device"),
    ("directory", "sim.yaml", DIR, "is a directory"),
    ("sparse-200mb", "sim.yaml", SPARSE, "safeload.MAX_FILE_BYTES"),
    ("region-crlf", "sim.yaml", b'region: "EAST\\r\\nX-Injected: yes"\n', "control character"),
    ("tenant-lf", "sim.yaml", b'tenants: ["a\\nb"]\n', "tenants[0]"),
    (
        "error-code-crlf",
        "sim.yaml",
        b'errors: {internal_error: {status: 500, code: "A\\r\\nB: c"}}\n',
        "errors.internal_error.code",
    ),
    ("unknown-key", "sim.yaml", b"regoin: EAST\n", "unknown key"),
    ("wrong-type", "sim.yaml", b"token_lifetime: soon\n", "expected int"),
    ("binary", "sim.yaml", bytes(range(256)), "cannot read it"),
    ("invalid-yaml", "sim.yaml", b"region: [\n", "not valid YAML"),
]

#: (id, pytest arguments, environment, fragment) for plugin settings (all exit 4).
SETTINGS: Final[list[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...], str]]] = [
    ("record-mode-bogus", ("--batch-record=bogus",), (), "--batch-record"),
    ("cloud-bogus", ("--batch-cloud=moon",), (), "moon"),
    ("timeout-negative", ("--batch-timeout=-1",), (), "--batch-timeout"),
    ("timeout-text", ("--batch-timeout=soon",), (), "--batch-timeout"),
    ("contract-env-maybe", (), (("BATCHKEYS_CONTRACT", "maybe"),), "BATCHKEYS_CONTRACT"),
    ("spec-missing", ("--batch-spec=nowhere.yaml",), (), "does not exist"),
    ("spec-env-fifo", (), (("BATCHKEYS_SPEC", "{dir}/spec.yaml"),), "named pipe (FIFO)"),
]

_LISTKEYS: Final = (
    f"/subscriptions/{placeholders.SUBSCRIPTION_ID}/resourceGroups/{placeholders.RESOURCE_GROUP}"
    f"/providers/Microsoft.Batch/batchAccounts/{placeholders.ACCOUNT_NAME}/listKeys"
    "?api-version=2024-07-01"
)


def _post(headers: str, body: bytes) -> bytes:
    return (
        f"POST {_LISTKEYS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n{headers}\r\n"
    ).encode() + body


#: (id, raw request, expected status (0: connection closed without an answer), fragment).
HTTP: Final[list[tuple[str, bytes, int, str]]] = [
    ("http-0.9-simple", b"GET /\r\n", 400, "HTTP/0.9 is not supported"),
    ("http-0.9-explicit", b"GET / HTTP/0.9\r\n\r\n", 400, "HTTP/0.9 is not supported"),
    ("http-2.0-line", b"GET / HTTP/2.0\r\n\r\n", 400, "Malformed HTTP request"),
    ("garbage-line", b"\x16\x03\x01\x02\x00\x01\x00\r\n\r\n", 400, "Malformed HTTP request"),
    ("four-words", b"GET / HTTP/1.1 extra\r\n\r\n", 400, "Malformed HTTP request"),
    (
        "chunk-size-not-hex",
        _post("Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
        400,
        "chunked transfer encoding is invalid",
    ),
    (
        "chunk-size-negative",
        _post("Transfer-Encoding: chunked\r\n", b"-5\r\nabc\r\n0\r\n\r\n"),
        400,
        "chunked transfer encoding is invalid",
    ),
    ("content-length-text", _post("Content-Length: lots\r\n", b""), 413, "larger than"),
    ("content-length-huge", _post("Content-Length: 99999999999\r\n", b""), 413, "larger than"),
    (
        "method-put",
        b"PUT " + _LISTKEYS.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        405,
        "does not support http method",
    ),
    (
        "unknown-path",
        b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        404,
        "is not served",
    ),
    # http.server keeps a header line without a colon as a defect; the path decides the answer
    ("header-no-colon", b"POST /x HTTP/1.1\r\nHost x\r\n\r\n", 404, "is not served"),
]


def _cassette_cases() -> list[Case]:
    cases = []
    for name, content, replay, tools in CASSETTES:
        cases.append(Case(f"replay/{name}", "pytest", ((CASSETTE, content),), (), 1, replay))
        if not tools:
            continue
        file = ("bad.yaml", content)
        cases.append(Case(f"verify/{name}", "cli", (file,), ("verify", "{dir}/bad.yaml"), 2, tools))
        cases.append(Case(f"scrub/{name}", "cli", (file,), ("scrub", "{dir}/bad.yaml"), 2, tools))
    for name, body, fragment in BODIES:
        content = _cassette(_good(body=body))
        file = ("bad.yaml", content)
        cases.append(Case(f"replay/{name}", "pytest", ((CASSETTE, content),), (), 0, "1 passed"))
        cases.append(
            Case(f"verify/{name}", "cli", (file,), ("verify", "{dir}/bad.yaml"), 1, fragment)
        )
        args = ("scrub", "{dir}/bad.yaml")
        cases.append(Case(f"scrub/{name}", "cli", (file,), args, 0, "0 changed"))
    for name, file_name, content, fragment in RECORDINGS:
        file = (file_name, content)
        target = f"{{dir}}/{file_name}"
        cases.append(Case(f"verify/{name}", "cli", (file,), ("verify", target), 2, fragment))
        cases.append(Case(f"scrub/{name}", "cli", (file,), ("scrub", target), 2, fragment))
    return cases


def all_cases() -> list[Case]:
    """Every case of the corpus, ids unique."""
    cases = _cassette_cases()
    for name, file_name, content, fragment in SPECS:
        args = (f"--batch-spec={{dir}}/{file_name}",)
        cases.append(Case(f"spec/{name}", "pytest", ((file_name, content),), args, 4, fragment))
    for name, file_name, content, fragment in CONFIGS:
        args = ("serve", "--config", f"{{dir}}/{file_name}")
        cases.append(
            Case(f"serve-config/{name}", "cli", ((file_name, content),), args, 2, fragment)
        )
    for name, args, env, fragment in SETTINGS:
        files: tuple[tuple[str, Content], ...] = (("spec.yaml", FIFO),) if "fifo" in name else ()
        cases.append(Case(f"settings/{name}", "pytest", files, args, 4, fragment, env=env))
    for name, request, status, fragment in HTTP:
        cases.append(Case(f"http/{name}", "http", (), (), status, fragment, request=request))
    return cases


# --- running -----------------------------------------------------------------------------------


def place(directory: Path, case: Case) -> None:
    """Create the case's files under `directory`."""
    for relative, content in case.files:
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == DIR:
            path.mkdir()
            (path / "keep.txt").write_text("not a cassette")
        elif content == FIFO:
            os.mkfifo(path)
        elif content == DEVICE:
            path.symlink_to(os.devnull)
        elif content == SPARSE:
            with open(path, "wb") as handle:
                handle.truncate(200 * 1024 * 1024)
        else:
            assert isinstance(content, bytes)
            path.write_bytes(content)


def snapshot(directory: Path, case: Case) -> dict[str, Any]:
    """What the case's files are now (bytes, or their kind), to prove nothing changed."""
    seen: dict[str, Any] = {}
    for relative, _ in case.files:
        path = directory / relative
        mode = path.lstat().st_mode
        if stat.S_ISREG(mode) and path.stat().st_size < 10 * 1024 * 1024:
            seen[relative] = (path.read_bytes(), path.stat().st_mtime_ns)
        elif stat.S_ISDIR(mode):
            seen[relative] = sorted(p.name for p in path.iterdir())
        else:
            seen[relative] = (stat.S_IFMT(mode), path.lstat().st_size)
    return seen


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of files whose snapshot differs."""
    return [name for name in before if before[name] != after.get(name)]


def expand(args: tuple[str, ...], directory: Path) -> list[str]:
    """Arguments with {dir} replaced by the case's directory."""
    return [arg.replace("{dir}", str(directory)) for arg in args]


def send_raw(port: int, request: bytes) -> tuple[int, str]:
    """(status, whole answer) for a raw request; status 0 if the server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIME_LIMIT) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks).decode("latin-1")
    first = answer.split("\r\n", 1)[0].split()
    status = int(first[1]) if len(first) > 1 and first[0].startswith("HTTP/") else 0
    return status, answer


def timed(action: Callable[[], tuple[int, str]]) -> tuple[int, str, float]:
    """(code, output, seconds) of one run."""
    start = time.perf_counter()
    code, output = action()
    return code, output, time.perf_counter() - start
