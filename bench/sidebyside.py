"""Side-by-side timing shared by every benchmark under bench/: interleaved runs, medians, noise.

A benchmark names its variants (the floor it is compared with first), `interleave` runs them in
turn (A, B, A, B, ... with the order rotated each round, one warm-up round discarded) so that load
from other processes falls on all of them alike, and `print_table` prints, in one block:

* each variant's median, min and max, and its noise: the spread of its own repetitions
  ((max - min) / median), so a reader sees at once whether a ratio is inside the noise;
* the ratio of each variant to the floor, from the medians, and the median and range of the
  per-round ratios (each round's variants ran back to back, so those pairs share the load);
* whether the ratio meets its target.

Not a test module: benchmarks print, they never assert (machines are noisy).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

#: A sample is seconds (wall clock unless the variant returns its own measurement).
Sample = float


@dataclass
class Samples:
    """The repetitions of one variant, in round order."""

    name: str
    values: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def noise(self) -> float:
        """(max - min) / median of this variant's own repetitions."""
        if len(self.values) < 2 or not self.median:
            return 0.0
        return (max(self.values) - min(self.values)) / self.median


#: The clocks a benchmark can time in-process variants with (`--clock`).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def interleave(
    variants: Mapping[str, Callable[[], object]],
    rounds: int,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Samples]:
    """Run every variant once per round, in turn, timed by `clock` (or returning float seconds).

    The order is rotated each round so that no variant always runs first (caches, frequency
    scaling); `warmup` rounds are run first and discarded. `clock` is wall time by default;
    this process's CPU time (`time.process_time`) suits single-threaded in-process variants on
    a machine shared with other jobs, since time spent waiting for a core is not counted.
    """
    names = list(variants)
    samples = {name: Samples(name) for name in names}
    for number in range(warmup + rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            started = clock()
            measured = variants[name]()
            stopped = clock()
            # A variant may time itself (return float seconds); any other result is ignored.
            elapsed = measured if isinstance(measured, float) else stopped - started
            if number >= warmup:
                samples[name].values.append(elapsed)
    return samples


def round_ratios(top: Samples, floor: Samples) -> list[float]:
    """Per-round ratios top / floor (the two ran back to back in each round)."""
    return [a / b for a, b in zip(top.values, floor.values, strict=True) if b]


def verdict(ratio: float, target: float, higher_is_better: bool = False) -> str:
    """'met' or 'NOT met' for a ratio against its target."""
    ok = ratio >= target if higher_is_better else ratio <= target
    return "met" if ok else "NOT met"


def print_table(
    title: str,
    samples: Mapping[str, Samples],
    floor: str,
    targets: Mapping[str, float] | None = None,
    *,
    unit: str = "s",
    scale: float = 1.0,
    higher_is_better: bool = False,
) -> dict[str, float]:
    """Print medians, spreads and ratios to `floor`; return the median ratio per variant.

    `targets` maps a variant to its target ratio (at most, or at least when `higher_is_better`,
    e.g. for throughput). `scale` converts samples for display (1000 for ms).
    """
    base = samples[floor]
    rounds = len(base.values)
    print(f"\n{title}")
    print(f"  {rounds} interleaved rounds per variant (order rotated, warm-up discarded)")
    width = max(len(name) for name in samples) + 2
    print(
        f"  {'variant':<{width}}{'median':>11}{'min':>11}{'max':>11}{'noise':>8}"
        f"{'ratio':>9}  per-round ratios"
    )
    ratios: dict[str, float] = {}
    for name, item in samples.items():
        ratio = item.median / base.median if base.median else float("nan")
        ratios[name] = ratio
        per_round = round_ratios(item, base) if name != floor else []
        rounds_text = (
            f"median {statistics.median(per_round):.3f}x, "
            f"{min(per_round):.3f}-{max(per_round):.3f}x"
            if per_round
            else "(floor)"
        )
        digits = 3 if scale == 1.0 and unit == "s" else 1
        cells = "".join(
            f"{value * scale:>{11 - len(unit)}.{digits}f}{unit}"
            for value in (item.median, min(item.values), max(item.values))
        )
        print(f"  {name:<{width}}{cells}{item.noise:>8.0%}{ratio:>8.3f}x  {rounds_text}")
    for name, target in (targets or {}).items():
        relation = ">=" if higher_is_better else "<="
        print(
            f"  RATIO {name} / {floor}: {ratios[name]:.3f}x "
            f"(target {relation} {target:.2f}x: {verdict(ratios[name], target, higher_is_better)}); "
            f"noise of the two: {samples[name].noise:.0%} and {base.noise:.0%}"
        )
    return ratios


def describe_machine(packages: tuple[str, ...] = ()) -> str:
    """Cores, memory, load, Python, the bytecode setting and the versions that matter."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [
        f"machine: {os.cpu_count()} cores{memory}, load average {load}, {platform.platform()}",
        f"python: {platform.python_implementation()} {platform.python_version()}",
    ]
    if packages:
        versions = []
        for name in packages:
            try:
                versions.append(f"{name} {metadata.version(name)}")
            except metadata.PackageNotFoundError:
                versions.append(f"{name} (not installed)")
        lines.append("packages: " + ", ".join(versions))
    setting = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    lines.append(
        f"PYTHONDONTWRITEBYTECODE={setting!r} "
        f"({'no .pyc written' if setting else 'bytecode written and reused'})"
    )
    lines.append(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    return "\n".join(lines)
