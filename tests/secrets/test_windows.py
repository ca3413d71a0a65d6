"""The faster scrubber scans find exactly what the plain scans found (issue 18).

`KEY_SHAPE_SCAN` and `SECRET_PARAM_SCAN` search only near the characters every match holds;
`MultiMatcher.sub(..., inert)` skips the protected placeholders while no secret matches. Each is
compared here with the plain form it replaced (`pattern.finditer`, `MultiMatcher.sub` without
`inert`) on tricky inputs: adjacent and overlapping matches, keys glued to words, escaped forms,
matches across the window boundaries, dense candidates. The last tests show the comparison fails
for a window that is too small and for a scan that trusts a lookahead at a window's end.
"""

from __future__ import annotations

import base64
import copy
import random
import re
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets.fakes import fake_key
from pytest_batchkeys.secrets.leakguard import PROTECTED_TEXTS, MultiMatcher
from pytest_batchkeys.secrets.scrub import (
    KEY_SHAPE,
    KEY_SHAPE_SCAN,
    SECRET_PARAM,
    SECRET_PARAM_SCAN,
)
from pytest_batchkeys.secrets.windows import _STRIDE, Windowed

RNG = random.Random(18)
KEY = base64.b64encode(RNG.randbytes(64)).decode()
SLASHY = base64.b64encode(b"\xff" * 64).decode()  # '/' everywhere: escapes in every unit
PADS = ["==", "%3D%3D", "%3d%3D", "\\u003D\\u003D", "\\\\u003d\\\\u003d", "\\\\\\u003D\\\\\\u003D"]


def spans(matches: object) -> list[tuple[int, int, tuple[str | None, ...]]]:
    return [(m.start(), m.end(), m.groups()) for m in matches]  # type: ignore[attr-defined]


def same(scan: Windowed, text: str) -> bool:
    return spans(scan.finditer(text)) == spans(scan.pattern.finditer(text))


def escaped(key: str, how: str) -> str:
    body = key[:-2]
    table = {
        "json": {"/": "\\u002F", "+": "\\u002B"},
        "json2": {"/": "\\\\u002f", "+": "\\\\u002b"},
        "slash": {"/": "\\/"},
        "url": {"/": "%2F", "+": "%2b"},
    }[how]
    return "".join(table.get(c, c) for c in body)


KEY_TEXTS = [
    "",
    "no candidates at all " * 50,
    KEY,
    f"{KEY}{KEY}",  # glued: the second is not a whole key
    f"{KEY} {KEY}",  # adjacent
    f"{KEY}=",  # followed by one more '=': not a key
    f"{KEY}A",
    f"x{KEY}",  # glued to a word before
    f"/{KEY}",
    f"InvalidKey{KEY}",
    f"{KEY[:-2]}%3D%3D&{KEY}",
    *(escaped(SLASHY, how) + pad for how in ("json", "json2", "slash", "url") for pad in PADS),
    *(escaped(KEY, how) + pad + "\n" + KEY for how in ("json", "url") for pad in PADS),
    "A" * 86 + "==",
    "A" * 4096 + "\n" + "A" * 86 + "==",
    "A" * 85 + "==",
    "=" * 5000,
    ("A" * 86 + "==") * 300,  # dense candidates, glued keys
    ("A" * 86 + "== ") * 300,  # dense candidates, whole keys
    "%" * 3000 + KEY + "\\" * 3000,
    # matches around the window strides, with and without other candidates before them
    *(" " * (_STRIDE + shift) + KEY for shift in (-800, -90, -88, -1, 0, 1, 700, 705)),
    *("=" + " " * (_STRIDE + shift) + KEY for shift in (-800, -90, -88, -1, 0, 1, 700, 705)),
    *("=" + "A" * (_STRIDE + shift) + "==" for shift in (-800, -90, -88, -1, 0, 1, 700, 705)),
    # candidates closer than a window's reach all along: windows end at the stride, not at a gap
    *("= " * (_STRIDE // 2 + shift) + KEY for shift in (-400, -50, -1, 0, 1, 7, 40, 300, 400)),
    *("=" + " " * 99) * 83 + "=" + " " * 10 + KEY,
    "%" + " " * (2 * _STRIDE) + escaped(SLASHY, "json2") + PADS[4] + " " * _STRIDE + KEY,
]


def test_key_shape_scan_finds_what_the_plain_scan_finds() -> None:
    for text in KEY_TEXTS:
        assert same(KEY_SHAPE_SCAN, text), text[:120]
    # the inputs above hold plenty of keys, escaped ones included
    found = sum(len(spans(KEY_SHAPE.finditer(text))) for text in KEY_TEXTS)
    assert found > 300


def test_key_shape_scan_substitutes_like_re_sub() -> None:
    for text in KEY_TEXTS:
        assert KEY_SHAPE_SCAN.sub(lambda m: "<k>", text) == KEY_SHAPE.sub("<k>", text)


PARAM_TEXTS = [
    "",
    "sig=abc",  # at the very start ('^')
    "xsig=abc",  # glued to a word: not a field
    "?sig=abc&password=hunter2;client_secret=s3&code_verifier=v",
    "&sig=a=b==c&sig=",  # values holding '=', an empty value
    "?SIG=abc&Password=x",  # any case
    "?\u017fig=abc&\u212aey=1&access_to\u212aen=t",  # letters that fold to 's' and 'k'
    "&client_assertion=" + "A" * 5000 + "&assertion=x",
    "a=b&" * 2000 + "refresh_token=r",  # dense '='
    "=" + " " * (_STRIDE - 20) + "&client_assertion=z",
    *("=" + " " * (_STRIDE + shift) + "&password=p" for shift in range(-30, 5)),
    "&password=" + "p" * (3 * _STRIDE) + "&sig=s",
    *(
        "=x" * (_STRIDE // 2 + shift) + "&password=p" for shift in (-20, -5, 0, 1, 5, 100)
    ),  # a value longer than a window
    "password=\\u0041&sig=\"q\"&sig='q'",
]


def test_secret_param_scan_finds_what_the_plain_scan_finds() -> None:
    for text in PARAM_TEXTS:
        assert same(SECRET_PARAM_SCAN, text), text[:120]
    found = sum(len(spans(SECRET_PARAM.finditer(text))) for text in PARAM_TEXTS)
    assert found > 40


FRAGMENTS = [
    KEY,
    KEY[:-2],
    escaped(SLASHY, "json"),
    escaped(SLASHY, "url"),
    *PADS,
    "=",
    "%",
    "\\",
    "A" * 86,
    "A" * 3000,
    " " * 4000,
    "x",
    "/",
    "+",
    " ",
    "\n",
    "&",
    "?",
    ";",
    "sig",
    "password",
    "client_assertion",
    "SIG",
    "\u017fig",
]
TEXTS = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(TEXTS)
def test_the_scans_agree_on_generated_texts(text: str) -> None:
    assert same(KEY_SHAPE_SCAN, text)
    assert same(SECRET_PARAM_SCAN, text)


def test_the_comparison_catches_a_window_too_small() -> None:
    """The checks above can fail: a scan whose window misses the key's start finds less."""
    narrow = replace(KEY_SHAPE_SCAN, before=10)
    assert not all(same(narrow, text) for text in KEY_TEXTS)
    short = replace(SECRET_PARAM_SCAN, before=3)
    assert not all(same(short, text) for text in PARAM_TEXTS)


def test_a_lookahead_at_a_windows_end_is_checked_with_the_next_character() -> None:
    """A match ending where the window ends is searched again with the window widened: here
    the plain scan finds nothing at the second '=' (a letter follows), the window alone would."""
    pattern = re.compile(r"=[a-z]{0,10}(?![a-z])")
    scan = Windowed(pattern, ("=",), before=0, after=11)
    text = "=" + "a" * 11 + "1" * (_STRIDE - 12) + "=abcdefghij" + "k"
    assert spans(pattern.finditer(text)) == []
    assert spans(scan.finditer(text)) == []
    # the same window without the second look would report a match
    assert pattern.search(text, _STRIDE, _STRIDE + 11) is not None


# --- MultiMatcher.sub with inert (protected) values ------------------------------------------

SECRET = "hunter2-secret-value"
PROTECTED = sorted(PROTECTED_TEXTS)
VALUES = [(SECRET, False), ("AAAAAAAAAAAA", False), *((text, False) for text in PROTECTED)]
INERT = frozenset(range(2, len(VALUES)))
MATCHER = MultiMatcher(VALUES)


def keep_or_mark(index: int, matched: str) -> str:
    return matched if index in INERT else f"<{index}>"


SUB_TEXTS = [
    "",
    "nothing here",
    "A" * 5000,  # the 'AAAA==' placeholder's anchor everywhere, no secret
    "A" * 5000 + "==",  # ... and the placeholder at the end, still no secret
    SECRET,
    f"{SECRET}{SECRET}",  # adjacent
    f"x{SECRET}y",  # glued to words
    SECRET.replace("-", "\\u002D"),  # escaped
    SECRET.replace("-", "%2D"),
    "AAAAAAAAAAAA==",  # a secret that overlaps the 'AAAA==' placeholder
    "AAAAAAAAAAAAAAAA==",
    f"{placeholders.REDACTED}{SECRET}{placeholders.FAKE_PRIMARY_KEY}",
    "A" * 9 + fake_key(3) + "==" + SECRET,  # a fake key glued into a run of the secret
    placeholders.FAKE_PRIMARY_KEY[:40] + "AAAAAAAAAAAA" + placeholders.FAKE_PRIMARY_KEY[40:],
]


def test_inert_values_change_nothing_in_the_result() -> None:
    for text in SUB_TEXTS:
        with_inert = MATCHER.sub(text, keep_or_mark, INERT)
        assert with_inert == MATCHER.sub(text, keep_or_mark), text[:80]
    assert MATCHER.sub("AAAAAAAAAAAA==", keep_or_mark, INERT) != "AAAAAAAAAAAA=="


def test_the_inert_comparison_can_fail() -> None:
    """Declaring a replacing value inert changes the result: the comparison above would see it."""
    wrong = INERT | {0}
    assert MATCHER.sub(SECRET, keep_or_mark, wrong) != MATCHER.sub(SECRET, keep_or_mark)


def test_a_match_cut_by_the_window_is_left_to_the_next_window() -> None:
    """Where candidates run on past a window's stride, a match starting after its settled part
    may be cut by the window's end, and a shorter one may match at the same start: that match
    waits for the next window."""
    pattern = re.compile(r"=[a-z=]{0,50};|=[a-z]")
    scan = Windowed(pattern, ("=",), before=0, after=52)
    dense = ("=1" + " " * 8) * 820  # candidates every 10 characters, none matching
    long = "=" + "abcdefghijklmnopqrstuvwxyz" + ";"
    text = dense + " " * 20 + long  # starts after the first window's settled part
    assert spans(pattern.finditer(text)) == [(len(dense) + 20, len(text), ())]
    assert spans(scan.finditer(text)) == spans(pattern.finditer(text))


# --- MultiMatcher: only positions where a match can start are tried -------------------------

GUID = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
PROBED = [
    *((text, False) for text in PROTECTED),
    (GUID, True),  # hex-like: any case
    ("hunter2/secret+value=", False),
    ("keys\u00e9-x", False),  # a non-ASCII character after the anchor
    ("Token 3n", False),  # a space after the anchor: '+', any whitespace, a folded line
    ("abcd\\efgh", False),
    ("abcd%efgh", False),
]
PROBE_TEXTS = [
    "A" * 3000,
    "A" * 3000 + "==",
    "AAAA%3D%3D AAAA%3d= AAAA\\u003D\\u003d AAAA\\\\u003D= AAAA\\\\\\u003d\\u003D",
    "A" * 500 + "%3D%3D" + "A" * 500 + "\\u003D=" + "A" * 10,
    GUID,
    GUID.upper(),
    GUID.replace("-", "%2D"),
    GUID.upper().replace("-", "\\u002d"),
    f"{GUID}{GUID}",
    "hunter2/secret+value= hunter2\\/secret%2Bvalue\\u003D hunter2%2Fsecret\\\\u002Bvalue%3d",
    "keys\u00e9-x keys\\u00E9-x keys%C3%A9-x keys\\\\u00e9\\u002Dx",
    "Token 3n Token+3n Token   3n Token\\\n  3n Token%203n Token\u20033n Token\t3n",
    "abcd\\efgh abcd\\\\efgh abcd\\u005Cefgh abcd%5cefgh",
    "abcd%efgh abcd%25efgh abcd\\u0025efgh",
    placeholders.FAKE_PRIMARY_KEY[:40] + "AAAA==" + placeholders.FAKE_PRIMARY_KEY[40:],
    "REDACTED" * 50 + "Bearer REDACTED" + "Bearer\\u0020REDACTED",
]


def without_probes(matcher: MultiMatcher) -> MultiMatcher:
    """The same matcher trying every position of its windows, as before issue 18."""
    plain = copy.copy(matcher)
    plain._needles = [(index, replace(needle, probes=None)) for index, needle in matcher._needles]
    return plain


def test_trying_only_the_probed_positions_finds_every_match() -> None:
    matcher = MultiMatcher(PROBED)
    plain = without_probes(matcher)
    assert any(needle.probes for _, needle in matcher._needles)
    for text in PROBE_TEXTS:
        assert matcher.matches(text) == plain.matches(text), text[:80]
    assert sum(len(plain.matches(text)) for text in PROBE_TEXTS) > 40


def test_the_probe_comparison_can_fail() -> None:
    """A matcher that forgets the '%' of an escape after the anchor finds less than before."""
    matcher = MultiMatcher(PROBED)
    broken = copy.copy(matcher)
    broken._needles = [
        (index, replace(needle, probes=tuple(p for p in needle.probes if not p.endswith("%"))))
        if needle.probes
        else (index, needle)
        for index, needle in matcher._needles
    ]
    plain = without_probes(matcher)
    assert any(broken.matches(text) != plain.matches(text) for text in PROBE_TEXTS)
