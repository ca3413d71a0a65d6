"""Where cassettes were recorded (the simulator or Azure), read without a YAML parser."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Final

#: The metadata key (under the cassette's top-level `batchkeys:` mapping) naming the origin.
KEY: Final = "recorded_against"
SIMULATOR: Final = "simulator"
AZURE: Final = "azure"
#: How much of a cassette is read for its origin: the metadata key sorts before the rest.
_HEAD_BYTES: Final = 4096
_LINE: Final = re.compile(rf"^  {KEY}: ['\"]?([A-Za-z]+)", re.MULTILINE)


def origin_of(loopback: bool) -> str:
    """What a recording made against this endpoint says: loopback is the local simulator."""
    return SIMULATOR if loopback else AZURE


def origins(cassette_dir: Path) -> Counter[str]:
    """How many cassettes under `cassette_dir` each origin has ("unknown": older recordings)."""
    found: Counter[str] = Counter()
    if not cassette_dir.is_dir():
        return found
    for path in cassette_dir.rglob("*.yaml"):
        if not path.is_file():  # a FIFO or device would block; a directory is no cassette
            continue
        try:
            with path.open("rb") as stream:  # vcrpy sorts keys: `batchkeys:` comes first
                text = stream.read(_HEAD_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        match = _LINE.search(text)
        found[match.group(1).lower() if match else "unknown"] += 1
    return found
