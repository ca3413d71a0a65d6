"""Shared test setup."""

import os
from collections.abc import Iterator

import pytest

# pytester's in-process runs unload modules first imported inside them. PyYAML's C extension
# cannot be re-initialised, and the plugin (loaded here too) caches a vcrpy Cassette subclass,
# so import both here: every in-process run then shares one copy of each.
import vcr.cassette
import vcr.persisters.filesystem  # noqa: F401
import yaml  # noqa: F401
from helpers.offline import offline  # noqa: F401  (fixture: non-loopback names never resolve)
from helpers.vcr_probe import vcrpy_patched
from hypothesis import settings

pytest_plugins = ["pytester"]

# Hypothesis profiles. "ci" neither reads nor writes an example database, so a failure found once
# cannot stick to later runs and every run explores afresh; "dev" (local default) keeps the
# database in .hypothesis/ so a failure found locally is replayed first until it is fixed.
# HYPOTHESIS_PROFILE picks one; CI=1/true (set by .ci/run and most CI services) means "ci".
settings.register_profile("ci", database=None, print_blob=True)
settings.register_profile("dev")
_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))


@pytest.fixture(autouse=True)
def _no_vcrpy_patches_left_behind() -> Iterator[None]:
    """Fail a test that leaves vcrpy's patches in place: later tests would run through them."""
    yield
    left = vcrpy_patched()
    if left:
        pytest.fail(f"vcrpy patches left active after the test: {', '.join(left)}")
