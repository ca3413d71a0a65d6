"""The recording scrubber: pure functions over vcrpy-serialized interaction dicts.

Guarantees: the input is never modified; token-endpoint exchanges are dropped; credentials in
headers, JSON bodies, form bodies and query strings become placeholders; each distinct
`primary`/`secondary` value becomes the next numbered fake key (secrets/fakes.py), so a rotation
stays visible; every real identifier and every secret is replaced wherever it
appears (raw, JSON-escaped, url-encoded, base64), all in one pass so no substitution undoes
another; compressed bodies are stored decoded. Scrubbing twice gives the same result as once.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from pytest_batchkeys.safeload import json_load
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.encodings import whole_forms
from pytest_batchkeys.secrets.fakes import assign_fakes, is_fake_key
from pytest_batchkeys.secrets.identifiers import replace_error_guids, replace_identifiers
from pytest_batchkeys.secrets.leakguard import (
    MIN_SECRET_LENGTH,
    PROTECTED_TEXTS,
    MultiMatcher,
    base64_forms,
    folds_case,
)
from pytest_batchkeys.secrets.windows import Windowed

#: Token endpoints: Entra ID / ADFS OAuth2 routes, managed identity, and the login hosts.
DEFAULT_TOKEN_URL_PATTERN = (
    r"(?i)/oauth2/(?:v2\.0/)?(?:token|authorize|devicecode)\b|/msi/token\b"
    r"|^https?://login\.(?:microsoftonline\.[a-z.]+|chinacloudapi\.cn|windows\.net"
    r"|microsoft\.com)(?::\d+)?(?:[/?]|$)"
)

#: JSON fields whose string values are credentials (matched on the whole name, any case).
SECRET_FIELD = re.compile(
    r"(?i)(?:access_?token|refresh_?token|id_?token|client_?secret|client_?assertion|password"
    r"|secret|key|(?:primary|secondary|account|shared|storage|access)_?key|connection_?string"
    r"|sas_?token|sig|signature)"
)
#: Form and query fields whose values are credentials.
_PARAM_NAMES = (
    "client_secret|client_assertion|password|refresh_token|access_token|assertion|code_verifier|sig"
)
SECRET_PARAM = re.compile(rf"(?i)(^|[?&;])({_PARAM_NAMES})=([^&#;\s\"'\\]*)")
#: SECRET_PARAM searched only near each '=' (see secrets/windows.py): same matches, less time.
SECRET_PARAM_SCAN = Windowed(
    SECRET_PARAM,
    ("=",),
    before=1 + max(map(len, _PARAM_NAMES.split("|"))),
    after=1,
    head=re.compile(rf"(?i)(?:^|[?&;])(?:{_PARAM_NAMES})="),
)
_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})
_SECRET_HEADER = re.compile(
    r"(?i)cookie|set-cookie|x-ms-authorization-auxiliary|ocp-apim-subscription-key|(?:x-)?api-key"
    r"|x-functions-key|.*(?:token|secret|password|credential|signature).*"
)
_B64_UNIT = r"(?:[A-Za-z0-9+/]|\\{1,3}u002[bBfF]|\\{1,3}/|%2[bBfF])"
_B64_PAD = r"(?:==|(?:%3[dD]){2}|(?:\\{1,3}u003[dD]){2})"
#: A 64-byte key in base64 (88 characters), also with JSON or url escapes of '+', '/' and '='.
KEY_SHAPE = re.compile(rf"(?<![A-Za-z0-9+/]){_B64_UNIT}{{86}}{_B64_PAD}(?![A-Za-z0-9+/=])")
#: KEY_SHAPE searched only near its padding (the units never hold '=', '%3' or '\u003'): the
#: same matches, less time. The padding's first literal is at most 86 units of 8 characters and
#: 2 backslashes after the match's start, and the padding ends at most 14 characters after it.
KEY_SHAPE_SCAN = Windowed(KEY_SHAPE, ("=", "%3", "\\u003"), before=86 * 8 + 2, after=14)
#: A JSON Web Token: base64url header and payload that both start with '{"'.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_ESCAPE = re.compile(r"\\+u([0-9A-Fa-f]{4})|\\+/|%([0-9A-Fa-f]{2})")
_MAX_DECOMPRESSED = 64 * 1024 * 1024
_PLACEHOLDER_CREDENTIALS = frozenset({placeholders.REDACTED, "Sanitized", "sanitized", ""})
#: JSON fields holding account keys: each distinct value gets its own numbered fake.
KEY_FIELDS = frozenset({"primary", "secondary"})


@dataclass(frozen=True)
class ScrubRules:
    """What to replace: real identifiers by placeholders, extra secrets, token endpoints to drop."""

    replacements: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()
    token_url_pattern: str = DEFAULT_TOKEN_URL_PATTERN


@dataclass(frozen=True)
class ScrubResult:
    """What scrubbing one file did: whether it changed, exchanges dropped, values replaced."""

    changed: bool
    dropped: int
    replaced: int


def unescape(text: str) -> str:
    """Undo JSON \\uXXXX and \\/ escapes and percent-encoding (to compare with placeholders)."""

    def one(match: re.Match[str]) -> str:
        code = match[1] or match[2]
        return chr(int(code, 16)) if code else "/"

    return _ESCAPE.sub(one, text)


def is_placeholder_key(matched: str) -> bool:
    """True if a key-shaped match is one of the known placeholder keys."""
    plain = unescape(matched)
    return plain in placeholders.KNOWN_KEY_PLACEHOLDERS or is_fake_key(plain)


def _encode_like(matched: str, original: str, replacement: str) -> str:
    """`replacement` in the encoding `matched` used for `original` (raw, JSON-escaped, url)."""
    if matched == original or replacement.isalnum():
        return replacement
    if "\\" in matched and "\\" not in original:
        slashes = re.search(r"\\+", matched)[0]  # type: ignore[index]
        return "".join(c if c.isalnum() else f"{slashes}u{ord(c):04X}" for c in replacement)
    if "%" in matched and "%" not in original:
        return quote(replacement, safe="")
    if " " in original and "+" in matched:
        return quote_plus(replacement)
    return replacement


@dataclass(frozen=True)
class _Pair:
    value: str
    replacement: str | None  # None: protected text, kept as matched


@functools.lru_cache(maxsize=64)
def _compile_pairs(
    identifiers: tuple[tuple[str, str], ...], secrets: tuple[tuple[str, str], ...]
) -> tuple[MultiMatcher, tuple[_Pair, ...]]:
    """One matcher over identifiers, secrets (with base64 forms) and protected placeholders."""
    pairs: list[tuple[_Pair, bool]] = [((_Pair(v, new)), True) for v, new in identifiers]
    for value, new in secrets:
        pairs.append((_Pair(value, new), folds_case(value)))
        pairs.extend((_Pair(b64, placeholders.REDACTED), False) for b64 in base64_forms(value))
        pairs.extend(
            (_Pair(form, placeholders.REDACTED), folds_case(form))
            for form in whole_forms(value).values()
        )
    protected = sorted({new for _, new in identifiers} | set(PROTECTED_TEXTS))
    pairs.extend((_Pair(text, None), False) for text in protected if text)
    matcher = MultiMatcher((pair.value, fold) for pair, fold in pairs)
    return matcher, tuple(pair for pair, _ in pairs)


@functools.lru_cache(maxsize=16)
def _token_url(pattern: str) -> re.Pattern[str]:
    """The compiled token-endpoint pattern."""
    return re.compile(pattern)


@dataclass
class _Context:
    """Per-call state: the compiled replacer and counters."""

    matcher: MultiMatcher
    pairs: tuple[_Pair, ...]
    key_fakes: Mapping[str, str] = field(default_factory=dict)
    replaced: int = 0
    dropped: int = 0
    token_url: re.Pattern[str] = field(
        default_factory=lambda: _token_url(DEFAULT_TOKEN_URL_PATTERN)
    )
    identifiers: tuple[tuple[str, str], ...] = ()
    #: Protected texts: matched only so no secret inside one is replaced; they stay as they are.
    inert: frozenset[int] = frozenset()

    def _substitute(self, index: int, matched: str) -> str:
        pair = self.pairs[index]
        if pair.replacement is None:
            return matched
        return _encode_like(matched, pair.value, pair.replacement)

    def _shape(self, match: re.Match[str]) -> str:
        return match[0] if is_placeholder_key(match[0]) else placeholders.REDACTED

    def text(self, value: str) -> str:
        """Identifiers, known secrets, leftover key-shaped values and JWTs replaced."""
        new = self.matcher.sub(value, self._substitute, self.inert)
        new = replace_identifiers(new, self.identifiers)
        new = JWT_SHAPE.sub(placeholders.REDACTED, KEY_SHAPE_SCAN.sub(self._shape, new))
        new = SECRET_PARAM_SCAN.sub(_redact_param, new)
        if new != value:
            self.replaced += 1
        return new


def _redact_param(match: re.Match[str]) -> str:
    """A `name=value` form or query field with its value replaced by the placeholder."""
    if match[3] in _PLACEHOLDER_CREDENTIALS:
        return match[0]
    return f"{match[1]}{match[2]}={placeholders.REDACTED}"


def json_replacement(
    key: str, value: str, key_fakes: Mapping[str, str] | None = None
) -> str | None:
    """The placeholder a JSON string field gets (fake keys for primary/secondary), or None.

    A key gets its numbered fake from `key_fakes` (see `key_fakes_for`); without one, fake 1
    or 2 by field. Values that already are placeholders (ours or other recorders') are kept.
    """
    lowered = key.lower()
    if value in placeholders.KNOWN_KEY_PLACEHOLDERS or is_fake_key(value):
        return None
    if lowered in KEY_FIELDS and key_fakes is not None and value in key_fakes:
        return key_fakes[value]
    if lowered == "primary":
        return placeholders.FAKE_PRIMARY_KEY
    if lowered == "secondary":
        return placeholders.FAKE_SECONDARY_KEY
    if SECRET_FIELD.fullmatch(key) and value not in _PLACEHOLDER_CREDENTIALS:
        return placeholders.REDACTED
    return None


def json_secrets(node: Any) -> Iterator[tuple[str, str, str]]:
    """(field, value, placeholder) for every credential string field, at any depth."""
    if isinstance(node, dict):
        for key, item in node.items():
            if isinstance(item, str):
                new = json_replacement(str(key), item)
                if new is not None and new != item:
                    yield str(key), item, new
            else:
                yield from json_secrets(item)
    elif isinstance(node, list):
        for item in node:
            yield from json_secrets(item)


def _scrub_json(node: Any, key_fakes: Mapping[str, str]) -> Any:
    """A copy of parsed JSON with credential fields replaced by placeholders."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, item in node.items():
            new = json_replacement(str(key), item, key_fakes) if isinstance(item, str) else None
            out[key] = new if new is not None else _scrub_json(item, key_fakes)
        return out
    if isinstance(node, list):
        return [_scrub_json(item, key_fakes) for item in node]
    return node


def _key_field_values(node: Any) -> Iterator[str]:
    """String values of `primary`/`secondary` fields at any depth, in document order."""
    if isinstance(node, dict):
        for key, item in node.items():
            if isinstance(item, str) and str(key).lower() in KEY_FIELDS:
                yield item
            elif not isinstance(item, str):
                yield from _key_field_values(item)
    elif isinstance(node, list):
        for item in node:
            yield from _key_field_values(item)


def key_fakes_for(interactions: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each distinct key value -> its numbered fake, in order of first appearance.

    Keys are the values of `primary`/`secondary` JSON fields, requests before responses,
    interaction by interaction; placeholders keep their value and fakes already present keep
    their number.
    """
    values: list[str] = []
    for interaction in interactions:
        for part in ("request", "response"):
            for text in _body_texts(interaction.get(part)):
                parsed = parse_json_body(text)
                if parsed is not None:
                    values.extend(_key_field_values(parsed))
    keep = placeholders.KNOWN_KEY_PLACEHOLDERS | _PLACEHOLDER_CREDENTIALS
    return assign_fakes(values, keep)


def parse_json_body(text: str) -> Any:
    """The body parsed as JSON when it looks like an object or array, else None."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return json_load(text)  # bounded: a body nested 100,000 deep is "not JSON", no crash
    except ValueError:
        return None


def _dump_like(data: Any, original: str) -> str:
    """JSON text for `data`, compact or spaced like `original` was."""
    compact = '": ' not in original and '", ' not in original
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(data, ensure_ascii=False, separators=separators)


def _header_lookup(headers: Any, name: str) -> str | None:
    """The first value of a header (any case), as text."""
    if not isinstance(headers, dict):
        return None
    for key, values in headers.items():
        if str(key).lower() == name:
            first = values[0] if isinstance(values, list) and values else values
            return first.decode("latin-1") if isinstance(first, bytes) else str(first)
    return None


def _set_header(headers: dict[str, Any], name: str, value: str | None) -> None:
    """Replace (or with None remove) a header in place, keeping its spelling and value style."""
    for key in [k for k in headers if str(k).lower() == name]:
        if value is None:
            del headers[key]
        else:
            headers[key] = [value] if isinstance(headers[key], list) else value


def decompress(data: bytes, encoding: str | None) -> bytes | None:
    """Gunzipped or inflated bytes when the body is compressed (by header or magic), else None."""
    declared = (encoding or "").lower()
    if not (any(word in declared for word in ("gzip", "deflate")) or data[:2] == b"\x1f\x8b"):
        return None
    for wbits in (47, -15):  # 47: gzip or zlib header, detected; -15: raw deflate
        try:
            decoder = zlib.decompressobj(wbits)
            return decoder.decompress(data, _MAX_DECOMPRESSED)
        except zlib.error:
            continue
    return None


def _as_text(body: bytes) -> str | bytes:
    """UTF-8 text when the bytes are text, else the bytes unchanged."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _scrub_text_body(text: str, ctx: _Context) -> str:
    """A text body with JSON credential fields set to placeholders, then secrets replaced.

    Fields first: `primary` and `secondary` get their fixed fakes by name even where the value
    was not collected as a secret, so the shape fallback never turns a key into REDACTED.
    """
    # known identifiers first, so an object id named elsewhere keeps its own placeholder
    new = replace_identifiers(text, ctx.identifiers)
    if new != text:
        ctx.replaced += 1
        text = new
    parsed = parse_json_body(text)
    if parsed is not None:
        scrubbed = replace_error_guids(_scrub_json(parsed, ctx.key_fakes))
        if scrubbed != parsed:
            ctx.replaced += 1
            new = _dump_like(scrubbed, text)
    return ctx.text(new)


def _scrub_body(body: Any, headers: dict[str, Any], ctx: _Context) -> Any:
    """A body (str, bytes or None) scrubbed; compressed bytes are decoded and stored as text."""
    if isinstance(body, bytes):
        plain = decompress(body, _header_lookup(headers, "content-encoding"))
        if plain is not None:
            _set_header(headers, "content-encoding", None)
            body = _as_text(plain)
            ctx.replaced += 1
        if isinstance(body, bytes):
            latin = body.decode("latin-1")
            new_latin = ctx.text(latin)
            return body if new_latin == latin else new_latin.encode("latin-1", errors="replace")
    if isinstance(body, str):
        return _scrub_text_body(body, ctx)
    return body


def _body_length(body: Any) -> int:
    """Length in bytes a stored body has on the wire (text as UTF-8)."""
    if body is None:
        return 0
    return len(body) if isinstance(body, bytes) else len(str(body).encode("utf-8"))


def _scrub_message_body(message: dict[str, Any], ctx: _Context) -> None:
    """Scrub a request or response body in place, whichever shape it is stored in."""
    headers = message.get("headers")
    headers = headers if isinstance(headers, dict) else {}
    body = message.get("body")
    boxed = body if isinstance(body, dict) and "string" in body else None
    raw = boxed["string"] if boxed is not None else body
    if isinstance(raw, dict | list):
        return
    new = _scrub_body(raw, headers, ctx)
    if new is raw or new == raw:
        return
    if boxed is not None:
        boxed["string"] = new
    else:
        message["body"] = new
    if _header_lookup(headers, "content-length") is not None:
        _set_header(headers, "content-length", str(_body_length(new)))


def _drop_stale_encoding(message: dict[str, Any]) -> None:
    """A text body stored already decoded loses its Content-Encoding and gets its own length.

    vcrpy with urllib3 2 stores `response.data` (decoded) but keeps `Content-Encoding: gzip`.
    """
    headers = message.get("headers")
    body = message.get("body")
    raw = body.get("string") if isinstance(body, dict) else body
    if not isinstance(headers, dict) or not isinstance(raw, str):
        return
    if _header_lookup(headers, "content-encoding") is None:
        return
    _set_header(headers, "content-encoding", None)
    if _header_lookup(headers, "content-length") is not None:
        _set_header(headers, "content-length", str(_body_length(raw)))


def _redacted_credential(value: str) -> str:
    """An Authorization value with its credential replaced (the scheme word is kept)."""
    scheme, _, credential = value.partition(" ")
    if (credential or scheme) in _PLACEHOLDER_CREDENTIALS:
        return value
    if credential and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", scheme):
        return f"{scheme} {placeholders.REDACTED}"
    return placeholders.REDACTED_AUTHORIZATION


def _header_value(name: str, value: Any, ctx: _Context) -> Any:
    """One header value scrubbed: credentials by name, then identifiers and secrets anywhere."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if not isinstance(text, str):
        return value
    lowered = name.lower()
    if lowered in _AUTH_HEADERS:
        new = _redacted_credential(text)
    elif _SECRET_HEADER.fullmatch(name):
        new = placeholders.REDACTED
    else:
        return ctx.text(text)
    if new != text:
        ctx.replaced += 1
    return new


def _scrub_headers(message: dict[str, Any], ctx: _Context) -> None:
    """Scrub a message's headers in place ({name: [values]} or {name: value})."""
    headers = message.get("headers")
    if not isinstance(headers, dict):
        return
    for name in list(headers):
        values = headers[name]
        if isinstance(values, list):
            headers[name] = [_header_value(str(name), v, ctx) for v in values]
        else:
            headers[name] = _header_value(str(name), values, ctx)


def _scrub_interaction(interaction: dict[str, Any], ctx: _Context) -> None:
    """Scrub one (already copied) interaction in place."""
    request = interaction.get("request")
    if isinstance(request, dict):
        if isinstance(request.get("uri"), str):
            request["uri"] = ctx.text(request["uri"])
        _scrub_headers(request, ctx)
        _scrub_message_body(request, ctx)
    response = interaction.get("response")
    if isinstance(response, dict):
        _scrub_headers(response, ctx)
        _scrub_message_body(response, ctx)
        _drop_stale_encoding(response)


def _body_texts(message: Any) -> Iterator[str]:
    """The body of a request or response as text (decompressed), if it has one."""
    if not isinstance(message, dict):
        return
    body = message.get("body")
    raw = body.get("string") if isinstance(body, dict) else body
    if isinstance(raw, bytes):
        plain = decompress(raw, _header_lookup(message.get("headers"), "content-encoding"))
        raw = (plain if plain is not None else raw).decode("utf-8", errors="replace")
    if isinstance(raw, str):
        yield raw


def _credentials(message: Any) -> Iterator[tuple[str, str]]:
    """(value, placeholder) for credentials a message carries in headers, bodies or its URI."""
    if not isinstance(message, dict):
        return
    for name, values in (message.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, str):
                continue
            if str(name).lower() in _AUTH_HEADERS:
                yield value.partition(" ")[2] or value, placeholders.REDACTED
            elif _SECRET_HEADER.fullmatch(str(name)):
                yield value, placeholders.REDACTED
    texts = [*_body_texts(message)]
    if isinstance(message.get("uri"), str):
        texts.append(message["uri"])
    for text in texts:
        for match in SECRET_PARAM_SCAN.finditer(text):
            yield unquote_plus(match[3]), placeholders.REDACTED
        parsed = parse_json_body(text)
        if parsed is not None:
            yield from ((value, new) for _, value, new in json_secrets(parsed))


def collect_secrets(interactions: Iterable[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """(value, placeholder) for every credential found by field name, to replace everywhere."""
    found: dict[str, str] = {}
    for interaction in interactions:
        for part in ("request", "response"):
            for value, new in _credentials(interaction.get(part)):
                usable = len(value) >= MIN_SECRET_LENGTH and value not in PROTECTED_TEXTS
                if usable and value not in found:
                    found[value] = new
    return tuple(found.items())


#: ARM's `x-ms-operation-identifier: tenantId=<guid>,objectId=<guid>/<region>/<guid>` (2026).
_OPERATION_IDENTIFIER = re.compile(r"(?i)\btenantId=([^,/\s]+),objectId=([^,/\s]+)")


def operation_identifier_ids(interactions: Iterable[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """(real id, placeholder) for the caller's tenant and object id named in response headers."""
    found: dict[str, str] = {}
    for interaction in interactions:
        response = interaction.get("response")
        headers = response.get("headers") if isinstance(response, dict) else None
        value = _header_lookup(headers, "x-ms-operation-identifier")
        for match in _OPERATION_IDENTIFIER.finditer(value or ""):
            found.setdefault(match[1], placeholders.TENANT_ID)
            found.setdefault(match[2], placeholders.OBJECT_ID)
    return tuple((real, new) for real, new in found.items() if real != new)


def _context(interactions: list[dict[str, Any]], rules: ScrubRules) -> _Context:
    """The compiled replacer for these interactions under these rules."""
    token_url = _token_url(rules.token_url_pattern)
    kept = [i for i in interactions if not _is_token_url(i, token_url)]
    key_fakes = key_fakes_for(kept)
    secrets = dict(collect_secrets(interactions))
    for value, fake in key_fakes.items():
        if len(value) >= MIN_SECRET_LENGTH and value not in PROTECTED_TEXTS:
            secrets[value] = fake
    for value in rules.secrets:
        if len(value) >= MIN_SECRET_LENGTH and value not in PROTECTED_TEXTS:
            secrets.setdefault(value, placeholders.REDACTED)
    identifiers = tuple((real, new) for real, new in rules.replacements if real and real != new)
    named = {real for real, _ in identifiers}
    identifiers += tuple(p for p in operation_identifier_ids(interactions) if p[0] not in named)
    matcher, pairs = _compile_pairs((), tuple(sorted(secrets.items())))
    inert = frozenset(i for i, pair in enumerate(pairs) if pair.replacement is None)
    return _Context(
        matcher, pairs, key_fakes, token_url=token_url, identifiers=identifiers, inert=inert
    )


def _is_token_url(interaction: dict[str, Any], token_url: re.Pattern[str]) -> bool:
    """True if the interaction's request went to a token endpoint."""
    request = interaction.get("request")
    uri = request.get("uri") if isinstance(request, dict) else None
    return isinstance(uri, str) and token_url.search(uri) is not None


def _is_token_exchange(interaction: dict[str, Any], ctx: _Context) -> bool:
    """True if the interaction's request went to a token endpoint."""
    return _is_token_url(interaction, ctx.token_url)


def scrub_counted(
    interactions: list[dict[str, Any]], rules: ScrubRules
) -> tuple[list[dict[str, Any]], int, int]:
    """(scrubbed copies, exchanges dropped, values replaced); the input is left untouched."""
    ctx = _context(interactions, rules)
    kept: list[dict[str, Any]] = []
    for interaction in interactions:
        if _is_token_exchange(interaction, ctx):
            ctx.dropped += 1
            continue
        clone = copy.deepcopy(interaction)
        _scrub_interaction(clone, ctx)
        kept.append(clone)
    return kept, ctx.dropped, ctx.replaced


def scrub_interactions(
    interactions: list[dict[str, Any]], rules: ScrubRules
) -> list[dict[str, Any]]:
    """Scrubbed copies of the interactions (token exchanges dropped); idempotent, deterministic."""
    return scrub_counted(interactions, rules)[0]
