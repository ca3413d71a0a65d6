"""The one table of encodings a secret can be written in, shared by every part that looks for one.

Each row names a form, says how a value is written in that form (`encode`, used by the leak
guard and the output redactor, which know the values) and how an account key written in that
form is found without knowing it (`find`/`decode`, used by `batchkeys verify`, which does not).
JSON escapes and percent-encoding of single characters are matched on top of every form by the
registry's patterns (`leakguard.value_pattern`); the rows here are the forms that change the text
as a whole.
"""

from __future__ import annotations

import ast
import base64
import binascii
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote

#: A key-like secret (base64 of at least this many bytes) also counts in its decoded forms.
MIN_DECODED_BYTES: Final = 16
#: Any run of this many characters of a key's forms is treated as the key (an edited copy).
FRAGMENT_LENGTH: Final = 16
#: Azure Batch account keys are base64 of this many bytes (88 characters with padding).
ACCOUNT_KEY_BYTES: Final = 64

_B64 = "A-Za-z0-9+/"
_B64URL = "A-Za-z0-9_-"


def decoded_bytes(value: str) -> bytes | None:
    """The bytes a base64 (standard or url-safe, padded or not) value decodes to, else None."""
    if len(value) < 4 or not re.fullmatch(rf"[{_B64}_-]+={{0,2}}", value):
        return None
    text = value.rstrip("=").translate(str.maketrans("-_", "+/"))
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode().rstrip("=") != text.rstrip("="):
        return None  # not canonical: ordinary text that happens to use the alphabet
    return raw if len(raw) >= MIN_DECODED_BYTES else None


def bytes_repr(raw: bytes) -> str:
    """What Python shows for the bytes between the quotes of b'...' (locals, -vv diffs)."""
    return repr(raw)[2:-1]


def _unpadded(value: str) -> str | None:
    return value.rstrip("=") if decoded_bytes(value) is not None else None


def _urlsafe(value: str) -> str | None:
    return value.translate(str.maketrans("+/", "-_")) if decoded_bytes(value) else None


def _urlsafe_unpadded(value: str) -> str | None:
    form = _urlsafe(value)
    return form.rstrip("=") if form else None


def _url_twice(value: str) -> str:
    return quote(quote(value, safe=""), safe="")


def _base64_of(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode()


def _base64_of_url_encoded(value: str) -> str:
    return _base64_of(quote(value, safe=""))


def _hex_of_decoded(value: str) -> str | None:
    raw = decoded_bytes(value)
    return raw.hex() if raw else None


def _repr_of_decoded(value: str) -> str | None:
    raw = decoded_bytes(value)
    return bytes_repr(raw) if raw else None


def _repr_escaped(value: str) -> str | None:
    form = _repr_of_decoded(value)
    return form.replace("\\", "\\\\") if form and "\\" in form else None


def _as_key(text: str) -> str | None:
    """`text` as a standard padded base64 account key, if it is one."""
    raw = decoded_bytes(text)
    if raw is None or len(raw) != ACCOUNT_KEY_BYTES:
        return None
    return base64.b64encode(raw).decode()


def _from_hex(text: str) -> str | None:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return base64.b64encode(raw).decode() if len(raw) == ACCOUNT_KEY_BYTES else None


def _from_repr(text: str) -> str | None:
    try:
        raw = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(raw, bytes) and len(raw) == ACCOUNT_KEY_BYTES:
        return base64.b64encode(raw).decode()
    return None


def _from_base64_text(text: str) -> str | None:
    """A key inside base64-wrapped text (base64 of the key, of its url-encoded form...)."""
    raw = decoded_bytes(text)
    if raw is None or not raw.isascii():
        return None
    inner = raw.decode("ascii")
    for candidate in (inner, unquote(inner), unquote(unquote(inner))):
        key = _as_key(candidate)
        if key:
            return key
    return None


_EDGE_B = rf"(?<![{_B64}_=-])"
_EDGE_A = rf"(?![{_B64}=_-])"


@dataclass(frozen=True)
class Encoding:
    """One row: a form's name, how a value is written in it, how a key in it is found."""

    name: str
    encode: Callable[[str], str | None]
    find: re.Pattern[str] | None = None
    decode: Callable[[str], str | None] = _as_key
    #: True if runs of FRAGMENT_LENGTH characters of this form count as the key.
    fragments: bool = True


#: Every form, in one place. The guard and the redactor use `encode`; verify uses `find`.
ENCODINGS: Final[tuple[Encoding, ...]] = (
    Encoding("raw", lambda v: v, re.compile(rf"{_EDGE_B}[{_B64}]{{86}}=={_EDGE_A}")),
    Encoding("unpadded", _unpadded, re.compile(rf"{_EDGE_B}[{_B64}]{{86}}{_EDGE_A}")),
    Encoding("url-safe", _urlsafe, re.compile(rf"{_EDGE_B}[{_B64URL}]{{86}}(?:==)?{_EDGE_A}")),
    Encoding("url-safe-unpadded", _urlsafe_unpadded),
    Encoding("url-encoded", lambda v: quote(v, safe="")),
    Encoding("url-encoded-twice", _url_twice),
    Encoding(
        "base64",
        _base64_of,
        re.compile(rf"{_EDGE_B}[{_B64}]{{112,}}={{0,2}}{_EDGE_A}"),
        _from_base64_text,
    ),
    Encoding("base64-of-url-encoded", _base64_of_url_encoded),
    Encoding(
        "hex-of-decoded",
        _hex_of_decoded,
        re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{128}(?![0-9A-Fa-f])"),
        _from_hex,
    ),
    Encoding(
        "bytes-repr",
        _repr_of_decoded,
        re.compile(r"""b'(?:[^'\\\n]|\\.){64,256}'|b"(?:[^"\\\n]|\\.){64,256}\""""),
        _from_repr,
    ),
    Encoding("bytes-repr-escaped", _repr_escaped),
)


def encoded_forms(value: str) -> dict[str, str]:
    """{form name: text} for every row that applies to `value` (duplicates dropped)."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    for encoding in ENCODINGS:
        form = encoding.encode(value)
        if form and form not in seen:
            seen.add(form)
            found[encoding.name] = form
    return found


#: Rows matched whole, with single-character escapes on top, by the guard and the scrubber; the
#: bytes repr rows are matched by runs of their characters only (no letters-and-digits anchor).
WHOLE_FORMS: Final = frozenset(
    {
        "unpadded",
        "url-safe",
        "url-safe-unpadded",
        "url-encoded-twice",
        "base64-of-url-encoded",
        "hex-of-decoded",
    }
)


def whole_forms(value: str) -> dict[str, str]:
    """{form name: text} of the WHOLE_FORMS rows that differ from the value itself."""
    return {
        name: form
        for name, form in encoded_forms(value).items()
        if name in WHOLE_FORMS and form != value
    }


def fragment_sources(value: str) -> list[str]:
    """The forms whose runs of FRAGMENT_LENGTH characters count as the value (key-like only)."""
    if decoded_bytes(value) is None:
        return []
    forms = encoded_forms(value)
    rows = {encoding.name for encoding in ENCODINGS if encoding.fragments}
    sources = [form for name, form in forms.items() if name in rows]
    return [*sources, *(form.upper() for name, form in forms.items() if name == "hex-of-decoded")]


def _json_strings(node: object) -> Iterator[str]:
    """Every string (keys included) inside parsed JSON."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, item in node.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(node, list):
        for item in node:
            yield from _json_strings(item)


def text_variants(text: str) -> list[str]:
    """The text, its JSON strings unescaped, and each url-decoded once and twice (for verify)."""
    found = [text]
    if text.lstrip()[:1] in ("{", "[") and "\\" in text:
        with contextlib.suppress(ValueError):
            found.append("\n".join(_json_strings(json.loads(text))))
    for base in list(found):
        once = unquote(base) if "%" in base else base
        found.extend([once, unquote(once) if "%" in once else once])
    return list(dict.fromkeys(found))


def find_keys(text: str) -> Iterator[tuple[str, str]]:
    """(form name, the standard key) for every account key written in any form of the table."""
    for variant in text_variants(text):
        for encoding in ENCODINGS:
            if encoding.find is None:
                continue
            for match in encoding.find.finditer(variant):
                key = encoding.decode(match[0])
                if key:
                    yield encoding.name, key


#: A key glued to other text, as an error `code` echo does (`InvalidKeyAbc...==`).
GLUED_KEY = re.compile(rf"[{_B64}]{{86}}=={_EDGE_A}")


def find_glued_keys(text: str) -> Iterator[str]:
    """Keys at the end of a longer word (for fields that never hold base64, like error codes)."""
    for variant in text_variants(text):
        for match in GLUED_KEY.finditer(variant):
            key = _as_key(match[0])
            if key:
                yield key


__all__ = [
    "ENCODINGS",
    "FRAGMENT_LENGTH",
    "Encoding",
    "decoded_bytes",
    "encoded_forms",
    "find_glued_keys",
    "find_keys",
    "fragment_sources",
]
