"""How long `batchkeys verify` takes over 1,000 generated cassettes (target: at most 5 s).

Prints the verify time and, measured in the same run over the same files, the time of a plain
YAML/JSON load of every file (libyaml's CSafeLoader when available), and their ratio.
Run: python bench/bench_verify.py [--count N]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from pytest_batchkeys.cli.verify import render_table, run_verify
from pytest_batchkeys.secrets import placeholders

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), args.count)
        start = time.perf_counter()
        plain_load(paths)
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        report = run_verify([tmp])
        io.StringIO().write(render_table(report))
        verify = time.perf_counter() - start
    print(
        f"cassettes: {args.count} ({report.exchanges} listKeys exchanges), libyaml: "
        f"{getattr(yaml, '__with_libyaml__', False)}"
    )
    print(f"verify:     {verify:.2f} s (target <= 5 s; includes the first import of the checks)")
    print(f"plain load: {baseline:.2f} s")
    print(f"ratio verify / plain load: {verify / baseline:.1f}x")
    print(f"exit code: {report.exit_code()} ({len(report.issues)} issues)")


if __name__ == "__main__":
    main()
