"""SIGKILL a `--batch-record=all` run at random moments, many times; count intact outcomes.

Usage: python bench/bench_atomic.py [TRIALS] [CONTROL_TRIALS]   (defaults: 100 and 20)

Each trial records 8 cassettes against a local simulator (loopback) and is killed after a
random delay once the first write has begun (helpers in tests/recording/test_reliability_atomic.py; the
subprocess's writes are slowed down so kills land inside them). A trial is intact when every
cassette is either the previous file byte for byte or a complete new recording. The control
runs the same trials with a naive (truncate, then write) writer, to show the check can fail.
Prints one line per writer: trials, intact trials, and the per-cassette outcome counts.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "recording"))

from test_reliability_atomic import (
    Project,
    calibrate,
    kill_trial,
    trial_env,
)

from pytest_batchkeys.simulator import Simulator


def run(trials: int, *, naive: bool, sim: Simulator, rng: random.Random) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-atomic-") as tmp:
        project = Project.create(Path(tmp) / "project")
        env = trial_env(sim, naive=naive)
        window = calibrate(project, env)
        intact, totals = 0, Counter[str]()
        started = time.monotonic()
        for _ in range(trials):
            found = kill_trial(project, env, rng.uniform(0, window))
            intact += found["broken"] == 0
            totals += found
        name = "naive writer (control)" if naive else "write_atomic"
        return (
            f"{name}: {intact}/{trials} trials intact; cassettes: {totals['previous']} previous, "
            f"{totals['new']} new, {totals['broken']} broken; {totals['temp files']} temp files "
            f"left; kill window {window:.2f}s; {time.monotonic() - started:.0f}s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", nargs="?", type=int, default=100, help="default 100")
    parser.add_argument("control", nargs="?", type=int, default=20, help="control trials (20)")
    args = parser.parse_args()
    trials, control = args.trials, args.control
    rng = random.Random(2026)
    with Simulator() as sim:
        print(run(trials, naive=False, sim=sim, rng=rng), flush=True)
        if control:
            print(run(control, naive=True, sim=sim, rng=rng), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
