"""A throwaway host project that uses the installed plugin, run by subprocess as a user would."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Variables of the developer's shell that would change what a host project's run does.
_CLEARED = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")
PYTEST = str(Path(sys.executable).parent / "pytest")
#: An indented command line, as in messages (pytest prefixes failure text with "E").
PRINTED_COMMAND = re.compile(r"^E?\s+(pytest --batch-[^\n]*?)\s*$", re.MULTILINE)


def host_env() -> dict[str, str]:
    """This process's environment without the outer shell's Azure setup and pytest variables."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BATCHKEYS_", "AZURE_")) and name not in _CLEARED
    }


@dataclass
class Run:
    """One finished pytest run of the host project."""

    args: list[str]
    returncode: int
    output: str

    def printed_commands(self) -> list[str]:
        """Every indented `pytest --batch-...` line the run printed, in order, without repeats."""
        return list(dict.fromkeys(PRINTED_COMMAND.findall(self.output)))


@dataclass
class HostProject:
    """A project with its own ini file and tests; runs pytest in its directory."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, tests: str, *, ini: str = "") -> HostProject:
        (root / "tests").mkdir(parents=True)
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "host"\nversion = "0"\n\n[tool.pytest.ini_options]\n{ini}\n'
        )
        (root / "tests" / "test_keys.py").write_text(tests)
        return cls(root)

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 120) -> Run:
        """`pytest ARGS` with the plugin installed and nothing of the outer shell's Azure setup."""
        env = host_env()
        env.update(self.env)
        done = subprocess.run(
            [PYTEST, *args],
            cwd=cwd or self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(list(args), done.returncode, done.stdout + done.stderr)

    def run_printed(self, command: str, *, cwd: Path | None = None) -> Run:
        """Run a command exactly as the plugin printed it (a shell would split it the same way)."""
        words = shlex.split(command)
        assert words[0] == "pytest", command
        return self.run(*words[1:], cwd=cwd)
