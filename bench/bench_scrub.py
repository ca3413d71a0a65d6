"""`batchkeys scrub --check` on a hostile cassette vs a plain YAML load of it (target: <= 3x, linear).

The cassette's response body is runs of 4,096 'A' (the 'AAAA==' placeholder's anchor starts at
every position; `--shape padded` ends every run with '==', so the key-shape and form-field scans
have a candidate on every line too). Per size, in interleaved rounds (order rotated, warm-up
discarded, see sidebyside.py):

* floor: read the file and load it with libyaml's CSafeLoader (what any tool reading the file
  pays; the scrub's own load goes through safeload, which also checks the size and the nesting);
* scrub: `batchkeys scrub --check` on the file (load, validation, every scan; exit 0 expected:
  the runs hold no secret).

Then the time per MB of each size, to show the cost is linear in the size.
Run: python bench/bench_scrub.py [--mb 1 10] [--mb 60] [--rounds 5] [--shape runs|padded]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from argparse import Namespace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside

from pytest_batchkeys.cli.scrub import scrub_main
from pytest_batchkeys.recording.cassettes import serialize_cassette

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


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--shape", choices=["runs", "padded"], default="runs")
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
    print("\nlinearity (median seconds per MB; linear means about the same at every size)")
    print(f"  {'size':>8}{'load/MB':>12}{'scrub/MB':>12}{'ratio':>8}")
    for size, load, scrub, ratio in per_mb:
        print(f"  {size:>6.1f}MB{load * 1000:>10.1f}ms{scrub * 1000:>10.1f}ms{ratio:>7.2f}x")
    if len(per_mb) > 1:
        growth = per_mb[-1][2] / per_mb[0][2]
        print(f"  scrub time per MB, largest size / smallest: {growth:.2f}x (1.00x is linear)")


if __name__ == "__main__":
    main()
