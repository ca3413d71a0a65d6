"""Regular-expression scans that run only near a character every match must contain.

A scrubber pattern tried at every position of a 60 MB body costs a second or more even when
nothing matches: the regex engine tests each position in turn. Every match of the patterns here
holds one of a few characters (`=` of base64 padding or of a form field, `%` or `\\` of an
escape), so a text without them is skipped at the speed of `str.count`, and a text with some is
searched only in a window around each one. The matches are exactly those of
`pattern.finditer(text)` (tests/secrets/test_windows.py compares the two on tricky inputs); a
text dense with the characters costs about one plain scan, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: Each window settles the matches starting in this many characters after its candidate.
_STRIDE = 8192


@dataclass(frozen=True)
class Windowed:
    """A pattern whose every match holds one of `chars`; `before`/`after` bound it around them.

    For every match, with i the index of the first of `chars` in it: `start >= i - before` and
    `end <= i + after`. With `head` set, the pattern may instead be unbounded to the right:
    `head` matches at exactly the positions where `pattern` does, is bounded as above, and
    `pattern.match` at its start gives the whole match.
    """

    pattern: re.Pattern[str]
    chars: str
    before: int
    after: int
    head: re.Pattern[str] | None = None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `pattern.finditer(text)` gives, in order (the pattern never matches '')."""
        chars = [ch for ch in self.chars if ch in text]
        if not chars:
            return
        size = len(text)
        probe = self.head or self.pattern
        resume = 0  # where the previous match ended: matches never overlap
        nexts = {ch: text.find(ch) for ch in chars}
        at = _first(text, nexts, 0)
        while at != -1:
            # Candidates before `at` are settled, so a match still to come starts at or after
            # `low`; one starting by `settled` has its first candidate by `settled + before`,
            # hence ends by `high`: the window holds it whole, and the leftmost one is found.
            low = max(resume, at - self.before)
            settled = at + _STRIDE
            high = min(size, settled + self.before + self.after)
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

    def sub(self, replace: Callable[[re.Match[str]], str], text: str) -> str:
        """`pattern.sub(replace, text)`, searching only near the candidate characters."""
        parts: list[str] = []
        last = 0
        for match in self.finditer(text):
            parts.extend([text[last : match.start()], replace(match)])
            last = match.end()
        return "".join(parts) + text[last:] if parts else text


def _first(text: str, nexts: dict[str, int], start: int) -> int:
    """The index of the first candidate at or after `start`, or -1; `nexts` caches each
    character's next index (-1: none left), so no stretch of text is searched twice."""
    for ch, at in nexts.items():
        if at != -1 and at < start:
            nexts[ch] = text.find(ch, start)
    found = [at for at in nexts.values() if at != -1]
    return min(found) if found else -1
