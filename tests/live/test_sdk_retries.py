"""Replay's azure-core retry patch: applied only while replaying, and only if azure-core is used."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("azure.core")

SCRIPT = """
import sys
from pytest_batchkeys.live.sdk_retries import RETRY_MODULE, sdk_retries_without_waiting

def slept(policy_module):
    return policy_module.RetryPolicy.sleep.__name__  # _no_sleep while patched


with sdk_retries_without_waiting():
    print("imported before the block:", RETRY_MODULE in sys.modules)
    from azure.core.pipeline.policies import _retry
    print("inside:", slept(_retry))
print("after:", slept(_retry))
print("hooks left:", sum(type(f).__name__ == "_PatchOnImport" for f in sys.meta_path))
with sdk_retries_without_waiting():
    print("already imported:", slept(_retry))
print("after again:", slept(_retry))
"""


def run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_patch_applies_when_the_sdk_is_imported_inside_the_block_and_is_undone_after() -> None:
    assert run(SCRIPT).splitlines() == [
        "imported before the block: False",  # replay did not import azure-core itself
        "inside: _no_sleep",
        "after: sleep",
        "hooks left: 0",
        "already imported: _no_sleep",
        "after again: sleep",
    ]


def test_replay_of_a_suite_without_the_sdk_does_not_import_azure_core() -> None:
    script = """
    import sys
    from pytest_batchkeys.live.sdk_retries import sdk_retries_without_waiting
    with sdk_retries_without_waiting():
        import requests  # what a replayed test without the SDK uses
    print(any(name.startswith("azure.core") for name in sys.modules))
    """
    assert run(script).strip() == "False"
