"""The corpus of bad inputs (tests/helpers/bad_corpus.py): each ends in time, cleanly, as pinned.

Every case must end under its time limit (5 s; a whole in-process pytest session gets 5 s more for
its own set-up on a loaded machine) with its exit code (HTTP status for raw requests) and
message fragment, with no INTERNALERROR, no raw traceback, and its files unchanged. CLI cases run
in-process under SIGALRM, so a hang fails the case instead of the run; bench/bench_bad_inputs.py
runs the same corpus as real processes and prints the table docs/reliability.md summarises.
"""

from __future__ import annotations

import contextlib
import io
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from helpers import bad_corpus as corpus

from pytest_batchkeys.cli.main import main
from pytest_batchkeys.simulator import Simulator

CASES = corpus.all_cases()
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")


class _TimeLimit(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _TimeLimit in the main thread after `seconds` (a blocking open or read included)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _TimeLimit(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_cli(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator() as sim:
        yield sim


def test_the_corpus_is_large_and_covers_every_family() -> None:
    families = {case.id.split("/")[0] for case in CASES}
    assert len(CASES) >= 120
    assert len({case.id for case in CASES}) == len(CASES)
    assert families == {"replay", "verify", "scrub", "spec", "serve-config", "settings", "http"}


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "cli"], ids=lambda c: c.id)
def test_cli_case(case: corpus.Case, tmp_path: Path) -> None:
    corpus.place(tmp_path, case)
    before = corpus.snapshot(tmp_path, case)
    args = corpus.expand(case.args, tmp_path)
    with _time_limit(corpus.TIME_LIMIT):
        code, output, seconds = corpus.timed(lambda: _run_cli(args))
    outcome = corpus.Outcome(
        code, output, seconds, corpus.changed(before, corpus.snapshot(tmp_path, case))
    )
    assert outcome.problems(case) == [], output


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "pytest"], ids=lambda c: c.id)
def test_pytest_case(
    case: corpus.Case, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_replay=corpus.REPLAY_TEST)
    corpus.place(pytester.path, case)
    before = corpus.snapshot(pytester.path, case)
    for name, value in case.env:
        monkeypatch.setenv(name, value.replace("{dir}", str(pytester.path)))
    args = corpus.expand(case.args, pytester.path)

    def run() -> tuple[int, str]:
        result = pytester.runpytest("-p", "no:randomly", *args)
        return int(result.ret), result.stdout.str() + result.stderr.str()

    limit = corpus.TIME_LIMIT + corpus.SESSION_ALLOWANCE
    with _time_limit(limit):
        code, output, seconds = corpus.timed(run)
    after = corpus.snapshot(pytester.path, case)
    outcome = corpus.Outcome(code, output, seconds, corpus.changed(before, after))
    assert outcome.problems(case, limit) == [], output


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "http"], ids=lambda c: c.id)
def test_http_case(case: corpus.Case, simulator: Simulator) -> None:
    code, output, seconds = corpus.timed(lambda: corpus.send_raw(simulator.port, case.request))
    assert corpus.Outcome(code, output, seconds).problems(case) == [], output
    assert simulator.stats.internal_errors == 0
