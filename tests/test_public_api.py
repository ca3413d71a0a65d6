"""The documented import paths work: the root-level types, `pytest_batchkeys.client`, the
simulator, and every `from pytest_batchkeys... import ...` line in README.md and docs/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_batchkeys

ROOT = Path(__file__).resolve().parents[1]
IMPORT_LINE = re.compile(r"^\s*(from pytest_batchkeys[\w.]* import [^#\n(]+)", re.MULTILINE)


def documented_imports() -> list[str]:
    found: set[str] = set()
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found.update(m.strip() for m in IMPORT_LINE.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


def test_types_for_fixture_annotations():
    from pytest_batchkeys.checks.violations import CheckReport
    from pytest_batchkeys.client import OMIT, BatchKeysClient, Target
    from pytest_batchkeys.live import client
    from pytest_batchkeys.settings import Settings

    assert pytest_batchkeys.BatchKeysClient is BatchKeysClient is client.BatchKeysClient
    assert pytest_batchkeys.Target is Target is client.Target
    assert pytest_batchkeys.OMIT is OMIT is client.OMIT
    assert pytest_batchkeys.Settings is Settings
    assert pytest_batchkeys.CheckReport is CheckReport
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = pytest_batchkeys.Nope


def test_the_simulator_package_exports_its_api():
    from pytest_batchkeys.simulator import Fault, Simulator, SimulatorConfig, load_config

    assert callable(load_config)
    assert Simulator.__module__ == "pytest_batchkeys.simulator.control"
    assert {Fault.__name__, SimulatorConfig.__name__} == {"Fault", "SimulatorConfig"}


def test_docs_name_the_public_paths():
    lines = documented_imports()
    assert "from pytest_batchkeys.client import OMIT" in lines
    assert any(line.startswith("from pytest_batchkeys.simulator import") for line in lines)


@pytest.mark.parametrize("line", documented_imports())
def test_every_documented_import_runs(line: str):
    out = subprocess.run([sys.executable, "-c", line], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_importing_the_package_imports_nothing_heavy():
    code = "import sys, pytest_batchkeys; print(sorted(m for m in ('requests', 'vcr', 'yaml') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
