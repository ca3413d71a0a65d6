"""`batchkeys scrub`: apply the recording scrubber to existing recordings in place."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.recording.formats import (
    check_recording,
    collect_files,
    crash_message,
    interactions_of,
    load_recording,
    save_recording,
    with_interactions,
)
from pytest_batchkeys.secrets.scrub import ScrubResult, ScrubRules, scrub_counted


def scrub_main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Scrub (or with --check only report); exit 0 done/clean, 1 would change, 2 unusable input."""
    stream = out or sys.stdout
    files, errors = collect_files(args.paths)
    check = bool(getattr(args, "check", False))
    changed = 0
    for path in files:
        try:
            result = scrub_cassette_file(path, ScrubRules(), check_only=check)
        except CassetteError as exc:
            errors.append(exc.message)
            continue
        except OSError as exc:
            errors.append(f"{path}: cannot write the scrubbed file ({exc.strerror}); it is kept")
            continue
        except Exception as exc:  # a crash on one file is exit 2 for that file, never exit 1
            errors.append(crash_message(path, exc))
            continue
        if result.changed:
            changed += 1
            verb = "would scrub" if check else "scrubbed"
            detail = (
                f"{result.dropped} token exchange(s) dropped, {result.replaced} value(s) replaced"
            )
            print(f"{verb} {path}: {detail}", file=stream)
    for error in errors:
        print(f"ERROR {error}", file=stream)
    verb = "would change" if check else "changed"
    print(f"{len(files)} file(s) checked, {changed} {verb}", file=stream)
    if errors:
        return 2
    return 1 if check and changed else 0


def scrub_cassette_file(
    path: str | os.PathLike[str], rules: ScrubRules | None = None, *, check_only: bool = False
) -> ScrubResult:
    """Scrub a vcrpy (YAML/JSON) or test-proxy file in place, atomically, keeping its format."""

    recording = load_recording(path)
    check_recording(recording)  # what replay and verify cannot use is not rewritten either
    scrubbed, dropped, replaced = scrub_counted(interactions_of(recording), rules or ScrubRules())
    updated = with_interactions(recording, scrubbed)
    changed = updated.data != recording.data
    if changed and not check_only:
        save_recording(updated)
    return ScrubResult(changed, dropped, replaced if changed else 0)
