"""Atomic file replacement: readers see the old file or the new one, never a partial write."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Final

#: A temporary file this old was left by a writer that died (a write takes milliseconds).
STALE_AFTER: Final = 600.0
TEMP_SUFFIX: Final = ".tmp"
#: Our temporary files: `.{cassette name}.{pid}-{random}.tmp` (older ones had no pid).
TEMP_NAME: Final = re.compile(r"^\.(?P<name>.+\.(?:ya?ml|json))\.(?:(?P<pid>\d+)-)?[^./]+\.tmp$")


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    prefix = f"{temp_prefix(target)}{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=target.parent)
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
    """Temporary files for `target` are named `.{name}.{pid}-{random}.tmp`: hidden, never
    `*.yaml`, and naming the writer so a later run knows when it died."""
    return f".{target.name}."


def remove_stale_temps(target: Path, *, older_than: float = STALE_AFTER) -> list[Path]:
    """Delete temporary files of `target` left by killed writers; returns what was removed.

    A file goes when the process named in it is gone, or when it is older than `older_than`
    seconds (names without a pid), so a concurrent writer's file is safe.
    """
    prefix = temp_prefix(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    return [
        path
        for entry in entries
        if entry.name.startswith(prefix)
        and (path := _remove_if_abandoned(entry, older_than)) is not None
    ]


def sweep_temps(directory: Path, *, older_than: float = STALE_AFTER) -> list[Path]:
    """Delete every abandoned temporary cassette file under `directory` (any depth)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            removed.extend(sweep_temps(Path(entry.path), older_than=older_than))
        else:
            path = _remove_if_abandoned(entry, older_than)
            if path is not None:
                removed.append(path)
    return removed


def _remove_if_abandoned(entry: os.DirEntry[str], older_than: float) -> Path | None:
    """Remove one of our temporary files if its writer is gone; the path if it was removed."""
    match = TEMP_NAME.match(entry.name)
    if match is None:
        return None
    with contextlib.suppress(OSError):
        if not entry.is_file(follow_symlinks=False):
            return None
        pid = int(match["pid"]) if match["pid"] else None
        old = entry.stat().st_mtime < time.time() - older_than
        if (pid is not None and pid != os.getpid() and not _alive(pid)) or old:
            os.unlink(entry.path)
            return Path(entry.path)
    return None


def _alive(pid: int) -> bool:
    """True if a process with this id exists (or cannot be checked)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


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
