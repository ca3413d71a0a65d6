"""Regular-expression scans that run only near a literal every match must contain.

A scrubber pattern tried at every position of a 60 MB body costs a second or more even when
nothing matches: the regex engine tests each position in turn. Every match of the patterns here
holds one of a few literals (the `==`, `%3D` or `\\u003D` of base64 padding, the `=` of a form
field), so a text without them is skipped at the speed of `str.find`, and a text with some is
searched only in a window around each one (neighbouring ones share a window). The matches are
exactly those of `pattern.finditer(text)` (tests/secrets/test_windows.py compares the two on
tricky inputs); a text dense with the literals costs about one plain scan, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: One window settles at most this many characters of candidates (then the next one starts).
_STRIDE = 8192


@dataclass(frozen=True)
class Windowed:
    """A pattern whose every match holds one of `literals`; `before`/`after` bound it around
    them.

    For every match, with i the index of the first occurrence of a literal inside it:
    `start >= i - before` and `end <= i + after`. With `head` set, the pattern may instead be
    unbounded to the right: `head` matches at exactly the positions where `pattern` does, is
    bounded as above, and `pattern.match` at its start gives the whole match.
    """

    pattern: re.Pattern[str]
    literals: tuple[str, ...]
    before: int
    after: int
    head: re.Pattern[str] | None = None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `pattern.finditer(text)` gives, in order (the pattern never matches '')."""
        # a literal's first character is looked for first: one character is found by memchr,
        # far faster than a longer literal in a text that never holds it
        nexts = {lit: text.find(lit) for lit in self.literals if lit[0] in text}
        nexts = {literal: at for literal, at in nexts.items() if at != -1}
        if not nexts:
            return
        size = len(text)
        probe = self.head or self.pattern
        join = self.before + self.after  # candidates closer than this share a window
        resume = 0  # where the previous match ended: matches never overlap
        at = _first(text, nexts, 0)
        while at != -1:
            # Candidates before `at` are settled: a match still to come starts at or after `low`.
            # One starting by `settled` has its first candidate by `settled + before`, so it ends
            # by `high`: the window holds it whole, and the leftmost one is found.
            settled = self._chain_end(text, at, join)
            low = max(resume, at - self.before)
            high = min(size, settled + join)
            match = probe.search(text, low, high)
            while match is not None and match.end() == high < size:
                # a lookahead at the window's end saw no character: look again, wider
                high = min(size, high + self.after + 1)
                match = probe.search(text, low, high)
            if match is not None and match.start() <= settled:
                if self.head is not None:
                    match = self.pattern.match(text, match.start())
                    assert match is not None  # head and pattern match at the same positions
                resume = match.end()
                yield match
                at = _first(text, nexts, resume)
            else:  # nothing starts by `settled`; a later match holds a candidate after it
                at = _first(text, nexts, settled + 1)

    def _chain_end(self, text: str, at: int, join: int) -> int:
        """The last candidate reached from `at` by steps shorter than `join` (within _STRIDE):
        one window covers them all, and the text between them is searched once."""
        end, limit = at, at + _STRIDE
        while end < limit:
            stop = min(limit, end + join)
            found = max(
                text.rfind(literal, end + 1, stop + len(literal)) for literal in self.literals
            )
            if found == -1:
                return end
            end = found
        return end

    def sub(self, replace: Callable[[re.Match[str]], str], text: str) -> str:
        """`pattern.sub(replace, text)`, searching only near the candidate literals."""
        parts: list[str] = []
        last = 0
        for match in self.finditer(text):
            parts.extend([text[last : match.start()], replace(match)])
            last = match.end()
        return "".join(parts) + text[last:] if parts else text


def _first(text: str, nexts: dict[str, int], start: int) -> int:
    """The index of the first candidate at or after `start`, or -1; `nexts` caches each
    literal's next index (-1: none left), so no stretch of text is searched twice."""
    for literal, at in nexts.items():
        if at != -1 and at < start:
            nexts[literal] = text.find(literal, start)
    found = [at for at in nexts.values() if at != -1]
    return min(found) if found else -1
