"""Docs examples run as written: the simulator's fault recipe, the replay cassette-dir check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from pytest_batchkeys.simulator import Simulator

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _recipe(title: str) -> str:
    """The lines of docs/simulator.md's fault recipe that follow the comment `title`."""
    text = (DOCS / "simulator.md").read_text(encoding="utf-8")
    block = text[text.index(title) :].split("\n\n", 1)[0]
    return "\n".join(line for line in block.splitlines() if not line.startswith("#"))


def test_cut_body_then_dropped_connection_recipe_does_both(batchkeys_simulator: Simulator):
    code = _recipe("# Broken transports:")
    assert re.search(r'kind="truncate"', code)
    exec(code, {"sim": batchkeys_simulator})
    target = batchkeys_simulator.listkeys_url()
    token = batchkeys_simulator.issue_token()
    headers = {"Authorization": f"Bearer {token}"}
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # the cut body
        requests.post(target, headers=headers, timeout=10).content  # noqa: B018
    with pytest.raises(requests.exceptions.ConnectionError):  # the dropped connection
        requests.post(target, headers=headers, timeout=10)
    assert requests.post(target, headers=headers, timeout=10).status_code == 200


def test_replay_with_cassette_dir_pointing_at_a_file_is_one_usage_error(pytester: pytest.Pytester):
    pytester.makefile(".txt", notadir="x")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.batchkeys
        def test_a(): pass

        @pytest.mark.batchkeys
        def test_b(): pass
        """
    )
    result = pytester.runpytest("--batch-cassette-dir=notadir.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: Cassette dir * is a file, not a directory, so no cassette*"]
    )
    assert "No cassette for" not in result.stdout.str()
