"""Read and write the recording formats `verify` and `scrub` understand, keeping each file's format.

Formats: vcrpy cassettes (YAML or JSON serializer) and Azure SDK test-proxy recordings (JSON with
`Entries`). Test-proxy entries are viewed as vcrpy-style interaction dicts so one scrubber and one
set of checks serve both; converting back restores the test-proxy shape.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.recording.atomic import write_atomic
from pytest_batchkeys.recording.validate import check_cassette, check_interactions
from pytest_batchkeys.safeload import (
    LoadRefused,
    check_regular_file,
    json_load,
    read_bytes,
    yaml_dump,
    yaml_load,
)

Kind = Literal["vcr-yaml", "vcr-json", "test-proxy"]

#: File name endings searched for when a directory is given.
RECORDING_SUFFIXES = (".yaml", ".yml", ".json")

_PROXY_FIELDS = (
    "RequestUri",
    "RequestMethod",
    "RequestHeaders",
    "RequestBody",
    "StatusCode",
    "ResponseHeaders",
    "ResponseBody",
)
_META = "test_proxy"


@dataclass(frozen=True)
class Recording:
    """One loaded recording file: its format and its data (the top-level mapping)."""

    path: Path
    kind: Kind
    data: dict[str, Any]
    indent: int = 4
    final_newline: bool = True


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """Recording files under `paths` (directories searched recursively), one error per bad path."""
    files: list[Path] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in RECORDING_SUFFIXES)
            files.extend(p for p in found if p.is_file())
        elif path.is_file():
            files.append(path)
        elif path.exists():
            try:
                check_regular_file(path)
            except LoadRefused as exc:
                errors.append(str(exc))
        else:
            errors.append(f"{path}: no such file or directory")
    return list(dict.fromkeys(files)), errors


def crash_message(path: str | os.PathLike[str], exc: BaseException) -> str:
    """The error line for a file a command failed on unexpectedly; the file was not written."""
    # Only the exception's type is shown: its text could quote a secret from the file.
    return (
        f"{path}: could not be processed ({type(exc).__name__}); the file was left unchanged. "
        "This is a bug in pytest-batchkeys: please report it with the file's shape (not its "
        "secrets)."
    )


def _read_text(path: Path) -> str:
    """The file's text, or CassetteError saying why it cannot be read."""
    try:
        return read_bytes(path).decode("utf-8")
    except LoadRefused as exc:
        raise CassetteError(str(exc)) from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: not UTF-8 text (a binary file?)") from None


def _parse(path: Path, text: str) -> tuple[Any, bool]:
    """(data, is_json): JSON for .json files or text starting with '{', else YAML."""
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            return json_load(text, source=str(path)), True
        except LoadRefused as exc:
            raise CassetteError(str(exc)) from None
        except json.JSONDecodeError as exc:
            if path.suffix.lower() == ".json":
                where = f"line {exc.lineno} column {exc.colno}"
                raise CassetteError(f"{path}: invalid JSON ({exc.msg}, {where})") from None
    try:
        return yaml_load(text, source=str(path)), False
    except LoadRefused as exc:
        raise CassetteError(str(exc)) from None
    except Exception as exc:  # yaml.YAMLError; its str() quotes the file, so only the mark is used
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CassetteError(f"{path}: invalid YAML ({problem}{where})") from None


def _kind(path: Path, data: Any, is_json: bool) -> Kind:
    """The recording format of parsed data, or CassetteError saying why it is not supported."""
    if isinstance(data, list) and data and isinstance(data[0], dict) and "request" in data[0]:
        raise CassetteError(f"{path}: a pre-1.0 vcrpy cassette (a bare list); re-record it")
    if isinstance(data, dict) and isinstance(data.get("interactions"), list):
        return "vcr-json" if is_json else "vcr-yaml"
    if isinstance(data, dict) and isinstance(data.get("Entries"), list):
        return "test-proxy"
    raise CassetteError(
        f"{path}: unsupported content: expected a vcrpy cassette (top-level 'interactions' list) "
        "or an Azure SDK test-proxy recording (top-level 'Entries' list)"
    )


def _indent_of(text: str) -> int:
    """The indentation width of the second line of a pretty-printed JSON text (2 if unknown)."""
    lines = text.splitlines()
    return len(lines[1]) - len(lines[1].lstrip(" ")) if len(lines) > 1 else 2


def parse_recording(path: Path, text: str) -> Recording:
    """Parse recording text (the name picks the format); CassetteError if unusable."""
    data, is_json = _parse(path, text)
    kind = _kind(path, data, is_json)
    indent = _indent_of(text) if kind == "test-proxy" else 4
    return Recording(path, kind, data, indent or 2, text.endswith("\n"))


def load_recording(path: str | os.PathLike[str]) -> Recording:
    """Load one recording file; CassetteError says why it is unreadable or unsupported."""
    target = Path(path)
    return parse_recording(target, _read_text(target))


def dump_recording(recording: Recording) -> str:
    """The recording serialized in its own format."""
    if recording.kind == "vcr-yaml":
        return yaml_dump(recording.data)
    if recording.kind == "vcr-json":
        return json.dumps(recording.data, indent=4) + "\n"
    text = json.dumps(recording.data, indent=recording.indent)
    return text + "\n" if recording.final_newline else text


def save_recording(recording: Recording) -> None:
    """Write the recording atomically (temp file beside it, fsync, rename), keeping its mode."""
    try:
        mode: int | None = recording.path.stat().st_mode & 0o7777
    except OSError:
        mode = None
    write_atomic(recording.path, dump_recording(recording))
    if mode is not None:
        os.chmod(recording.path, mode)


def _body_text(body: Any) -> tuple[Any, str]:
    """A test-proxy body as text for the scrubber, and its original style (object/string/null)."""
    if body is None:
        return None, "null"
    if isinstance(body, dict | list):
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")), "object"
    return body, "string"


def _body_back(text: Any, style: str) -> Any:
    """A scrubbed body in its original test-proxy style."""
    if style == "object" and isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _headers_in(headers: Any) -> tuple[dict[str, list[Any]], str]:
    """Test-proxy headers ({name: value}) as vcrpy headers ({name: [values]}), with their style."""
    if not isinstance(headers, dict):
        return {}, "none"
    style = "list" if any(isinstance(v, list) for v in headers.values()) else "str"
    return {k: list(v) if isinstance(v, list) else [v] for k, v in headers.items()}, style


def _headers_out(headers: dict[str, list[Any]], style: str) -> Any:
    """vcrpy-style headers back in the test-proxy style they came in."""
    if style == "list":
        return headers
    if style == "none" and not headers:
        return None
    return {k: ", ".join(str(v) for v in values) for k, values in headers.items()}


def entry_to_interaction(entry: dict[str, Any]) -> dict[str, Any]:
    """A test-proxy entry as a vcrpy-style interaction dict (the original style kept aside)."""
    req_headers, req_style = _headers_in(entry.get("RequestHeaders"))
    resp_headers, resp_style = _headers_in(entry.get("ResponseHeaders"))
    req_body, req_body_style = _body_text(entry.get("RequestBody"))
    resp_body, resp_body_style = _body_text(entry.get("ResponseBody"))
    meta = {
        "styles": [req_style, resp_style, req_body_style, resp_body_style],
        "extra": {k: v for k, v in entry.items() if k not in _PROXY_FIELDS},
        "order": list(entry),
    }
    return {
        "request": {
            "method": entry.get("RequestMethod"),
            "uri": entry.get("RequestUri"),
            "headers": req_headers,
            "body": req_body,
        },
        "response": {
            "status": {"code": entry.get("StatusCode"), "message": ""},
            "headers": resp_headers,
            "body": {"string": resp_body},
        },
        _META: meta,
    }


def interaction_to_entry(interaction: dict[str, Any]) -> dict[str, Any]:
    """The test-proxy entry an interaction from entry_to_interaction (maybe scrubbed) stands for."""
    meta = interaction.get(_META) or {"styles": ["str", "str", "string", "string"], "extra": {}}
    req_style, resp_style, req_body_style, resp_body_style = meta["styles"]
    request, response = interaction["request"], interaction["response"]
    body = response.get("body")
    resp_body = body.get("string") if isinstance(body, dict) else body
    entry = {
        "RequestUri": request.get("uri"),
        "RequestMethod": request.get("method"),
        "RequestHeaders": _headers_out(request.get("headers") or {}, req_style),
        "RequestBody": _body_back(request.get("body"), req_body_style),
        "StatusCode": (response.get("status") or {}).get("code"),
        "ResponseHeaders": _headers_out(response.get("headers") or {}, resp_style),
        "ResponseBody": _body_back(resp_body, resp_body_style),
    }
    merged = {**entry, **meta["extra"]}
    order = meta.get("order") or list(merged)
    return {key: merged[key] for key in order if key in merged}


def interactions_of(recording: Recording) -> list[dict[str, Any]]:
    """The recording's exchanges as vcrpy-style interaction dicts."""
    if recording.kind == "test-proxy":
        return [entry_to_interaction(e) for e in recording.data["Entries"] if isinstance(e, dict)]
    return [i for i in recording.data["interactions"] if isinstance(i, dict)]


def check_recording(recording: Recording) -> None:
    """CassetteError unless replay could use it: the validator replay uses, for every format."""
    where = str(recording.path)
    if recording.kind == "test-proxy":
        check_interactions(where, interactions_of(recording))
    else:
        check_cassette(where, recording.data)


def with_interactions(recording: Recording, interactions: list[dict[str, Any]]) -> Recording:
    """A copy of the recording holding `interactions` instead (test-proxy shape restored)."""
    if recording.kind == "test-proxy":
        entries = [interaction_to_entry(i) for i in interactions]
        return replace(recording, data={**recording.data, "Entries": entries})
    return replace(recording, data={**recording.data, "interactions": interactions})
