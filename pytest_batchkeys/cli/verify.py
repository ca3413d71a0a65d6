"""`batchkeys verify`: audit recordings made by any tool for secrets and contract violations.

A finding is a secret-shaped value or something the service did wrong; a warning is something a
recording cannot show (dropped headers, a Content-Length from before scrubbing) or a real-looking
subscription id. Output never holds a whole secret, only a fingerprint.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TextIO
from urllib.parse import unquote_plus, urlsplit

from pytest_batchkeys.checks.run import run_recorded_checks
from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.recording.formats import (
    Recording,
    check_recording,
    collect_files,
    crash_message,
    interactions_of,
    load_recording,
)
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.encodings import find_glued_keys, find_keys
from pytest_batchkeys.secrets.leakguard import leaf_texts
from pytest_batchkeys.secrets.scrub import (
    JWT_SHAPE,
    KEY_SHAPE,
    SECRET_PARAM,
    decompress,
    is_placeholder_key,
    parse_json_body,
    unescape,
)

Severity = Literal["finding", "warning"]

#: JSON fields whose non-placeholder values are reported as secrets.
SECRET_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "client_secret", "client_assertion", "password"}
)
#: Fields of an error that never hold base64, where a key glued to a word is still found.
ECHO_FIELDS = frozenset({"code", "message", "target"})
#: Credential texts other recorders write instead of a secret.
PLACEHOLDER_CREDENTIALS = frozenset(
    {"", placeholders.REDACTED, "Sanitized", "sanitized", "fakeKey", "fake", "***", "<redacted>"}
)
#: Subscription ids that are documented examples or placeholders, not real subscriptions.
PLACEHOLDER_SUBSCRIPTIONS = frozenset(
    {placeholders.SUBSCRIPTION_ID, "12345678-1234-1234-1234-123456789012"}
)
#: Contract checks whose failure a recording may cause by dropping headers: warnings, not findings.
RECORDING_LIMITED_CHECKS = frozenset({"request_id_headers_present"})
_HEADER_CHECKS = frozenset({"unauthorized_has_www_authenticate", "throttled_has_retry_after"})
_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})
#: Every field name `_field_secrets` looks at (lower case).
_NAMED_FIELDS = _AUTH_HEADERS | SECRET_FIELDS | ECHO_FIELDS
_NAME = re.compile(r"[^.\[\]>]+")
_SUBSCRIPTION = re.compile(r"(?i)/subscriptions/([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})")
_LISTKEYS = re.compile(r"(?i)/batchAccounts/[^/]+/listKeys/?$")
#: No form of an account key in the encodings table is shorter (67: bytes repr), nor is a
#: key-shaped value; shorter texts skip those scans (tests derive it from the patterns).
SHORTEST_KEY_FORM: Final = 64


@dataclass(frozen=True)
class Issue:
    """One row of the report; message and fingerprint never hold a whole secret."""

    severity: Severity
    file: str
    location: str
    kind: str
    fingerprint: str
    message: str


def fingerprint(value: str) -> str:
    """A secret's fingerprint: at most 4 leading characters, its length, a sha256 prefix."""
    prefix = value[:4] if len(value) >= 16 else ""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}…len={len(value)},sha256:{digest}"


def _redact_shapes(text: str) -> str:
    """Text with key-shaped values and JWTs replaced (for messages built from recorded data)."""
    return JWT_SHAPE.sub(placeholders.REDACTED, KEY_SHAPE.sub(placeholders.REDACTED, text))


# --- secret scan ---------------------------------------------------------------------------------


def _shape_secrets(text: str) -> Iterator[tuple[str, str, str]]:
    """(kind, value, message) for key-shaped values, JWTs and form/query secrets in one text.

    Each scan runs only on texts that can match it (long enough, holding `eyJ` or `=`): most
    leaves of a recording are short header values.
    """
    if len(text) >= SHORTEST_KEY_FORM:
        for match in KEY_SHAPE.finditer(text):
            if not is_placeholder_key(match[0]):
                yield "account-key", unescape(match[0]), "base64 of 64 bytes (an account key?)"
        for form, key in find_keys(text):
            if not is_placeholder_key(key):
                yield "account-key", key, f"an account key, written {form}"
    if "eyJ" in text:
        for match in JWT_SHAPE.finditer(text):
            yield "bearer-token", match[0], "JWT-shaped token"
    if "=" not in text:
        return
    for match in SECRET_PARAM.finditer(text):
        value = unquote_plus(match[3])
        if value not in PLACEHOLDER_CREDENTIALS:
            yield "client-secret", value, f"'{match[2]}' in a form body or query string"


@functools.lru_cache(maxsize=4096)
def _last_name(path: str) -> str:
    """The last field name of a leaf path (list indexes skipped)."""
    names = [name for name in _NAME.findall(path) if not name.isdigit()]
    return names[-1] if names else ""


def _field_secrets(name: str, text: str, depth: int = 0) -> Iterator[tuple[str, str, str]]:
    """(kind, value, message) for credentials found by name: header or JSON field.

    `name` is the last field name of the text's path; JSON inside the text is searched too.
    """
    lowered = name.lower()
    if lowered in _AUTH_HEADERS:
        credential = text.partition(" ")[2] or text
        if credential not in PLACEHOLDER_CREDENTIALS and len(credential) >= 8:
            yield "authorization", credential, f"credential in the {name} header"
    elif lowered in SECRET_FIELDS and text not in PLACEHOLDER_CREDENTIALS:
        yield "secret-field", text, f"'{name}' holds a value that is not a placeholder"
    elif lowered in ECHO_FIELDS and len(text) >= SHORTEST_KEY_FORM:
        for key in find_glued_keys(text):
            if not is_placeholder_key(key):
                yield "account-key", key, f"an account key echoed in '{name}'"
    parsed = parse_json_body(text) if depth < 3 else None
    if parsed is not None:
        for sub_path, sub_text in leaf_texts(parsed, ">"):
            yield from _field_secrets(_last_name(sub_path) or name, sub_text, depth + 1)


def _subscription_warnings(text: str) -> Iterator[str]:
    """Real-looking (not placeholder) subscription ids in one text."""
    for match in _SUBSCRIPTION.finditer(text):
        sub = match[1].lower()
        if sub not in PLACEHOLDER_SUBSCRIPTIONS and len(set(sub.replace("-", ""))) > 1:
            yield sub


Findings = tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]
#: Texts up to this length have their findings remembered for the rest of the run: recordings
#: repeat URIs, header values and (scrubbed) bodies, within a file and from file to file.
_MEMO_TEXT_CHARS: Final = 4096


def _text_findings(name: str, text: str) -> Findings:
    """((kind, value, message) secrets, real-looking subscription ids) of one named text."""
    named = name.lower() in _NAMED_FIELDS or text.lstrip()[:1] in ("{", "[")
    fields = _field_secrets(name, text) if named else ()
    return (*_shape_secrets(text), *fields), tuple(_subscription_warnings(text))


_memo_findings = functools.lru_cache(maxsize=4096)(_text_findings)


def scan_secrets(recording: Recording, file: str) -> list[Issue]:
    """Secret-shaped values anywhere in a recording (compressed bodies decoded), fingerprinted."""
    issues: dict[tuple[str, str], Issue] = {}
    for path, text in leaf_texts(recording.data):
        name = _last_name(path)
        found = _memo_findings if len(text) <= _MEMO_TEXT_CHARS else _text_findings
        secrets, subscriptions = found(name, text)
        for kind, value, message in secrets:
            key = (path, fingerprint(value))
            issues.setdefault(key, Issue("finding", file, path, kind, key[1], message))
        for sub in subscriptions:
            key = (path, sub)
            message = "real-looking subscription id; scrub it if it identifies your tenant"
            issues.setdefault(key, Issue("warning", file, path, "subscription-id", "", message))
    return list(issues.values())


# --- contract checks ---------------------------------------------------------------------------


def is_listkeys(interaction: dict[str, Any]) -> bool:
    """True for a recorded POST .../batchAccounts/{name}/listKeys exchange."""
    request = interaction.get("request") or {}
    method, uri = str(request.get("method") or ""), str(request.get("uri") or "")
    return method.upper() == "POST" and bool(_LISTKEYS.search(urlsplit(uri).path))


def _response_body(interaction: dict[str, Any]) -> tuple[bytes, bool]:
    """(stored response body bytes, whether they are still compressed on the wire)."""
    response = interaction.get("response") or {}
    body = response.get("body")
    raw = body.get("string") if isinstance(body, dict) else body
    data = raw if isinstance(raw, bytes) else str(raw or "").encode("utf-8")
    encoded = any(k.lower() == "content-encoding" for k in (response.get("headers") or {}))
    return data, encoded


def _header(interaction: dict[str, Any], name: str) -> str | None:
    """The first recorded value of a response header (any case)."""
    for key, values in ((interaction.get("response") or {}).get("headers") or {}).items():
        if key.lower() == name:
            return str(values[0] if isinstance(values, list) and values else values)
    return None


def _content_length_warning(interaction: dict[str, Any]) -> str | None:
    """A message if the recorded Content-Length does not match the stored body."""
    declared = _header(interaction, "content-length")
    if declared is None or not declared.strip().isdigit():
        return None
    data, _ = _response_body(interaction)
    if int(declared) == len(data):
        return None
    return (
        f"recorded Content-Length {int(declared)} but the stored body has {len(data)} bytes "
        "(a recorder changed the body after recording, e.g. by scrubbing)"
    )


def _with_placeholder_keys_as_fakes(interaction: dict[str, Any]) -> dict[str, Any]:
    """A copy whose placeholder keys (fakeKey, Sanitized...) read as the fake keys of our shape."""
    data, encoded = _response_body(interaction)
    plain = decompress(data, "gzip" if encoded else None) if encoded else None
    text = (plain if plain is not None else data).decode("utf-8", errors="replace")
    if plain is None and "\\" not in text and not _FOREIGN_WORDS.search(text):
        return interaction  # no placeholder, even escaped, can be in it: skip parsing it here
    body = parse_json_body(text)
    if not isinstance(body, dict):
        return interaction
    fakes = {"primary": placeholders.FAKE_PRIMARY_KEY, "secondary": placeholders.FAKE_SECONDARY_KEY}
    foreign = placeholders.KNOWN_KEY_PLACEHOLDERS - set(fakes.values())
    changed = {k: fakes[k] for k in fakes if body.get(k) in foreign}
    if not changed and plain is None:
        return interaction
    response = dict(interaction["response"])
    response["body"] = {"string": json.dumps({**body, **changed})}
    response["headers"] = {
        k: v for k, v in (response.get("headers") or {}).items() if k.lower() != "content-encoding"
    }
    return {**interaction, "response": response}


#: Every placeholder key other recorders write, as a literal word to look for in a body.
_FOREIGN_WORDS: Final = re.compile(
    "|".join(
        re.escape(word)
        for word in sorted(
            placeholders.KNOWN_KEY_PLACEHOLDERS
            - {placeholders.FAKE_PRIMARY_KEY, placeholders.FAKE_SECONDARY_KEY}
        )
    )
)


def _contract_issues(interaction: dict[str, Any], file: str, location: str) -> list[Issue]:
    """Findings (what the service did wrong) and warnings (what a recording cannot show)."""
    issues: list[Issue] = []
    warning = _content_length_warning(interaction)
    if warning:
        issues.append(Issue("warning", file, location, "content-length", "", warning))
    status = int(((interaction.get("response") or {}).get("status") or {}).get("code") or 0)
    if status >= 500:
        message = f"server error {status}: the service failed instead of answering"
        issues.append(Issue("finding", file, location, "contract", "", message))
    headerless = not (interaction.get("response") or {}).get("headers")
    checked = run_recorded_checks(
        _with_placeholder_keys_as_fakes(interaction), redact=_redact_shapes
    )
    for failure in checked.failures:
        limited = failure.check in RECORDING_LIMITED_CHECKS or (
            headerless and failure.check in _HEADER_CHECKS
        )
        text = f"{failure.title}: expected {failure.expected}; got {failure.actual}"
        if limited:
            text += " (the recording may have dropped it)"
        severity: Severity = "warning" if limited else "finding"
        issues.append(Issue(severity, file, location, failure.check, "", _redact_shapes(text)))
    return issues


def _interaction_root(recording: Recording) -> str:
    """The name of the list holding exchanges in this format."""
    return "Entries" if recording.kind == "test-proxy" else "interactions"


def verify_recording(recording: Recording, file: str) -> tuple[list[Issue], int]:
    """(issues, number of listKeys exchanges checked) for one loaded recording."""
    issues = scan_secrets(recording, file)
    root, exchanges = _interaction_root(recording), 0
    for index, interaction in enumerate(interactions_of(recording)):
        if is_listkeys(interaction):
            exchanges += 1
            issues.extend(_contract_issues(interaction, file, f"{root}[{index}]"))
    return issues, exchanges


# --- command -------------------------------------------------------------------------------------


@dataclass
class Report:
    """Everything one verify run found."""

    files: int = 0
    exchanges: int = 0
    issues: list[Issue] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        """2 if any input was unusable, else 1 if any finding, else 0 (warnings allowed)."""
        if self.errors:
            return 2
        return 1 if any(i.severity == "finding" for i in self.issues) else 0


def run_verify(paths: list[str]) -> Report:
    """Verify every recording under `paths`."""
    files, errors = collect_files(paths)
    report = Report(errors=list(errors))
    _memo_findings.cache_clear()  # remembered within one run only
    for path in files:
        try:
            recording = load_recording(path)
            check_recording(recording)
            issues, exchanges = verify_recording(recording, str(path))
        except CassetteError as exc:
            report.errors.append(exc.message)
            continue
        except Exception as exc:  # a crash on one file is exit 2 for that file, never exit 1
            report.errors.append(crash_message(path, exc))
            continue
        report.files += 1
        report.exchanges += exchanges
        report.issues.extend(issues)
    return report


def _summary(report: Report) -> str:
    """One line: files, exchanges, findings, warnings, errors."""
    issues = report.issues
    findings = sum(i.severity == "finding" for i in issues)
    return (
        f"{report.files} file(s), {report.exchanges} listKeys exchange(s): "
        f"{findings} finding(s), {len(issues) - findings} warning(s), "
        f"{len(report.errors)} unreadable input(s)"
    )


def render_table(report: Report) -> str:
    """The report as aligned columns: severity, file, location, kind, fingerprint, message."""
    header = ("SEVERITY", "FILE", "LOCATION", "KIND", "FINGERPRINT", "MESSAGE")
    rows = [header] + [
        (i.severity, i.file, i.location, i.kind, i.fingerprint or "-", i.message)
        for i in report.issues
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + f"  {row[-1]}"
        for row in rows
    ]
    lines = lines if len(rows) > 1 else []
    lines += [f"ERROR {error}" for error in report.errors]
    return "\n".join([*lines, _summary(report)])


def render_json(report: Report) -> str:
    """The report as JSON: summary, issues and errors."""
    issues = report.issues
    data = {
        "files": report.files,
        "exchanges": report.exchanges,
        "findings": sum(i.severity == "finding" for i in issues),
        "warnings": sum(i.severity == "warning" for i in issues),
        "issues": [asdict(issue) for issue in issues],
        "errors": report.errors,
        "exit_code": report.exit_code(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def verify_main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `batchkeys verify`; exit 0 clean, 1 findings, 2 unreadable or unsupported input."""
    report = run_verify([str(Path(p)) for p in args.paths])
    stream = out or sys.stdout
    text = (
        render_json(report) if getattr(args, "format", "table") == "json" else render_table(report)
    )
    print(text, file=stream)
    return report.exit_code()
