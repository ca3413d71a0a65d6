"""The numbered fake keys the scrubber writes: fake 1, fake 2, ... of the real shape.

Fake n is base64 of 64 bytes whose decoded text reads `batchkeys-fake-key-NNNNNN-not-a-secret|`
repeated and cut at 64 bytes. Within one cassette each distinct real key gets the next fake in
order of first appearance, so equal keys stay equal and a rotated key stays different from the
one it replaced. The series is fixed: the same number always gives the same fake.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

#: The largest fake number; six digits keep every fake inside 64 bytes.
MAX_FAKE = 999_999
_TEXT = "batchkeys-fake-key-{n:06d}-not-a-secret|"
_DECODED = re.compile(rb"^batchkeys-fake-key-(\d{6})-not-a-secret\|")


def fake_key(n: int) -> str:
    """Fake key number `n` (1-based) of the series."""
    if not 1 <= n <= MAX_FAKE:
        raise ValueError(f"fake key numbers run from 1 to {MAX_FAKE}, got {n}")
    raw = (_TEXT.format(n=n) * 2).encode()[:64]
    return base64.b64encode(raw).decode()


def fake_number(value: str) -> int | None:
    """The number of `value` in the series, or None when it is not one of the fakes."""
    if len(value) != 88:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    match = _DECODED.match(raw)
    number = int(match[1]) if match is not None else 0
    if not 1 <= number <= MAX_FAKE or value != fake_key(number):
        return None
    return number


def is_fake_key(value: str) -> bool:
    """True if `value` is one of the numbered fakes."""
    return fake_number(value) is not None


def assign_fakes(values: Iterable[str], keep: Iterable[str] = ()) -> dict[str, str]:
    """Real value -> fake, numbered in order of first appearance in `values`.

    Values that already are fakes keep their number and reserve it, and so do values in `keep`
    (other placeholders); new values take the lowest free numbers, so scrubbing a scrubbed
    cassette again changes nothing.
    """
    ordered = list(dict.fromkeys(values))
    skipped = set(keep)
    taken = {n for n in map(fake_number, ordered) if n is not None}
    assigned: dict[str, str] = {}
    n = 0
    for value in ordered:
        if value in skipped or fake_number(value) is not None:
            continue
        n += 1
        while n in taken:
            n += 1
        assigned[value] = fake_key(n)
    return assigned
