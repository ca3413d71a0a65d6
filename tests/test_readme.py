"""README commands are promises: the quick start has exactly two, and CI runs the second."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    before_code = section.split("```", 1)[0]
    return [line.strip() for line in before_code.splitlines() if line.startswith("    python")]


def test_quick_start_has_exactly_two_commands():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    install_and_contract, install_and_test = commands
    assert install_and_contract == "python -m pip install . && python -m pytest --batch-contract"
    assert install_and_test.startswith('python -m pip install -e ".[dev]" && ')


def test_ci_runs_the_readme_test_command():
    test_command = _quick_start_commands()[1].split(" && ", 1)[1]
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(rf"^{re.escape(test_command)}$", ci, re.MULTILINE), test_command
    assert 'python -m pip install -q -e ".[dev]"' in ci
