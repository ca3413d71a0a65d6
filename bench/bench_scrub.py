"""`batchkeys scrub --check` on a hostile cassette vs a plain YAML load of it (target: <= 3x, linear).

The cassette's response body is runs of 4,096 'A' (the 'AAAA==' placeholder's anchor starts at
every position; `--shape padded` ends every run with '==', so the key-shape and form-field scans
have a candidate on every line too). Per size, in interleaved rounds (order rotated, warm-up
discarded, see sidebyside.py):

* floor: read the file and load it with libyaml's CSafeLoader (what any tool reading the file
  pays; the scrub's own load goes through safeload, which also checks the size and the nesting);
* scrub: `batchkeys scrub --check` on the file (load, validation, every scan; exit 0 expected:
  the runs hold no secret).

Then the time per MB of each size, to show the cost is linear in the size. With `--passes`,
also where the time goes on the largest file: the bounded load, the validation, and each scan of
the body, the plain regex (what the scrubber ran before issue 18) beside the windowed one it runs
now, and the known-secret matcher with and without searching for the placeholders.
Run: python bench/bench_scrub.py [--mb 1 10] [--mb 60] [--rounds 5] [--shape runs|padded]
     [--passes]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside

from pytest_batchkeys.cli.scrub import scrub_main
from pytest_batchkeys.recording.cassettes import serialize_cassette
from pytest_batchkeys.recording.formats import check_recording, interactions_of, load_recording
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.secrets import scrub as scrubber

URI = "https://management.azure.com/subscriptions/x/providers/Microsoft.Batch/listKeys"
TARGET = 3.0
#: Above this size fewer rounds are run, so `--mb 60` stays near a minute on a quiet machine.
_BIG_MB = 30.0


def write_cassette(path: Path, megabytes: float, shape: str = "runs") -> None:
    """A one-interaction cassette whose response body is runs of 'A' (`megabytes` in total)."""
    run = "A" * 4096 if shape == "runs" else "A" * 4094 + "=="
    body = "\n".join([run] * max(1, int(megabytes * 1024 * 1024 / 4097)))
    interaction = {
        "request": {"method": "POST", "uri": URI, "body": None, "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["text/plain"]},
            "body": {"string": body},
        },
    }
    path.write_text(serialize_cassette([interaction], {}), encoding="utf-8")


def measure(path: Path, rounds: int) -> dict[str, sidebyside.Samples]:
    """The floor and the scrub of one file, interleaved."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    codes: list[int] = []
    check = Namespace(paths=[str(path)], check=True)

    def load() -> None:
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader)

    def scrub() -> None:
        codes.append(scrub_main(check, out=io.StringIO()))

    samples = sidebyside.interleave({"yaml load (floor)": load, "scrub --check": scrub}, rounds)
    if set(codes) != {0}:
        raise SystemExit(f"scrub --check exited {sorted(set(codes))} on {path.name}, expected 0")
    return samples


def _discard(action: Callable[[], object]) -> Callable[[], None]:
    """`action` returning None, so that sidebyside times it by the wall clock."""

    def run() -> None:
        action()

    return run


def measure_passes(path: Path, rounds: int) -> None:
    """Each step of the scrub on one file, and each scan of its body before and after."""
    recording = load_recording(path)
    interactions = interactions_of(recording)
    body = interactions[0]["response"]["body"]["string"]
    ctx = scrubber._context(interactions, scrubber.ScrubRules())
    redacted = placeholders.REDACTED
    steps: dict[str, Callable[[], object]] = {
        "read + bounded load (safeload)": lambda: load_recording(path),
        "validation (check_recording)": lambda: check_recording(recording),
        "secrets of the file (collect)": lambda: scrubber._context(
            interactions, scrubber.ScrubRules()
        ),
        "known secrets, placeholders searched too": lambda: ctx.matcher.sub(body, ctx._substitute),
        "known secrets, now (placeholders skipped)": lambda: ctx.matcher.sub(
            body, ctx._substitute, ctx.inert
        ),
        "key shape, before (re.sub)": lambda: scrubber.KEY_SHAPE.sub(ctx._shape, body),
        "key shape, now (windows)": lambda: scrubber.KEY_SHAPE_SCAN.sub(ctx._shape, body),
        "JWT shape (re.sub, unchanged)": lambda: scrubber.JWT_SHAPE.sub(redacted, body),
        "form secrets, before (re.sub)": lambda: scrubber.SECRET_PARAM.sub(
            scrubber._redact_param, body
        ),
        "form secrets, now (windows)": lambda: scrubber.SECRET_PARAM_SCAN.sub(
            scrubber._redact_param, body
        ),
    }
    samples = sidebyside.interleave({name: _discard(step) for name, step in steps.items()}, rounds)
    print(f"\nwhere the time goes on {path.stat().st_size / 1e6:.1f} MB (medians, noise)")
    print("  (form secrets are scanned twice per body: collected, then replaced)")
    for name, item in samples.items():
        print(f"  {name:<44}{item.median * 1000:>9.1f}ms{item.noise:>7.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--shape", choices=["runs", "padded"], default="runs")
    parser.add_argument("--passes", action="store_true", help="time each step and scan too")
    args = parser.parse_args()
    print(sidebyside.describe_machine(("pytest-batchkeys", "PyYAML")))
    print(f"libyaml: {'yes' if hasattr(yaml, 'CSafeLoader') else 'NO (pure-Python loader)'}")
    per_mb: list[tuple[float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in args.mb:
            path = Path(tmp) / f"{args.shape}-{megabytes:g}mb.yaml"
            write_cassette(path, megabytes, args.shape)
            size = path.stat().st_size / 1e6
            rounds = args.rounds if megabytes <= _BIG_MB else max(3, args.rounds // 2)
            samples = measure(path, rounds)
            sidebyside.print_table(
                f"{size:.1f} MB cassette ({args.shape}): scrub --check vs a plain YAML load",
                samples,
                "yaml load (floor)",
                {"scrub --check": TARGET},
            )
            load, scrub = (samples[name].median for name in samples)
            per_mb.append((size, load / size, scrub / size, scrub / load))
        if args.passes:
            measure_passes(path, rounds)
    print("\nlinearity (median seconds per MB; linear means about the same at every size)")
    print(f"  {'size':>8}{'load/MB':>12}{'scrub/MB':>12}{'ratio':>8}")
    for size, load, scrub, ratio in per_mb:
        print(f"  {size:>6.1f}MB{load * 1000:>10.1f}ms{scrub * 1000:>10.1f}ms{ratio:>7.2f}x")
    if len(per_mb) > 1:
        growth = per_mb[-1][2] / per_mb[0][2]
        print(f"  scrub time per MB, largest size / smallest: {growth:.2f}x (1.00x is linear)")


if __name__ == "__main__":
    main()
