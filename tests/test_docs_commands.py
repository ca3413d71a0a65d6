"""Every shell command printed in README.md and docs/*.md, run as printed.

Commands are the `$ ` lines of ```console/```bash/```sh blocks (with their `\\` continuation
lines), the `run:`/`script:`/`inlineScript:` steps of ```yaml blocks (each line of a `|` script),
and indented (4-space) lines outside fences that start with a command name (HEADS). Each page's
commands run in order, in one throwaway host project, by bash, with the environment the earlier
commands exported, and must exit 0 (a failure names the page and line). What is not the text as
printed:

- the target is the simulator (a `RealTarget` world): where a page says "export ... against
  Azure", `BATCHKEYS_ENDPOINT` points at the simulator, and the placeholders of WORLD_VALUES
  (`...`, `<tenant id>`) become that world's values (docs/rotation.md: over HTTPS, as it says);
- a port or CA path a page shows as the output of `batchkeys serve` becomes the one the server
  printed / a file in the temporary directory.

Commands that cannot run here (pip installs, real Azure, a CI service, a benchmark) are in
SYNTAX_ONLY, each with its reason: `bash -n` must accept them, and every pytest `--batch-*`
option, `batchkeys` option, script option and pytest-batchkeys extra they name must exist.
docs/quickstart.md is run by tests/test_quickstart.py. A command in none of these fails
test_every_command_is_accounted_for, a stale SYNTAX_ONLY entry too.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.host_project import host_env
from tests.helpers.real_target import RealTarget

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Words an indented line outside a fence starts with when it is a command.
HEADS = ("pytest", "python", "batchkeys", "pip", "export", "git", "az")
#: Run by tests/test_quickstart.py, in order, with its own checks.
RUN_ELSEWHERE = {"docs/quickstart.md"}
#: A yaml step whose value is a shell script: `run: |`, `script: |`, `inlineScript: |`.
SCRIPT_BLOCK = re.compile(r"^(\s*(?:- )?)(?:run|script|inlineScript): \|\s*$")

WORLD = RealTarget(
    "3f1c2b4a-6d5e-4f70-8a91-b2c3d4e5f607",
    "9e8d7c6b-5a49-4382-b1c0-d9e8f7a6b5c4",
    "c0ffee00-1234-4abc-9def-0123456789ab",
    "docs~Client.Secret_value-123456",
    "Docs-RG",
    "docsacct01",
)


@dataclass(frozen=True)
class Command:
    page: str  # path relative to the repository
    line: int
    text: str  # as printed, continuation lines included

    def where(self) -> str:
        return f"{self.page}:{self.line}: {self.text}"


def _commands(path: Path) -> list[Command]:
    page = path.relative_to(REPO).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Command] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else (stripped[3:].strip() or "text")
            i += 1
            continue
        start = i
        text: str | None = None
        if fence in ("console", "bash", "sh") and line.startswith("$ "):
            parts = [line[2:]]
            while parts[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                parts.append(lines[i])
            text = "\n".join(parts)
        elif fence == "yaml" and (script := SCRIPT_BLOCK.match(line)):
            # a `run: |` block: each line (with its continuations) is a command
            indent = len(script.group(1))
            while i + 1 < len(lines) and (
                not lines[i + 1].strip() or len(lines[i + 1]) - len(lines[i + 1].lstrip()) > indent
            ):
                i += 1
                if not lines[i].strip():
                    continue
                first = i
                parts = [lines[i].strip()]
                while parts[-1].endswith("\\") and i + 1 < len(lines):
                    i += 1
                    parts.append(lines[i].strip())
                found.append(Command(page, first + 1, "\n".join(parts)))
        elif fence == "yaml":
            step = re.match(r"^\s*(?:- )?(?:run|script): (?![|>])(.+)$", line)
            text = step.group(1) if step else None
        elif fence is None and line.startswith("    ") and stripped.split(" ", 1)[0] in HEADS:
            text = stripped
        if text is not None:
            found.append(Command(page, start + 1, text))
        i += 1
    return found


ALL = [command for page in PAGES for command in _commands(page)]

#: (page, command as printed) -> why it is only parsed and option-checked, not run.
SYNTAX_ONLY: dict[tuple[str, str], str] = {
    **{
        ("README.md", text): "pip install: the package under test is installed already"
        for text in (
            "python -m pip install pytest-batchkeys            # from a clone: python -m pip install .",
            'python -m pip install "pytest-batchkeys[azure]"   # adds azure-identity\'s DefaultAzureCredential',
            'python -m pip install "pytest-batchkeys[tls]"     # adds HTTPS for the simulator (trustme)',
        )
    },
    ("README.md", "python -m pip install . && python -m pytest --batch-contract"): (
        "the repository's own suite with the contract suite: CI territory (tests/test_readme.py)"
    ),
    ("README.md", 'python -m pip install -e ".[dev]" && python -m pytest -n 2'): (
        "the whole suite: .ci/run runs it, tests/test_readme.py checks that"
    ),
    (
        "docs/index.md",
        "pip install pytest-batchkeys            # the plugin, the simulator, the contract suite",
    ): ("pip install"),
    (
        "docs/index.md",
        'pip install "pytest-batchkeys[azure]"   # + azure-identity, for az login / managed identity',
    ): ("pip install"),
    (
        "docs/production-code.md",
        'python -m pip install "pytest-batchkeys[tls,azure]"',
    ): "pip install",
    ("docs/performance.md", "bash bench/run-all.sh 2>&1 | tee bench-results.txt"): (
        "every benchmark, about 15 minutes on an idle machine; tests/test_bench.py runs each "
        "benchmark at a tiny size"
    ),
    ("docs/security.md", "batchkeys verify cassettes/ recordings/ [--format table|json]"): (
        "a synopsis ([...] is optional), not a command line"
    ),
    ("docs/security.md", "batchkeys scrub cassettes/ [--check]"): "a synopsis, not a command line",
    **{
        ("docs/recording.md", text): "Azure CLI against a real subscription"
        for text in (
            "SUB=<subscription-id> RG=<resource-group> ACCOUNT=<batch-account>",
            'az account set --subscription "$SUB"',
            "az role definition create --role-definition @batchkeys-listkeys-role.json",
            "az ad sp create-for-rbac \\\n"
            "    --name batchkeys-recorder \\\n"
            '    --role "Batch account keys reader (pytest-batchkeys)" \\\n'
            '    --scopes "/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Batch/batchAccounts/$ACCOUNT"',
            'export BATCHKEYS_ACCESS_TOKEN="$(az account get-access-token --query accessToken -o tsv)"',
        )
    },
    **{
        ("docs/ci.md", text): "a step of a CI service's pipeline (GitHub Actions, Azure Pipelines)"
        for text in (
            'pip install -e ".[test]"      # your project, with pytest-batchkeys in its test extra',
            "pytest -n auto                # replay: no credentials needed, network blocked",
            "batchkeys verify cassettes/   # no secret-shaped value was committed",
            'pip install -e ".[test]"',
            "pytest -n auto",
            "pytest --batch-record-all",
            "batchkeys verify cassettes/",
            "set -euo pipefail",
            'export AZURE_SUBSCRIPTION_ID="$(az account show --query id -o tsv)"',
            'export BATCHKEYS_ACCESS_TOKEN="$(az account get-access-token --query accessToken -o tsv)"',
            'git diff --quiet -- cassettes/ && { echo "cassettes unchanged"; exit 0; }',
            "git switch -c batchkeys/re-record-$(Build.BuildId)",
            "git add cassettes/",
            'git -c user.name="batchkeys bot" -c user.email="batchkeys@invalid" \\\n'
            'commit -m "Re-record listKeys cassettes against Azure"',
            "git push origin HEAD",
            "az repos pr create --source-branch batchkeys/re-record-$(Build.BuildId) \\\n"
            '--target-branch main --title "Re-recorded listKeys cassettes" \\\n'
            '--description "Scheduled pytest --batch-record-all; batchkeys verify passed."',
        )
    },
}

#: Placeholders of a page -> what they stand for in the simulator world.
WORLD_VALUES = {
    "AZURE_TENANT_ID": WORLD.tenant,
    "AZURE_CLIENT_ID": WORLD.client_id,
    "AZURE_CLIENT_SECRET": WORLD.client_secret,
    "AZURE_SUBSCRIPTION_ID": WORLD.subscription,
    "BATCHKEYS_RESOURCE_GROUP": WORLD.group,
    "BATCHKEYS_ACCOUNT_NAME": WORLD.account,
}
PLACEHOLDER = re.compile(r"\b([A-Z_]+)=(\.\.\.|<[^>]+>)")


def _fill(text: str) -> str:
    """`NAME=...` / `NAME=<tenant id>` -> NAME=value of the simulator world."""
    return PLACEHOLDER.sub(lambda m: f"{m.group(1)}={WORLD_VALUES[m.group(1)]}", text)


# --------------------------------------------------------------------------- running


@dataclass
class Shell:
    """A bash session, command by command: exports and unsets carry over to the next one."""

    cwd: Path
    env: dict[str, str]
    replace: dict[str, str]

    def run(self, command: Command) -> str:
        """Run one command; it must exit 0. Returns stdout + stderr."""
        text = self._text(command)
        env_file = self.cwd.parent / f"{self.cwd.name}.env"
        script = f'{text}\n__rc=$?\nenv -0 > "{env_file}"\nexit $__rc\n'
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{command.where()}\nexit {done.returncode}:\n{output}"
        pairs = env_file.read_text().split("\0")
        self.env = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        return output

    @contextmanager
    def serve(self, command: Command, doc_url: str) -> Iterator[str]:
        """`batchkeys serve ...` in the background; the page's `doc_url` becomes the real one."""
        text = self._text(command)
        server = subprocess.Popen(
            ["bash", "-c", f"exec {text}"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            assert re.fullmatch(r"https?://127\.0\.0\.1:\d+", url), (command.where(), url)
            self.replace[doc_url] = url
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)

    def _text(self, command: Command) -> str:
        text = _fill(command.text)
        for old, new in self.replace.items():
            text = text.replace(old, new)
        return text


def _shell(tmp_path: Path, **env: str) -> Shell:
    work = tmp_path / "project"
    work.mkdir()
    base = host_env()
    base["PATH"] = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    base.update(env)
    return Shell(work, base, {})


def _fenced(page: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", (REPO / page).read_text(encoding="utf-8"), re.S)


PLUGIN_TEST = """\
import pytest


@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    assert batchkeys_client.list_keys().status_code == 200


@pytest.mark.batchkeys
def test_rotate(batchkeys_client):
    first = batchkeys_client.list_keys().json()
    assert batchkeys_client.regenerate_key("Primary").json()["primary"] != first["primary"]
"""


def _host(shell: Shell, tests: dict[str, str]) -> None:
    (shell.cwd / "pyproject.toml").write_text(
        '[project]\nname = "host"\nversion = "0"\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["."]\n'
        # docs/ci.md's start-up advice for host suites: the runs stay fast
        'addopts = "-p no:schemathesis -p no:hypothesispytest -p no:anyio"\n'
    )
    for name, text in tests.items():
        (shell.cwd / name).parent.mkdir(parents=True, exist_ok=True)
        (shell.cwd / name).write_text(text)


def _page(page: str) -> list[Command]:
    return [c for c in ALL if c.page == page and (page, c.text) not in SYNTAX_ONLY]


# --------------------------------------------------------------------------- one per page


def readme(tmp_path: Path) -> None:
    commands = _page("README.md")
    with WORLD.simulator() as sim:
        shell = _shell(tmp_path, BATCHKEYS_ENDPOINT=sim.url)
        _host(shell, {"tests/test_keys.py": PLUGIN_TEST})
        for command in commands:
            if command.text.startswith("batchkeys serve"):
                with shell.serve(command, "http://127.0.0.1:PORT"):
                    if "--ca-file ca.pem" in command.text:
                        assert "BEGIN CERTIFICATE" in (shell.cwd / "ca.pem").read_text()
                continue
            shell.run(command)
    assert (shell.cwd / "cassettes" / "tests" / "test_keys" / "test_keys.yaml").is_file()


def recording(tmp_path: Path) -> None:
    with WORLD.simulator() as sim:
        shell = _shell(tmp_path, BATCHKEYS_ENDPOINT=sim.url)
        _host(shell, {"tests/test_rotation.py": PLUGIN_TEST})
        subprocess.run(["git", "init", "-q"], cwd=shell.cwd, check=True)
        for command in _page("docs/recording.md"):
            shell.run(command)


def rotation(tmp_path: Path) -> None:
    (code,) = [
        block for block in _fenced("docs/rotation.md", "python") if "def well_formed" in block
    ]
    # over HTTPS: the page's SDK test passes no enforce_https (it needs none against Azure)
    with WORLD.simulator(tls=True) as sim:
        shell = _shell(tmp_path, **WORLD.env(sim.url), **sim.tls_environment())
        _host(shell, {"tests/test_rotation.py": code})
        recordings = shell.cwd / "recordings"
        recordings.mkdir()
        shutil.copy(next((REPO / "cassettes" / "contract").glob("*.yaml")), recordings)
        for command in _page("docs/rotation.md"):
            if command.text == "pytest tests/test_rotation.py":  # replay: nothing of the world
                shell.env = {k: v for k, v in shell.env.items() if k not in WORLD.env(sim.url)}
            output = shell.run(command)
            if command.text.startswith("pytest"):
                assert "2 passed" in output, (command.where(), output)


def configuration(tmp_path: Path) -> None:
    shell = _shell(tmp_path)
    (ini,) = [b for b in _fenced("docs/configuration.md", "ini") if "# pytest.ini" in b]
    (code,) = [b for b in _fenced("docs/configuration.md", "python") if "# test_where.py" in b]
    (shell.cwd / "pytest.ini").write_text(ini)
    (shell.cwd / "test_where.py").write_text(code)
    lines = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8").splitlines()
    for command in _page("docs/configuration.md"):
        output = shell.run(command)
        printed = lines[command.line] if command.line < len(lines) else ""
        if printed.startswith("cassette dir:"):  # the page shows what the run prints
            assert printed in output.splitlines(), (command.where(), printed, output)


def contract(tmp_path: Path) -> None:
    with WORLD.simulator() as sim:
        shell = _shell(tmp_path, **WORLD.env(sim.url))
        _host(shell, {})
        for command in _page("docs/contract.md"):
            output = shell.run(command)
            assert " passed" in output, (command.where(), output)
            assert "generated cases: 0 replayed" in output, (command.where(), output)


def simulator(tmp_path: Path) -> None:
    shell = _shell(tmp_path)
    (config,) = [b for b in _fenced("docs/simulator.md", "yaml") if b.startswith("seed:")]
    (shell.cwd / "sim.yaml").write_text(config)
    for command in _page("docs/simulator.md"):
        assert command.text.startswith("batchkeys serve"), command.where()
        with shell.serve(command, "http://127.0.0.1:43121"):
            pass


def production_code(tmp_path: Path) -> None:
    page = "docs/production-code.md"
    blocks = _fenced(page, "python")
    (keys,) = [
        b for b in blocks if b.startswith("from azure.identity import ClientSecretCredential")
    ]
    (test,) = [b for b in blocks if "def test_reads_keys" in b]
    shell = _shell(tmp_path)
    _host(
        shell,
        {
            "myservice/__init__.py": "",
            "myservice/keys.py": keys.split("\ncredential = ", 1)[0],
            "tests/test_reads_keys.py": test,
        },
    )
    shell.replace["/tmp/batchkeys-ca.pem"] = str(tmp_path / "batchkeys-ca.pem")
    commands = _page(page)
    assert commands[0].text.startswith("batchkeys serve"), commands[0].where()
    with shell.serve(commands[0], "https://127.0.0.1:43121"):
        for command in commands[1:-1]:
            shell.run(command)
    output = shell.run(commands[-1])  # replay: the simulator is gone
    assert "1 passed" in output, (commands[-1].where(), output)
    assert "cassettes: 1 replayed" in output, (commands[-1].where(), output)


RUNS: dict[str, Callable[[Path], None]] = {
    "README.md": readme,
    "docs/recording.md": recording,
    "docs/rotation.md": rotation,
    "docs/configuration.md": configuration,
    "docs/contract.md": contract,
    "docs/simulator.md": simulator,
    "docs/production-code.md": production_code,
}


@pytest.mark.parametrize("page", sorted(RUNS))
def test_page_commands_run_as_printed(page: str, tmp_path: Path):
    assert _page(page), f"{page} prints no command any more: drop it from RUNS"
    RUNS[page](tmp_path)


def test_every_command_is_accounted_for():
    unaccounted = [
        c.where()
        for c in ALL
        if c.page not in RUNS
        and c.page not in RUN_ELSEWHERE
        and (c.page, c.text) not in SYNTAX_ONLY
    ]
    assert not unaccounted, "commands no test runs:\n" + "\n".join(unaccounted)
    printed = {(c.page, c.text) for c in ALL}
    stale = [f"{page}: {text}" for page, text in SYNTAX_ONLY if (page, text) not in printed]
    assert not stale, "SYNTAX_ONLY entries the docs no longer print:\n" + "\n".join(stale)
    assert {c.page for c in ALL} >= set(RUNS) | RUN_ELSEWHERE


@functools.cache
def _help(*command: str) -> str:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:], "--help"],
        cwd=REPO / "docs",  # no ini file, no conftest
        capture_output=True,
        text=True,
        timeout=60,
        env=host_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("page", "text"), sorted(SYNTAX_ONLY), ids=[f"{p}:{t[:40]}" for p, t in sorted(SYNTAX_ONLY)]
)
def test_syntax_only_commands_parse_and_name_real_options(page: str, text: str):
    command = next(c for c in ALL if (c.page, c.text) == (page, text))
    filled = re.sub(r"<[a-z][\w -]*>", "PLACEHOLDER", text)  # <subscription-id> is to be filled
    parsed = subprocess.run(["bash", "-n", "-c", filled], capture_output=True, text=True)
    assert parsed.returncode == 0, (command.where(), parsed.stderr)
    text = text.replace("\\\n", " ")
    if "[--" in text:  # a synopsis: its optional parts are options too
        text = re.sub(r"\[(--[\w-]+)[^\]]*\]", r"\1", text)
    words = shlex.split(text, comments=True)
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for part in " ".join(words).split(" && "):
        argv = part.split()
        if argv[:3] == ["python", "-m", "pip"]:
            argv = argv[2:]
        if argv[:3] == ["python", "-m", "pytest"]:
            argv = argv[2:]
        options = [w.split("=", 1)[0] for w in argv if w.startswith("--")]
        if argv[0] == "pip":
            for spec in argv[2:]:
                name = re.match(r"pytest-batchkeys\[([\w,]+)\]$", spec)
                for extra in name.group(1).split(",") if name else []:
                    assert extra in extras, (command.where(), extra)
        elif argv[0] == "pytest":
            usage = _help("pytest")
            missing = [o for o in options if o.startswith("--batch-") and o not in usage]
            assert not missing, (command.where(), missing)
        elif argv[0] == "batchkeys":
            usage = _help("batchkeys", argv[1])
            assert not [o for o in options if o not in usage], command.where()
        elif argv[0] == "python" and argv[1].endswith(".py"):
            script = REPO / argv[1]
            assert script.is_file(), command.where()
            done = subprocess.run(
                [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60
            )
            assert not [o for o in options if o not in done.stdout], (command.where(), done.stdout)
        elif argv[:2] == ["bash", "bench/run-all.sh"]:
            # `bash -n` above checks the line; tests/test_bench.py checks the script's options
            assert (REPO / argv[1]).is_file(), command.where()
        elif argv[0] in ("az", "git", "set", "export", "{") or "=" in argv[0]:
            pass  # not ours: `bash -n` above is the check
        else:
            pytest.fail(f"{command.where()}: no syntax check for {argv[0]!r}")
