"""Start-up cost of pytest-batchkeys for a host suite that never uses it.

Generates a 200-test host suite in a temporary directory and times `pytest --co -q` on it:

1. in the current environment, with the plugin loaded versus `-p no:batchkeys`;
2. in three fresh virtual environments: only pytest, the kit installed, and the kit installed
   with schemathesis's and hypothesis's pytest plugins switched off
   (`-p no:schemathesis -p no:hypothesispytest`).

Runs of the variants are interleaved (A, B, A, B, ...) so that load from other processes on a
shared machine falls on all of them alike; medians are printed side by side with their ratio.
Not a test: run it by hand, e.g. `python bench/bench_startup.py --runs 15`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NO_EXTRA_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")
# anyio comes with schemathesis and registers a pytest plugin of its own.
NO_EXTRA_PLUGINS_ANYIO = (*NO_EXTRA_PLUGINS, "-p", "no:anyio")
BOTH_OFF = "kit, -p no:schemathesis -p no:hypothesispytest"
ALL_OFF = "kit, ... and -p no:anyio"
TARGET_PLUGIN = 1.03
TARGET_INSTALLED = 1.10


def write_host_suite(root: Path, files: int = 20, per_file: int = 10) -> None:
    """A plain host project: `files` modules of `per_file` tests each, none using the plugin."""
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    for number in range(files):
        lines = ["import json", ""]
        for test in range(per_file):
            lines += [
                f"def test_case_{test}():",
                f"    assert json.loads('[{test}]') == [{test}]",
                "",
            ]
        (root / f"test_host_{number:02d}.py").write_text("\n".join(lines), encoding="utf-8")


def time_collect(python: str, suite: Path, extra: Sequence[str], env: dict[str, str]) -> float:
    """Wall seconds of one `pytest --co -q` of the suite (fails loudly if collection fails)."""
    command = [python, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=suite, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "200 tests collected" not in done.stdout:
        raise SystemExit(f"collection failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return elapsed


def compare(
    variants: dict[str, tuple[str, Sequence[str]]], suite: Path, runs: int, env: dict[str, str]
) -> dict[str, float]:
    """Median wall time per variant, runs interleaved; one warm-up run each is discarded."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for python, extra in variants.values():
        time_collect(python, suite, extra, env)
    for _ in range(runs):
        for name, (python, extra) in variants.items():
            samples[name].append(time_collect(python, suite, extra, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def make_venv(path: Path, packages: Sequence[str], env: dict[str, str]) -> str:
    """A fresh virtual environment with `packages` pip-installed (the pip cache is reused)."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    python = str(path / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"pip install {' '.join(packages)} failed:\n{done.stdout}{done.stderr}")
    return python


def describe_machine(env: dict[str, str]) -> str:
    """Cores, memory, Python version and the bytecode setting used by every timed run."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    setting = env.get("PYTHONDONTWRITEBYTECODE", "")
    return (
        f"machine: {os.cpu_count()} cores{memory}, {platform.platform()}, "
        f"Python {platform.python_version()}\n"
        f"PYTHONDONTWRITEBYTECODE={setting!r} "
        f"({'bytecode and pytest rewrite cache NOT written' if setting else 'bytecode written'})"
    )


def report(
    title: str, medians: dict[str, float], base: str, checked: Sequence[str], target: float
) -> None:
    """Print medians side by side with their ratio to `base`, and whether `checked` met target."""
    print(f"\n{title}")
    for name, value in medians.items():
        print(f"  {name:<48} {value * 1000:8.0f} ms   {value / medians[base]:5.3f}x")
    for name in checked:
        ratio = medians[name] / medians[base]
        verdict = "met" if ratio <= target else "NOT met"
        print(f"  {name} / {base}: {ratio:.3f}x (target <= {target:.2f}x: {verdict})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per variant (>= 10)")
    parser.add_argument(
        "--dont-write-bytecode",
        choices=("inherit", "0", "1"),
        default="inherit",
        help="PYTHONDONTWRITEBYTECODE for the timed runs (default: as in this environment)",
    )
    parser.add_argument(
        "--pytest", default=None, help="pytest requirement for the fresh venvs (default: ours)"
    )
    parser.add_argument("--skip-venvs", action="store_true", help="only the in-place comparison")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    if args.dont_write_bytecode == "0":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    elif args.dont_write_bytecode == "1":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    print(describe_machine(env))
    print(f"runs per variant: {args.runs} (medians; interleaved; one warm-up each)")

    with tempfile.TemporaryDirectory(prefix="batchkeys-bench-") as tmp:
        suite = Path(tmp) / "host"
        suite.mkdir()
        write_host_suite(suite)
        here = sys.executable
        medians = compare(
            {
                "plugin loaded (this environment)": (here, ()),
                "-p no:batchkeys": (here, ("-p", "no:batchkeys")),
            },
            suite,
            args.runs,
            env,
        )
        report(
            "pytest --co -q, 200-test host suite, plugin vs -p no:batchkeys",
            medians,
            "-p no:batchkeys",
            ["plugin loaded (this environment)"],
            TARGET_PLUGIN,
        )
        if args.skip_venvs:
            return 0

        import pytest

        pytest_req = args.pytest or f"pytest=={pytest.__version__}"
        install_env = {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        print(f"\ncreating venvs under {tmp} ({pytest_req}; kit from {REPO}) ...", flush=True)
        bare = make_venv(Path(tmp) / "venv-pytest", [pytest_req], install_env)
        kit = make_venv(Path(tmp) / "venv-kit", [pytest_req, str(REPO)], install_env)
        medians = compare(
            {
                "only pytest": (bare, ()),
                "kit installed": (kit, ()),
                BOTH_OFF: (kit, NO_EXTRA_PLUGINS),
                ALL_OFF: (kit, NO_EXTRA_PLUGINS_ANYIO),
            },
            suite,
            args.runs,
            env,
        )
        report(
            "pytest --co -q, 200-test host suite, three environments (+ anyio's plugin off)",
            medians,
            "only pytest",
            [BOTH_OFF, ALL_OFF],
            TARGET_INSTALLED,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
