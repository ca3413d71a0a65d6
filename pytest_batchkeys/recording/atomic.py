"""Atomic file replacement: readers see the old file or the new one, never a partial write."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Final

#: A temporary file this old was left by a writer that died (a write takes milliseconds).
STALE_AFTER: Final = 600.0


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
    remove_stale_temps(target)


def temp_prefix(target: Path) -> str:
    """Temporary files for `target` are named `.{name}.{random}.tmp`: hidden, never `*.yaml`."""
    return f".{target.name}."


def remove_stale_temps(target: Path, *, older_than: float = STALE_AFTER) -> list[Path]:
    """Delete temporary files of `target` left by killed writers; returns what was removed.

    Only files older than `older_than` seconds go, so a concurrent writer's file is safe.
    """
    prefix = temp_prefix(target)
    removed: list[Path] = []
    cutoff = time.time() - older_than
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the platform allows syncing a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
