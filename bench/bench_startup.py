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
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sidebyside

REPO = Path(__file__).resolve().parent.parent
NO_EXTRA_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")
# anyio comes with schemathesis and registers a pytest plugin of its own.
NO_EXTRA_PLUGINS_ANYIO = (*NO_EXTRA_PLUGINS, "-p", "no:anyio")
BOTH_OFF = "kit, -p no:schemathesis -p no:hypothesispytest"
ALL_OFF = "kit + the documented ini line (also -p no:anyio)"
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
) -> dict[str, sidebyside.Samples]:
    """Wall time per variant, runs interleaved (order rotated); one warm-up round discarded."""

    def runner(python: str, extra: Sequence[str]) -> Callable[[], float]:
        return lambda: time_collect(python, suite, extra, env)

    return sidebyside.interleave(
        {name: runner(python, extra) for name, (python, extra) in variants.items()}, rounds=runs
    )


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


def report(
    title: str,
    samples: dict[str, sidebyside.Samples],
    base: str,
    checked: Sequence[str],
    target: float,
) -> None:
    """Medians, noise and ratios side by side, with the verdict for `checked` against target."""
    sidebyside.print_table(
        title, samples, base, dict.fromkeys(checked, target), unit="ms", scale=1000
    )


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
    os.environ["PYTHONDONTWRITEBYTECODE"] = env.get("PYTHONDONTWRITEBYTECODE", "")
    print(sidebyside.describe_machine(("pytest", "schemathesis", "hypothesis")))
    print(f"runs per variant: {args.runs} (medians; interleaved; one warm-up each)")

    with tempfile.TemporaryDirectory(prefix="batchkeys-bench-") as tmp:
        suite = Path(tmp) / "host"
        suite.mkdir()
        write_host_suite(suite)
        here = sys.executable
        samples = compare(
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
            samples,
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
        samples = compare(
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
            samples,
            "only pytest",
            [ALL_OFF],
            TARGET_INSTALLED,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
