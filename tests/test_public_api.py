"""The public types for annotating fixtures come from the package root, imported lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_batchkeys


def test_types_for_fixture_annotations():
    from pytest_batchkeys.checks.violations import CheckReport
    from pytest_batchkeys.live.client import OMIT, BatchKeysClient, Target
    from pytest_batchkeys.settings import Settings

    assert pytest_batchkeys.BatchKeysClient is BatchKeysClient
    assert pytest_batchkeys.Target is Target
    assert pytest_batchkeys.OMIT is OMIT
    assert pytest_batchkeys.Settings is Settings
    assert pytest_batchkeys.CheckReport is CheckReport
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = pytest_batchkeys.Nope


def test_importing_the_package_imports_nothing_heavy():
    code = "import sys, pytest_batchkeys; print(sorted(m for m in ('requests', 'vcr', 'yaml') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
