"""Leak guard: remembers the secrets seen in a run and finds them, in any common encoding, in text.

One compiled regular expression covers every registered secret in every form, so a search is a
single pass over the text however many secrets there are. Messages never contain a secret value.
"""

from __future__ import annotations

import base64
import functools
import heapq
import json
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from pytest_batchkeys.errors import SecretLeakError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.encodings import (
    FRAGMENT_LENGTH,
    encoded_forms,
    fragment_sources,
    whole_forms,
)
from pytest_batchkeys.secrets.fakes import is_fake_key

#: Shorter values are not registered: they would match ordinary text everywhere.
MIN_SECRET_LENGTH = 8

#: Text the scrubber writes; a value inside one of these is never treated as a secret.
PROTECTED_TEXTS: frozenset[str] = frozenset(
    {
        *placeholders.KNOWN_KEY_PLACEHOLDERS,
        placeholders.REDACTED,
        placeholders.REDACTED_AUTHORIZATION,
        placeholders.SUBSCRIPTION_ID,
        placeholders.TENANT_ID,
        placeholders.CLIENT_ID,
        placeholders.RESOURCE_GROUP,
        placeholders.ACCOUNT_NAME,
    }
)

_HEX_VALUE = re.compile(r"[0-9A-Fa-f-]+")
_BACKSLASHES = r"\\+"  # one per level of JSON-in-JSON nesting
_FIELD_BEFORE = re.compile(r"""["']?([A-Za-z_][A-Za-z0-9_.\-]{0,60})["']?\s*[:=](?!//)""")
_HINT_WINDOW = 300
_MAX_DECOMPRESSED = 64 * 1024 * 1024


@dataclass(frozen=True)
class Leak:
    """One registered secret found in text: its kind, the encoding it was in, the nearest field."""

    kind: str
    form: str
    field_hint: str


def _hex_insensitive(text: str) -> str:
    """A pattern matching `text` (hex digits and fixed letters) with hex letters in either case."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _u_escape(ch: str) -> str:
    """The JSON \\uXXXX escape of one character (a surrogate pair beyond the BMP)."""
    if ord(ch) < 0x10000:
        return f"\\u{ord(ch):04X}"
    return json.dumps(ch)[1:-1]


def _char_pattern(ch: str, fold_case: bool) -> str:
    """A pattern matching one character of a secret raw, JSON-escaped or percent-encoded."""
    if ch.isascii() and ch.isalnum():
        return f"[{ch.lower()}{ch.upper()}]" if fold_case and ch.isalpha() else ch
    escaped = "".join(_BACKSLASHES + _hex_insensitive(p) for p in _u_escape(ch).split("\\") if p)
    alts = [re.escape(ch), escaped]
    alts.append(_hex_insensitive("".join(f"%{b:02X}" for b in ch.encode("utf-8"))))
    short = json.dumps(ch)[1:-1]
    if short.startswith("\\") and not short.startswith("\\u"):
        alts.append(_BACKSLASHES + re.escape(short[1:]))
    if ch == "/":
        alts.append(_BACKSLASHES + "/")
    if ch == " ":
        alts.extend([r"\+", r"\s+", r"\\\r?\n\s*(?:\\ )?"])
    return "(?:" + "|".join(alts) + ")"


def value_pattern(value: str, *, fold_case: bool = False) -> str:
    """A pattern (no capturing groups) matching `value` raw, JSON-escaped, url-encoded, mixed."""
    return "".join(_char_pattern(ch, fold_case) for ch in value)


def base64_forms(value: str) -> list[str]:
    """Base64 (standard and url-safe, padded and not) of the value's UTF-8 bytes."""
    raw = value.encode("utf-8")
    padded = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    found = [*padded, *(form.rstrip("=") for form in padded)]
    return list(dict.fromkeys(form for form in found if len(form) >= MIN_SECRET_LENGTH))


def folds_case(value: str) -> bool:
    """True for hex-like values (GUIDs): their case carries no meaning, so any case matches."""
    return bool(_HEX_VALUE.fullmatch(value)) and any(c.isalpha() for c in value)


def forms(value: str) -> list[str]:
    """Concrete encodings a secret is commonly stored in; each one is matched by the registry."""
    return list(_forms(value))


@functools.lru_cache(maxsize=4096)
def _forms(value: str) -> tuple[str, ...]:
    """forms(), cached."""
    plain = json.dumps(value, ensure_ascii=False)[1:-1]
    out = [value, plain, json.dumps(value)[1:-1], plain.replace("/", "\\/")]
    out.append(plain.replace("+", "\\u002B"))
    out.append("".join(c if c.isascii() and c.isalnum() else _u_escape(c) for c in value))
    out.extend([quote(value, safe=""), quote_plus(value, safe=""), quote(value)])
    out.extend(base64_forms(value))
    if folds_case(value):
        out.extend([value.lower(), value.upper()])
    return tuple(dict.fromkeys(out))


def classify_form(matched: str, value: str) -> str:
    """Name the encoding of a matched occurrence of `value` (raw, json-escaped, url-encoded...)."""
    if matched == value:
        return "raw"
    if "\\" in matched:
        return "json-escaped"
    if "%" in matched or ("+" in matched and " " in value):
        return "url-encoded"
    if matched.lower() == value.lower():
        return "case-variant"
    return "whitespace-folded"


def field_hint(text: str, start: int) -> str:
    """The name of the field nearest before `start` (a JSON/YAML key, header or query name)."""
    window = text[max(0, start - _HINT_WINDOW) : start]
    names = _FIELD_BEFORE.findall(window)
    return names[-1] if names else "?"


def is_protected(value: str) -> bool:
    """True if `value` is a placeholder or part of one (registering it would flag placeholders)."""
    return is_fake_key(value) or any(value in text for text in PROTECTED_TEXTS)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
_MIN_ANCHOR = 4
_EXPANSION = 16  # the longest encoding of one character: \\\uD83D\\\uDE00 is 14 characters


@dataclass(frozen=True)
class _Needle:
    """One value to find and a literal anchor every form of it contains."""

    value: str
    anchor: str
    fold: bool
    before: int
    after: int
    #: Literals every match starts with (in the text searched: lowered when folding), or None
    #: when a match may start before the anchor.
    probes: tuple[str, ...] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The full pattern, compiled on first use (most values are never near their anchor)."""
        return _pattern(self.value, self.fold)


@functools.lru_cache(maxsize=4096)
def _concrete(value: str, fold: bool, anchor: str) -> tuple[tuple[str, int], ...]:
    """(form, offset of the anchor in it) for the concrete forms, longest first."""
    found = []
    for form in forms(value):
        shown = form.translate(_ASCII_LOWER) if fold else form
        offset = shown.find(anchor)
        if offset >= 0:
            found.append((shown, offset))
    return tuple(sorted(found, key=lambda item: -len(item[0])))


@functools.lru_cache(maxsize=4096)
def _pattern(value: str, fold: bool) -> re.Pattern[str]:
    """The compiled value_pattern (compiling costs about a millisecond per secret)."""
    return re.compile(value_pattern(value, fold_case=fold))


@functools.lru_cache(maxsize=4096)
def _needle(value: str, fold: bool) -> _Needle:
    """A needle for `value`; the anchor is its longest ASCII letters-and-digits run."""
    runs = _ALNUM_RUN.findall(value)
    anchor = max(runs, key=len) if runs else ""
    offset = value.find(anchor) if anchor else 0
    before = offset * _EXPANSION + 64
    after = (len(value) - offset) * _EXPANSION + 64
    shown = anchor.lower() if fold else anchor
    return _Needle(value, shown, fold, before, after, _probes(value, shown, offset))


def _probes(value: str, anchor: str, offset: int) -> tuple[str, ...] | None:
    """What every match of `value` starts with, when its anchor starts it: the anchor and the
    first character of any encoding of the character after it (itself, or the '\\' or '%' of
    an escape; a space may also be written as '+' or any whitespace, so it adds nothing)."""
    if offset or not anchor:
        return None
    following = value[len(anchor) : len(anchor) + 1]
    if following in ("", " "):
        return (anchor,)
    return tuple(anchor + first for first in sorted({following, "\\", "%"}))


def _holds_all(hay: str, anchor: str, held: dict[str, bool]) -> bool:
    """False if a character of `anchor` is nowhere in `hay` (a memchr each, remembered in
    `held`): then the anchor is not there either, and its far slower search is skipped."""
    for ch in anchor:
        if ch not in held:
            held[ch] = ch in hay
        if not held[ch]:
            return False
    return True


def _concrete_span(hay: str, pos: int, needle: _Needle) -> tuple[int, int] | None:
    """The span of a concrete form around an anchor hit: the fast path that needs no regex."""
    for form, offset in _concrete(needle.value, needle.fold, needle.anchor):
        start = pos - offset
        if start >= 0 and hay.startswith(form, start):
            return start, start + len(form)
    return None


def _merged_window(hay: str, pos: int, needle: _Needle) -> tuple[int, int]:
    """(end of one window holding every form around the anchor hit at `pos` and the hits after
    it that start inside the window, last of those hits).

    Windows of nearby hits are merged so one regex search covers them all: a run of anchors (a
    megabyte of 'A' against the 'AAAA==' placeholder) is searched once, not once per position.
    """
    last, high = pos, pos + needle.after
    while True:
        found = hay.rfind(needle.anchor, last + 1, high + len(needle.anchor) - 1)
        if found == -1:
            return high, last
        last, high = found, found + needle.after


class MultiMatcher:
    """Finds many values, each in every encoding, in one text: str.find on anchors, then a regex.

    A combined regular expression would try every value at every position (seconds for a megabyte
    and a hundred secrets); finding a literal anchor first keeps a search near the speed of
    str.find, and the full pattern runs only in a window around each anchor hit.
    """

    def __init__(self, values: Iterable[tuple[str, bool]]) -> None:
        self.values = tuple(values)
        needles = [_needle(value, fold) for value, fold in self.values]
        self._needles = [(i, n) for i, n in enumerate(needles) if len(n.anchor) >= _MIN_ANCHOR]
        slow = [(i, n) for i, n in enumerate(needles) if len(n.anchor) < _MIN_ANCHOR]
        self._slow_index = [i for i, _ in slow]
        self._slow_patterns = [n.pattern for _, n in slow]
        joined = "|".join(f"({n.pattern.pattern})" for _, n in slow)
        self._slow = re.compile(joined) if slow else None

    def _hits(
        self, text: str, among: Callable[[int], bool] = lambda _: True
    ) -> Iterator[tuple[int, int, int]]:
        """(start, end, value index) of every match of the values `among` accepts, overlapping
        ones included.

        No hit is skipped because an earlier one covers its anchor or ends inside it: two
        occurrences may share characters (a raw value ending in a backslash, then its escaped
        form starting with that backslash), and redaction needs the union of both.
        """
        lowered: str | None = None
        held_text: dict[str, bool] = {}
        held_lowered: dict[str, bool] = {}
        for index, needle in self._needles:
            if not among(index):
                continue
            if needle.fold and lowered is None:
                lowered = text.translate(_ASCII_LOWER)
            hay = lowered if needle.fold and lowered is not None else text
            held = held_text if hay is text else held_lowered
            pos = hay.find(needle.anchor) if _holds_all(hay, needle.anchor, held) else -1
            while pos != -1:
                span = _concrete_span(hay, pos, needle)
                if span is not None:
                    yield span[0], span[1], index
                else:
                    high, last = _merged_window(hay, pos, needle)
                    low = max(0, pos - needle.before)
                    starts = _starts(hay, needle.probes, low, high)
                    for start, stop in _overlapping(needle.pattern, text, low, high, starts):
                        yield start, stop, index
                    pos = last  # every hit up to `last` had its whole window searched just now
                pos = hay.find(needle.anchor, pos + 1)
        yield from (hit for hit in self._slow_hits(text) if among(hit[2]))

    def _slow_hits(self, text: str) -> Iterator[tuple[int, int, int]]:
        """Hits of the values without a usable anchor: the combined pattern finds each position
        where one of them matches, then every one of them is tried there (an alternation would
        report only the first value matching at a position)."""
        if self._slow is None:
            return
        found = self._slow.search(text)
        while found is not None:
            start = found.start()
            for index, pattern in zip(self._slow_index, self._slow_patterns, strict=True):
                match = pattern.match(text, start)
                if match is not None:
                    yield start, match.end(), index
            found = self._slow.search(text, start + 1)

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """Matches left to right (where two start together the longer first), without those
        inside an earlier one; a match that overlaps an earlier one and ends after it is kept,
        so the spans returned cover the union of every match."""
        return _chosen(self._hits(text))

    def sub(
        self,
        text: str,
        replace: Callable[[int, str], str],
        inert: frozenset[int] = frozenset(),
    ) -> str:
        """`text` with each match replaced by replace(value index, matched text).

        Overlapping matches are each replaced (their shared characters written once, by the
        first); a match kept as it is (replace returns it unchanged, protected text) that
        overlaps the previous one keeps only its characters after that one. `inert` names
        values `replace` always keeps as they are: while none of the others matches, the text
        comes back unchanged without those being searched for at all.
        """
        if not text:
            return text
        if inert:
            active = list(self._hits(text, lambda index: index not in inert))
            if not active:
                return text
            chosen = _chosen([*active, *self._hits(text, inert.__contains__)])
        else:
            chosen = self.matches(text)
        parts: list[str] = []
        last = 0
        for start, stop, index in chosen:
            matched = text[start:stop]
            new = replace(index, matched)
            if start >= last:
                parts.append(text[last:start])
            elif new == matched:
                new = text[last:stop]
            parts.append(new)
            last = stop
        return "".join(parts) + text[last:] if parts else text


def _chosen(hits: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """MultiMatcher.matches of these hits."""
    chosen: list[tuple[int, int, int]] = []
    end = 0
    for start, stop, index in sorted(hits, key=lambda h: (h[0], h[0] - h[1], h[2])):
        if stop > end:
            chosen.append((start, stop, index))
            end = stop
    return chosen


def _starts(hay: str, probes: tuple[str, ...] | None, low: int, high: int) -> Iterator[int] | None:
    """Every position of hay[low:high] where one of `probes` starts, in order (None: any)."""
    if probes is None:
        return None

    def found(probe: str) -> Iterator[int]:
        at = hay.find(probe, low, high)
        while at != -1:
            yield at
            at = hay.find(probe, at + 1, high)

    return heapq.merge(*(found(probe) for probe in probes))


def _overlapping(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    end: int,
    starts: Iterable[int] | None = None,
) -> Iterator[tuple[int, int]]:
    """(start, end) of the match at every position of text[start:end] where one starts, except
    those inside an earlier one: unlike finditer, a match starting inside the previous one and
    ending after it is found. Each position is tried once, so the cost stays linear in the
    length searched (times the longest match, as for finditer). Given `starts` (every position
    where a match can start, in order), only those are tried: in a megabyte of 'A' the
    'AAAA==' placeholder is tried where 'AAAA' is followed by '=', '\\' or '%', not everywhere.
    """
    furthest = start
    if starts is not None:
        for at in starts:
            match = pattern.match(text, at, end)
            if match is not None and match.end() > furthest:
                furthest = match.end()
                yield at, match.end()
        return
    while start < end:
        match = pattern.search(text, start, end)
        if match is None:
            return
        if match.end() > furthest:
            furthest = match.end()
            yield match.start(), match.end()
        start = match.start() + 1


@dataclass(frozen=True)
class _Entry:
    value: str
    kind: str
    form: str  # "any" (raw / escaped / encoded) or the name of a row of the encodings table


_GRAM = FRAGMENT_LENGTH // 2


class FragmentMatcher:
    """Finds any run of FRAGMENT_LENGTH or more characters of a set of source texts.

    Every such run holds a text position that is a multiple of FRAGMENT_LENGTH/2 followed by a
    whole half-length gram of a source; those positions are looked up in a dict of the sources'
    grams, and each hit is extended both ways. One dict lookup per 8 characters of text.
    """

    def __init__(self, sources: Iterable[tuple[str, int]]) -> None:
        self.sources = tuple(sources)
        self._grams: dict[str, list[tuple[int, int]]] = {}
        for number, (source, _) in enumerate(self.sources):
            for pos in range(len(source) - _GRAM + 1):
                self._grams.setdefault(source[pos : pos + _GRAM], []).append((number, pos))

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, value index) of maximal runs, overlapping ones merged per value."""
        found: list[tuple[int, int, int]] = []
        if not self._grams or len(text) < FRAGMENT_LENGTH:
            return found
        covered = -1
        for pos in range(0, len(text) - _GRAM + 1, _GRAM):
            if pos < covered:
                continue
            best: tuple[int, int, int] | None = None
            for number, at in self._grams.get(text[pos : pos + _GRAM], ()):
                source, index = self.sources[number]
                start, src = pos, at
                while start > 0 and src > 0 and text[start - 1] == source[src - 1]:
                    start, src = start - 1, src - 1
                end, src_end = pos + _GRAM, at + _GRAM
                while end < len(text) and src_end < len(source) and text[end] == source[src_end]:
                    end, src_end = end + 1, src_end + 1
                if end - start >= FRAGMENT_LENGTH and (
                    best is None or end - start > best[1] - best[0]
                ):
                    best = (start, end, index)
            if best is not None:
                found.append(best)
                covered = best[1]
        return found


def merge_spans(spans: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Overlapping (start, end, index) spans joined; the first span's index is kept."""
    merged: list[tuple[int, int, int]] = []
    for start, stop, index in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], stop), last[2])
        else:
            merged.append((start, stop, index))
    return merged


@dataclass(frozen=True)
class _Compiled:
    """The search over every registered secret: whole forms with escapes, and fragments."""

    matcher: MultiMatcher
    fragments: FragmentMatcher
    entries: tuple[_Entry, ...]

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """Every match (entry index), whole forms and fragments, not merged; a fragment is
        left out only when a whole-form match holds all of it (one that merely overlaps it
        would leave the rest of the fragment unredacted)."""
        if not text or not self.entries:
            return []
        whole = self.matcher.matches(text)
        extra = [
            span
            for span in self.fragments.matches(text)
            if not any(start <= span[0] and span[1] <= stop for start, stop, _ in whole)
        ]
        return [*whole, *extra]


class SecretRegistry:
    """Thread-safe set of secret values; finds and redacts every form of every one in text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}
        self._compiled: _Compiled | None = None

    def add(self, value: str | None, kind: str) -> bool:
        """Remember `value` as a secret of `kind`; False for short values and placeholders."""
        if not value or len(value) < MIN_SECRET_LENGTH or is_protected(value):
            return False
        with self._lock:
            if value in self._values:
                return False
            self._values[value] = kind
            self._compiled = None
        return True

    def add_all(self, values: Iterable[str | None], kind: str) -> int:
        """Remember several values of one kind; returns how many were new."""
        return sum(self.add(value, kind) for value in values)

    def clear(self) -> None:
        """Forget every secret."""
        with self._lock:
            self._values.clear()
            self._compiled = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def secrets(self) -> tuple[str, ...]:
        """The registered values (for ScrubRules.secrets); never print them."""
        with self._lock:
            return tuple(self._values)

    def forms(self, value: str) -> list[str]:
        """Concrete encodings of `value` the registry matches."""
        return list(dict.fromkeys([*forms(value), *encoded_forms(value).values()]))

    def _snapshot(self) -> _Compiled:
        """The compiled search, rebuilt only after the set changed."""
        with self._lock:
            if self._compiled is None:
                self._compiled = _compile(self._values.items())
            return self._compiled

    def find_leaks(self, text: str) -> list[Leak]:
        """Every registered secret found in `text`, one Leak per distinct (kind, form, field)."""
        compiled = self._snapshot()
        found: dict[Leak, None] = {}
        for start, stop, index in compiled.spans(text):
            entry = compiled.entries[index]
            matched = text[start:stop]
            form = entry.form if entry.form != "any" else classify_form(matched, entry.value)
            found[Leak(entry.kind, form, field_hint(text, start))] = None
        return list(found)

    def redact(self, text: str, replacement: str = placeholders.REDACTED) -> str:
        """`text` with every form of every registered secret replaced by `replacement`."""
        spans = merge_spans(self._snapshot().spans(text))
        if not spans:
            return text
        parts: list[str] = []
        last = 0
        for start, stop, _ in spans:
            parts.extend([text[last:start], replacement])
            last = stop
        return "".join(parts) + text[last:]


def _compile(items: Iterable[tuple[str, str]]) -> _Compiled:
    """One matcher over every secret and its whole forms, one over fragments of key-like ones."""
    entries: list[_Entry] = []
    specs: list[tuple[str, bool]] = []
    fragment_entries: list[_Entry] = []
    sources: list[tuple[str, int]] = []
    for value, kind in items:
        entries.append(_Entry(value, kind, "any"))
        specs.append((value, folds_case(value)))
        for b64 in base64_forms(value):
            entries.append(_Entry(value, kind, "base64"))
            specs.append((b64, False))
        for name, form in whole_forms(value).items():
            entries.append(_Entry(value, kind, name))
            specs.append((form, folds_case(form)))
        fragment_sources_of = fragment_sources(value)
        if fragment_sources_of:
            sources.extend((source, len(fragment_entries)) for source in fragment_sources_of)
            fragment_entries.append(_Entry(value, kind, "fragment"))
    offset = len(entries)
    fragments = FragmentMatcher((source, offset + index) for source, index in sources)
    return _Compiled(MultiMatcher(specs), fragments, (*entries, *fragment_entries))


#: The registry the plugin fills during live and record runs.
REGISTRY = SecretRegistry()


def _decoded_bytes(data: bytes) -> str:
    """Bytes as text, gunzipped or inflated first when they are a complete compressed stream.

    Bytes that are not (a decoder that raises, or stops short of the end of a stream, as on
    plain text) are read as they are; the readable start of a cut-off stream is kept in front.
    """
    for wbits in (47, -15):  # 47: gzip or zlib header, detected; -15: raw deflate
        decoder = zlib.decompressobj(wbits)
        try:
            plain = decoder.decompress(data, _MAX_DECOMPRESSED)
        except zlib.error:
            continue
        if decoder.eof:
            return plain.decode("utf-8", errors="replace")
        if plain and wbits == 47:  # a real header, then cut off: keep what it said
            return plain.decode("utf-8", errors="replace") + "\n" + _as_text(data)
    return _as_text(data)


def _as_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def leaf_texts(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every string and bytes leaf of loaded YAML/JSON data, decompressed.

    Depth first, in document order; iterative (one stack, no generator per level).
    """
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            prefix = f"{where}." if where else ""
            stack.extend(reversed([(f"{prefix}{key}", value) for key, value in item.items()]))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(f"{where}[{i}]", value) for i, value in enumerate(item)]))
        elif isinstance(item, bytes):
            yield where, _decoded_bytes(item)


def _parse_structured(text: str) -> Any:
    """The text parsed as JSON, else YAML (lazily imported), else None."""
    from pytest_batchkeys.safeload import json_load, yaml_load

    try:
        return json_load(text)
    except ValueError:
        pass

    try:
        return yaml_load(text)
    except Exception:  # any YAML error: the text search still ran
        return None


def structured_leaks(text: str, registry: SecretRegistry) -> list[Leak]:
    """Leaks inside the parsed data: catches YAML line folding and compressed (binary) bodies."""
    data = _parse_structured(text)
    if not isinstance(data, dict | list):
        return []
    found: list[Leak] = []
    for path, leaf in leaf_texts(data):
        found.extend(Leak(leak.kind, leak.form, path) for leak in registry.find_leaks(leaf))
    return found


def describe_leaks(leaks: Iterable[Leak]) -> str:
    """A one-line list of where secrets were found; holds kinds, forms and fields only."""
    unique = list(dict.fromkeys(leaks))
    shown = [f"{leak.kind} ({leak.form}) in field '{leak.field_hint}'" for leak in unique[:5]]
    more = f" and {len(unique) - 5} more" if len(unique) > 5 else ""
    return "; ".join(shown) + more


def guard_text(
    text: str, *, cassette: str, registry: SecretRegistry | None = None, structured: bool = True
) -> None:
    """Raise SecretLeakError naming kind, field and cassette (never the value) on a leak."""
    registry = REGISTRY if registry is None else registry
    if not len(registry):
        return
    leaks = registry.find_leaks(text)
    if not leaks and structured:
        leaks = structured_leaks(text, registry)
    if not leaks:
        return
    message = (
        f"Refused to write cassette {cassette}: it still holds a secret: {describe_leaks(leaks)}. "
        "The cassette was not written (the previous one, if any, is kept). Add a scrub rule for "
        "that field (ScrubRules.secrets or a custom before_record hook) and record again."
    )
    raise SecretLeakError(registry.redact(message))


__all__ = [
    "MIN_SECRET_LENGTH",
    "PROTECTED_TEXTS",
    "REGISTRY",
    "Leak",
    "SecretRegistry",
    "forms",
    "guard_text",
    "value_pattern",
]
