"""`batchkeys explain ANCHOR`: the troubleshooting section an error message points at.

The text is docs/troubleshooting.md, shipped inside the wheel (pyproject's force-include), so a
host project can read it without the repository or the network.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Final

_PACKAGE: Final = Path(__file__).resolve().parent.parent
#: The wheel's copy first, then the source checkout's (editable installs).
CANDIDATES: Final = (
    _PACKAGE / "troubleshooting.md",
    _PACKAGE.parent / "docs" / "troubleshooting.md",
)
_HEADING: Final = re.compile(r"^(#{1,6}) (.*?)(?: \{#([a-z0-9-]+)\})?\s*$")


def troubleshooting_text() -> str:
    """The shipped troubleshooting page."""
    for path in CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError("troubleshooting.md is not installed with pytest-batchkeys")


def sections(text: str) -> dict[str, str]:
    """anchor → its section (heading line and body, up to the next heading of the same level)."""
    lines = text.splitlines()
    found: dict[str, str] = {}
    for start, line in enumerate(lines):
        match = _HEADING.match(line)
        if not match or not match.group(3):
            continue
        level = len(match.group(1))
        end = start + 1
        while end < len(lines):
            other = _HEADING.match(lines[end])
            if other and len(other.group(1)) <= level:
                break
            end += 1
        title = f"{match.group(2)} ({match.group(3)})"
        body = "\n".join(lines[start + 1 : end]).strip()
        found[match.group(3)] = f"{title}\n{'=' * len(title)}\n\n{body}\n"
    return found


def explain_main(args: argparse.Namespace) -> int:
    """Print the section of `args.anchor`, or the list of anchors; exit 2 for an unknown one."""
    known = sections(troubleshooting_text())
    anchor = (args.anchor or "").lstrip("#")
    if not anchor:
        print("Errors name one of these; `batchkeys explain NAME` shows what to do:")
        print("\n".join(f"  {name}" for name in known))
        return 0
    if anchor not in known:
        print(
            f"batchkeys explain: no section {anchor!r}. Known: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    print(known[anchor])
    return 0
