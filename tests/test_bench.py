"""The benchmarks under bench/ keep working: the shared harness, every --help, a tiny run each."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import sidebyside  # noqa: E402


def test_interleave_rotates_the_order_and_discards_the_warm_up() -> None:
    calls: list[str] = []
    samples = sidebyside.interleave(
        {name: (lambda name=name: calls.append(name)) for name in "abc"}, rounds=3, warmup=1
    )
    assert calls == list("abcbcacababc")
    assert [len(s.values) for s in samples.values()] == [3, 3, 3]


def test_a_variant_that_times_itself_is_taken_at_its_word() -> None:
    values = iter([1.0, 2.0, 4.0, 8.0])
    samples = sidebyside.interleave({"x": lambda: next(values)}, rounds=3)
    assert samples["x"].values == [2.0, 4.0, 8.0]
    assert samples["x"].median == 4.0
    assert samples["x"].noise == pytest.approx((8.0 - 2.0) / 4.0)


def test_table_prints_ratios_and_verdicts_both_ways(capsys: pytest.CaptureFixture[str]) -> None:
    floor = sidebyside.Samples("floor", [1.0, 1.0, 1.0])
    fast = sidebyside.Samples("fast", [1.05, 1.05, 1.05])
    slow = sidebyside.Samples("slow", [1.5, 1.4, 1.6])
    ratios = sidebyside.print_table(
        "t", {"floor": floor, "fast": fast, "slow": slow}, "floor", {"fast": 1.1, "slow": 1.1}
    )
    out = capsys.readouterr().out
    assert ratios["slow"] == pytest.approx(1.5)
    assert "RATIO fast / floor: 1.050x (target <= 1.10x: met)" in out
    assert "RATIO slow / floor: 1.500x (target <= 1.10x: NOT met)" in out
    assert "median 1.500x, 1.400-1.600x" in out  # per-round ratios
    assert sidebyside.verdict(0.96, 0.95, higher_is_better=True) == "met"
    assert sidebyside.verdict(0.90, 0.95, higher_is_better=True) == "NOT met"


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("bench_*.py")))
def test_every_benchmark_answers_help(script: str) -> None:
    assert "usage:" in run(str(BENCH / script), "--help")


def test_verify_benchmark_runs_small() -> None:
    out = run(str(BENCH / "bench_verify.py"), "--count", "20", "--rounds", "1")
    assert "RATIO batchkeys verify / plain YAML/JSON load" in out
    assert "phases of one pass" in out


def test_tls_benchmark_runs_small() -> None:
    pytest.importorskip("trustme")
    out = run(str(BENCH / "bench_tls.py"), "--requests", "3", "--rounds", "1")
    assert "listKeys latency" in out


def test_scrub_benchmark_runs_small() -> None:
    out = run(str(BENCH / "bench_scrub.py"), "--mb", "0.2", "--rounds", "1")
    assert "RATIO" in out


def test_contract_benchmark_generated_part_runs_small() -> None:
    out = run(
        str(BENCH / "bench_contract.py"), "--only", "b", "--cases", "10", "--live-repeats", "1"
    )
    assert "RATIO" in out


def test_simulator_benchmark_runs_small() -> None:
    out = run(str(BENCH / "bench_simulator.py"), "--requests", "40", "--rounds", "1")
    assert "RATIO simulator listKeys (gzip) / floor" in out


def test_run_all_names_every_timing_benchmark_with_options_it_accepts() -> None:
    script = (BENCH / "run-all.sh").read_text()
    listed = re.findall(r'"(bench_\w+\.py)([^"]*)"', script)
    names = {name for name, _ in listed}
    counts_not_time = {"bench_atomic.py", "bench_bad_inputs.py"}
    assert names == {p.name for p in BENCH.glob("bench_*.py")} - counts_not_time
    for name, options in listed:
        usage = run(str(BENCH / name), "--help")
        assert all(word in usage for word in options.split() if word.startswith("--")), name
