"""Run the corpus of bad inputs (tests/helpers/bad_corpus.py) as real processes; print the table.

Each CLI case runs `python -m pytest_batchkeys.cli ...`, each plugin case `python -m pytest ...`
in a fresh directory, each raw HTTP case goes to one local simulator. A case passes when it ends
under the time limit with its exit code (HTTP status) and message fragment, no INTERNALERROR, no
raw traceback and its files unchanged. A process's own start-up (interpreter, pytest and its
plugins) is measured once as a baseline and allowed on top of the limit: on a loaded machine it
alone can take seconds. docs/reliability.md summarises the output.
Run: python bench/bench_bad_inputs.py [--only PREFIX] [--failures-only]
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers import bad_corpus as corpus

from pytest_batchkeys.simulator import Simulator

#: A process still running after this is killed and reported as a hang.
HANG_AFTER = 30.0


def _environment(case: corpus.Case, directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "BATCHKEYS_"))}
    env.update({name: value.replace("{dir}", str(directory)) for name, value in case.env})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_process(case: corpus.Case, directory: Path) -> tuple[int, str]:
    """(exit code, output) of the case run as a process; exit -1 if it hung."""
    args = corpus.expand(case.args, directory)
    if case.kind == "cli":
        command = [sys.executable, "-m", "pytest_batchkeys.cli", *args]
    else:
        (directory / "test_replay.py").write_text(corpus.REPLAY_TEST)
        command = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"]
        command += args
    try:
        done = subprocess.run(
            command,
            cwd=directory,
            env=_environment(case, directory),
            capture_output=True,
            text=True,
            timeout=HANG_AFTER,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, f"hung: killed after {HANG_AFTER} s"
    return done.returncode, done.stdout + done.stderr


def baseline(kind: corpus.Kind) -> float:
    """Median seconds of a process of this kind on harmless input (start-up cost only)."""
    probe = corpus.Case("baseline", kind, (), ("--version",) if kind == "cli" else (), 0, "")
    times = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_process(probe, Path(tmp))
            times.append(time.perf_counter() - start)
    return sorted(times)[1]


def run_case(case: corpus.Case, sim: Simulator, start_up: float = 0.0) -> corpus.Outcome:
    """Run one case in a fresh directory and report how it ended."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        corpus.place(directory, case)
        before = corpus.snapshot(directory, case)
        start = time.perf_counter()
        if case.kind == "http":
            code, output = corpus.send_raw(sim.port, case.request)
        else:
            code, output = run_process(case, directory)
        seconds = max(0.0, time.perf_counter() - start - start_up)
        return corpus.Outcome(
            code, output, seconds, corpus.changed(before, corpus.snapshot(directory, case))
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only case ids starting with this")
    parser.add_argument("--failures-only", action="store_true", help="print only failing rows")
    args = parser.parse_args()
    cases = [case for case in corpus.all_cases() if case.id.startswith(args.only)]
    start_up = {kind: baseline(kind) for kind in ("cli", "pytest")}
    print(
        f"process start-up baseline: cli {start_up['cli']:.2f} s, pytest {start_up['pytest']:.2f} s"
    )
    print()
    print("| case | expected | got | seconds beyond start-up | result |")
    print("|---|---|---|---|---|")
    totals: collections.Counter[str] = collections.Counter()
    slowest = 0.0
    with Simulator() as sim:
        for case in cases:
            outcome = run_case(case, sim, start_up.get(case.kind, 0.0))
            problems = outcome.problems(case)
            slowest = max(slowest, outcome.seconds)
            totals["pass" if not problems else "fail"] += 1
            for problem in problems:
                totals[problem.split(",")[0].split(" ")[0]] += 1
            if problems or not args.failures_only:
                verdict = "; ".join(problems) or f"ok: {case.fragment!r}"
                print(
                    f"| {case.id} | {case.expect} | {outcome.code} | {outcome.seconds:.2f} "
                    f"| {verdict} |"
                )
        internal = sim.stats.internal_errors
    families = collections.Counter(case.id.split("/")[0] for case in cases)
    print()
    print(f"{len(cases)} cases ({', '.join(f'{k} {v}' for k, v in sorted(families.items()))})")
    print(
        f"passed {totals['pass']}, failed {totals['fail']}; slowest {slowest:.2f} s; "
        f"simulator internal errors {internal}"
    )
    return 1 if totals["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
