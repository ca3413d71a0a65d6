"""How long `batchkeys scrub --check` takes on a cassette whose body is long runs of 'A'.

The 'AAAA==' placeholder starts at every position of such a run; scrubbing must stay linear in
the file size. Prints, side by side, the median time of a plain YAML load of the same file
(libyaml's CSafeLoader) and of the scrub, and their ratio.
Run: python bench/bench_scrub.py [--mb 1 10 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from argparse import Namespace
from pathlib import Path

import yaml

from pytest_batchkeys.cli.scrub import scrub_main
from pytest_batchkeys.recording.cassettes import serialize_cassette

URI = "https://management.azure.com/subscriptions/x/providers/Microsoft.Batch/listKeys"


def write_cassette(path: Path, megabytes: float) -> None:
    """A one-interaction cassette whose response body is runs of 'A' (`megabytes` in total)."""
    run = "A" * 4096
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


def median_seconds(action: object, repeat: int) -> float:
    """The median wall time of `repeat` calls of `action`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 10.0, 60.0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print(f"{'size':>8}  {'yaml load':>10}  {'scrub':>8}  {'ratio':>6}  exit")
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in args.mb:
            path = Path(tmp) / f"runs-{megabytes:g}mb.yaml"
            write_cassette(path, megabytes)
            text = path.read_text(encoding="utf-8")
            load = median_seconds(lambda: yaml.load(text, Loader=loader), args.repeat)  # noqa: B023
            codes: list[int] = []
            check = Namespace(paths=[str(path)], check=True)
            scrub = median_seconds(
                lambda: codes.append(scrub_main(check, out=io.StringIO())),  # noqa: B023
                args.repeat,
            )
            size = f"{path.stat().st_size / 1e6:.1f} MB"
            print(f"{size:>8}  {load:>9.2f}s  {scrub:>7.2f}s  {scrub / load:>5.1f}x  {codes[-1]}")


if __name__ == "__main__":
    main()
