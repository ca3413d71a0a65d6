"""docs/quickstart.md, run as written: every `$ command` of its console blocks, in order, in a
fresh directory (pip install aside: the kit is installed already; the simulator's port is the
one `batchkeys serve` printed)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
BIN = Path(sys.executable).parent
DOC_PORT = "43351"


def _commands(text: str) -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_quickstart_runs_as_written(tmp_path: Path):
    text = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    code = re.search(r"`test_keys.py`:\n\n```python\n(.*?)```", text, re.S)
    assert code is not None
    (tmp_path / "test_keys.py").write_text(code.group(1))
    commands = _commands(text)
    assert commands[0] == "pip install pytest-batchkeys"
    assert "batchkeys serve" in commands
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATCHKEYS_", "AZURE_"))}
    env.pop("PYTEST_ADDOPTS", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    server: subprocess.Popen[str] | None = None
    port = DOC_PORT
    outputs: list[str] = []
    try:
        for command in commands[1:]:
            if command == "batchkeys serve":
                server = subprocess.Popen(
                    [str(BIN / "batchkeys"), "serve"], stdout=subprocess.PIPE, text=True
                )
                assert server.stdout is not None
                port = server.stdout.readline().strip().rsplit(":", 1)[1]
                continue
            words = shlex.split(command.replace(DOC_PORT, port))
            if words[0] == "export":
                env.update(word.split("=", 1) for word in words[1:])
                continue
            if words == ["pytest"] and server is not None:  # step 5: simulator stopped
                server.terminate()
                server.wait(timeout=10)
                server = None
                env = {k: v for k, v in env.items() if not k.startswith(("BATCHKEYS_", "AZURE_"))}
            done = subprocess.run(words, cwd=tmp_path, env=env, capture_output=True, text=True)
            outputs.append(done.stdout + done.stderr)
            expected = 1 if len(outputs) == 1 else 0  # step 3 fails on purpose
            assert done.returncode == expected, (command, outputs[-1])
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    # the command the failure printed is the one the page runs in step 4
    printed = re.search(r"^    (pytest --batch-record .*)$", outputs[0], re.M)
    assert printed is not None, outputs[0]
    assert printed.group(1) in commands
    assert f"    {printed.group(1)}" in text
    assert "cassettes: 1 replayed, 0 recorded, 0 missing" in outputs[2]
