"""Atomic cassettes: a record run killed with SIGKILL at any moment leaves, for every cassette,
either the previous file byte for byte or a complete new one, never a partial file.

A trial records a small suite with `--batch-record=all` in a subprocess against a simulator in
this process, waits until the first cassette write begins, then kills it after a random delay.
The subprocess's conftest slows each write down (chunked, with short sleeps, and a slower
fsync) so kills land inside writes often; the logic under test is unchanged. `naive=True`
swaps in a plain non-atomic writer: the control that shows the check can fail.
bench/bench_atomic.py runs many trials with these helpers.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import cassette_builder as cb

from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.recording.atomic import remove_stale_temps, sweep_temps, write_atomic
from pytest_batchkeys.recording.cassettes import read_cassette
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import Simulator

TESTS = 8
SUITE = "".join(
    f"""
@pytest.mark.batchkeys
def test_keys_{n}(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200
"""
    for n in range(TESTS)
)
SLOW_WRITES = '''
"""Widen the write window so random kills land inside writes (test harness only)."""
import os
import time
import types

from pytest_batchkeys.recording import atomic

from pytest_batchkeys.recording import cassettes


class SlowFile:
    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        step = max(1, len(data) // 8)
        for start in range(0, len(data), step):
            self.handle.write(data[start : start + step])
            self.handle.flush()
            time.sleep(0.01)
        return len(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)


def slow_fsync(fd):
    time.sleep(0.01)
    os.fsync(fd)


slow_os = types.SimpleNamespace(**{n: getattr(os, n) for n in dir(os) if not n.startswith("__")})
slow_os.fdopen = lambda fd, *args, **kwargs: SlowFile(os.fdopen(fd, *args, **kwargs))
slow_os.fsync = slow_fsync
atomic.os = slow_os


def naive_write(path, data):
    """What atomic.write_atomic replaces: truncate in place, then write."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open(path, "wb") as handle:
        SlowFile(handle).write(payload)


if os.environ.get("ATOMIC_TRIAL_NAIVE") == "1":
    cassettes.write_atomic = naive_write
'''


@dataclass
class Project:
    """A recording project: suite, slow-write conftest, and previous cassettes to compare with."""

    root: Path
    previous: dict[Path, bytes] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path) -> Project:
        root.mkdir(parents=True, exist_ok=True)
        (root / "test_suite.py").write_text("import pytest\n" + SUITE, encoding="utf-8")
        (root / "conftest.py").write_text(SLOW_WRITES, encoding="utf-8")
        (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        project = cls(root)
        project.reset()
        return project

    @property
    def cassette_dir(self) -> Path:
        return self.root / "cassettes" / "test_suite"

    def reset(self) -> None:
        """Put the previous cassettes back (a bulky body, so each write takes a while)."""
        if self.cassette_dir.exists():
            for leftover in self.cassette_dir.iterdir():
                leftover.unlink()
        self.previous.clear()
        for n in range(TESTS):
            interactions = [cb.interaction(headers={"x-previous": "x" * 4000}) for _ in range(3)]
            path = cb.write(self.cassette_dir / f"test_keys_{n}.yaml", *interactions)
            self.previous[path] = path.read_bytes()

    def changed(self) -> bool:
        """True once any write has started (a temp file or a changed cassette)."""
        try:
            names = os.listdir(self.cassette_dir)
        except OSError:
            return False
        if any(name.endswith(".tmp") for name in names):
            return True
        return any(
            path.stat().st_size != len(old) or path.read_bytes() != old
            for path, old in self.previous.items()
            if path.exists()
        )


def trial_env(sim: Simulator, *, naive: bool = False) -> dict[str, str]:
    """The environment of a record run against `sim` (placeholder target, static token)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "BATCHKEYS_", "PYTEST"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the subprocess cache rewritten modules
    env.update(
        AZURE_SUBSCRIPTION_ID=placeholders.SUBSCRIPTION_ID,
        BATCHKEYS_RESOURCE_GROUP=placeholders.RESOURCE_GROUP,
        BATCHKEYS_ACCOUNT_NAME=placeholders.ACCOUNT_NAME,
        BATCHKEYS_ACCESS_TOKEN=sim.issue_token(),
        BATCHKEYS_ENDPOINT=sim.url,
        ATOMIC_TRIAL_NAIVE="1" if naive else "0",
    )
    return env


COMMAND = (
    sys.executable,
    "-m",
    "pytest",
    "--batch-record=all",
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:schemathesis",
    "-p",
    "no:recording",
)


def calibrate(project: Project, env: dict[str, str]) -> float:
    """Run once to the end; returns seconds from the first write to exit (the kill window)."""
    process = subprocess.Popen(
        COMMAND, cwd=project.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    first = _wait_for_first_write(project, process)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output.decode(errors="replace")
    return max(time.monotonic() - first, 0.05)


def _wait_for_first_write(project: Project, process: subprocess.Popen[bytes]) -> float:
    deadline = time.monotonic() + 60
    while not project.changed():
        if process.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.001)
    return time.monotonic()


def kill_trial(project: Project, env: dict[str, str], delay: float) -> Counter[str]:
    """One killed record run; counts per cassette 'previous', 'new' or 'broken', and temps."""
    project.reset()
    process = subprocess.Popen(
        COMMAND, cwd=project.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_first_write(project, process)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    return outcomes(project)


def outcomes(project: Project) -> Counter[str]:
    """Classify every cassette; temp files are counted and must never look like cassettes."""
    found: Counter[str] = Counter()
    yaml_files = set(project.root.rglob("*.yaml"))
    assert yaml_files == set(project.previous), "a temp file shadows or replaces a cassette"
    for path, old in project.previous.items():
        data = path.read_bytes()
        if data == old:
            found["previous"] += 1
            continue
        try:
            loaded = read_cassette(path)
        except CassetteError:
            found["broken"] += 1
            continue
        complete = (
            len(loaded.interactions) == 1
            and b"recorded_with: pytest-batchkeys" in data
            and data.endswith(b"version: 1\n")
        )
        found["new" if complete else "broken"] += 1
    found["temp files"] = sum(1 for p in project.cassette_dir.iterdir() if p.suffix == ".tmp")
    return found


@pytest.fixture(scope="module")
def sim() -> Simulator:
    with Simulator() as simulator:
        yield simulator  # type: ignore[misc]


def test_sigkill_during_recording_leaves_previous_or_complete_cassettes(
    tmp_path: Path, sim: Simulator
) -> None:
    project = Project.create(tmp_path / "project")
    env = trial_env(sim)
    window = calibrate(project, env)
    assert outcomes(project)["new"] == TESTS  # the uninterrupted run rewrote every cassette
    rng = random.Random(5)
    total: Counter[str] = Counter()
    for _ in range(4):
        total += kill_trial(project, env, rng.uniform(0, window))
    assert total["broken"] == 0, total
    assert total["previous"] + total["new"] == 4 * TESTS


def test_a_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "c.yaml"
    target.write_text("previous")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space left on device"):
        write_atomic(target, "new")
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["c.yaml"]  # its temp file is gone too


def test_stale_temp_files_are_cleaned_fresh_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "test_keys[bang].yaml"  # glob characters in the name are harmless
    stale = tmp_path / ".test_keys[bang].yaml.abc123.tmp"
    fresh = tmp_path / ".test_keys[bang].yaml.def456.tmp"
    other = tmp_path / ".other.yaml.abc123.tmp"
    for path in (stale, fresh, other):
        path.write_text("partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_atomic(target, "interactions: []\nversion: 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, fresh.name, other.name]
    )
    assert remove_stale_temps(tmp_path / "other.yaml") == [other]


def test_temp_files_of_a_killed_writer_are_swept_at_any_depth(tmp_path: Path) -> None:
    """A write killed by SIGKILL leaves `.name.yaml.<pid>-<random>.tmp`; the next run removes it
    when that process is gone, whatever its age, and keeps a live writer's file."""
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    nested = tmp_path / "test_mod"
    nested.mkdir()
    orphan = nested / f".test_keys.yaml.{dead_pid}-x1y2.tmp"
    live = nested / f".test_keys.yaml.{os.getpid()}-a1b2.tmp"
    mine = nested / "notes.tmp"  # not ours by name
    for path in (orphan, live, mine):
        path.write_text("partial")
    assert sweep_temps(tmp_path) == [orphan]
    assert sorted(p.name for p in nested.iterdir()) == sorted([live.name, mine.name])


def test_write_atomic_names_its_temp_file_after_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(tmp_path / "c.yaml", "x")
    assert seen[0].startswith(f".c.yaml.{os.getpid()}-")
    assert seen[0].endswith(".tmp")
