"""`batchkeys verify` vs a plain YAML load of the same files (target: at most 2.0x).

Generates N cassettes (default 1,000 and 10,000; nine in ten vcrpy YAML with three listKeys
exchanges, one in ten test-proxy JSON), then times in interleaved rounds (bench/sidebyside.py):

* the floor: a plain load of every file (libyaml's CSafeLoader for YAML, json.loads for JSON);
* `batchkeys verify` on the directory (reading, bounded loading, validation, the secret scan and
  the contract checks of every listKeys exchange, and rendering the report).

Then a breakdown of one verify run by phase, so the time can be placed. Bounded: fixed counts
and rounds. Run: python bench/bench_verify.py [--count 1000 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pytest_batchkeys.cli.verify import render_table, run_verify, scan_secrets, verify_recording
from pytest_batchkeys.recording.formats import check_recording, load_recording
from pytest_batchkeys.secrets import placeholders

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside

TARGET = 2.0
#: The clock of the breakdown (set from --clock).
CLOCK = sidebyside.CLOCKS["wall"]

URI = (
    f"https://management.azure.com/subscriptions/{placeholders.SUBSCRIPTION_ID}/resourceGroups/"
    f"{placeholders.RESOURCE_GROUP}/providers/Microsoft.Batch/batchAccounts/"
    f"{placeholders.ACCOUNT_NAME}/listKeys?api-version=2026-08-01"
)
BODY = json.dumps(
    {
        "accountName": placeholders.ACCOUNT_NAME,
        "primary": placeholders.FAKE_PRIMARY_KEY,
        "secondary": placeholders.FAKE_SECONDARY_KEY,
    }
)


def interaction(index: int, status: int = 200) -> dict[str, Any]:
    """One listKeys exchange as our recorder writes it."""
    body = BODY if status == 200 else json.dumps({"error": {"code": "Boom", "message": "no"}})
    return {
        "request": {
            "method": "POST",
            "uri": URI,
            "body": None,
            "headers": {"Authorization": [placeholders.REDACTED_AUTHORIZATION]},
        },
        "response": {
            "status": {"code": status, "message": "OK"},
            "headers": {
                "Content-Type": ["application/json; charset=utf-8"],
                "Content-Length": [str(len(body))],
                "x-ms-request-id": [f"00000000-0000-0000-0000-{index:012d}"],
                "x-ms-correlation-request-id": [f"00000000-0000-0000-0001-{index:012d}"],
            },
            "body": {"string": body},
        },
    }


def generate(directory: Path, count: int) -> list[Path]:
    """`count` cassettes: mostly vcrpy YAML with 3 exchanges, every tenth a test-proxy JSON."""
    paths = []
    for index in range(count):
        if index % 10 == 9:
            path = directory / f"proxy_{index:04d}.json"
            entry = {
                "RequestUri": URI,
                "RequestMethod": "POST",
                "RequestHeaders": {"Authorization": "Sanitized"},
                "RequestBody": None,
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "application/json"},
                "ResponseBody": json.loads(BODY),
            }
            path.write_text(json.dumps({"Entries": [entry], "Variables": {}}, indent=2))
        else:
            path = directory / f"cassette_{index:04d}.yaml"
            items = [interaction(index), interaction(index, 404), interaction(index)]
            path.write_text(yaml.safe_dump({"interactions": items, "version": 1}))
        paths.append(path)
    return paths


def plain_load(paths: list[Path]) -> None:
    """The baseline: parse every file, nothing else."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in paths:
        text = path.read_text()
        if path.suffix == ".json":
            json.loads(text)
        else:
            yaml.load(text, Loader=loader)


def verify_once(directory: str) -> None:
    """One `batchkeys verify` run, report rendered (what the command does, minus printing)."""
    report = run_verify([directory])
    io.StringIO().write(render_table(report))
    if report.errors or report.exit_code() != 0:
        raise SystemExit(f"verify did not pass on the generated files: {report.errors[:3]}")


def breakdown(paths: list[Path]) -> None:
    """Seconds per phase of one verify pass over `paths` (loading, scan, contract checks)."""
    started = CLOCK()
    recordings = [load_recording(path) for path in paths]
    loaded = CLOCK()
    for recording in recordings:
        check_recording(recording)
    validated = CLOCK()
    for recording, path in zip(recordings, paths, strict=True):
        scan_secrets(recording, str(path))
    scanned = CLOCK()
    for recording, path in zip(recordings, paths, strict=True):
        verify_recording(recording, str(path))
    both = CLOCK()
    contract = (both - scanned) - (scanned - validated)
    print(
        f"  phases of one pass: bounded load {loaded - started:.3f} s, validation "
        f"{validated - loaded:.3f} s, secret scan {scanned - validated:.3f} s, contract checks "
        f"~{contract:.3f} s (verify_recording minus the scan)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--clock",
        choices=sorted(sidebyside.CLOCKS),
        default="wall",
        help="wall time (default) or this process's CPU time (steadier on a shared machine)",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = sidebyside.CLOCKS[args.clock]
    print(sidebyside.describe_machine(("PyYAML",)))
    print(f"libyaml: {getattr(yaml, '__with_libyaml__', False)}; clock: {args.clock}")
    for count in args.count:
        with tempfile.TemporaryDirectory() as tmp:
            paths = generate(Path(tmp), count)
            rounds = args.rounds if count <= 2000 else max(3, args.rounds // 2)
            samples = sidebyside.interleave(
                {
                    "plain YAML/JSON load": lambda paths=paths: plain_load(paths),
                    "batchkeys verify": lambda tmp=tmp: verify_once(tmp),
                },
                rounds=rounds,
                clock=sidebyside.CLOCKS[args.clock],
            )
            exchanges = run_verify([tmp]).exchanges
            sidebyside.print_table(
                f"{count} cassettes ({exchanges} listKeys exchanges)",
                samples,
                "plain YAML/JSON load",
                {"batchkeys verify": TARGET},
            )
            breakdown(paths)


if __name__ == "__main__":
    main()
