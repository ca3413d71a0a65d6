"""Shared test setup."""

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

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _no_vcrpy_patches_left_behind() -> Iterator[None]:
    """Fail a test that leaves vcrpy's patches in place: later tests would run through them."""
    yield
    left = vcrpy_patched()
    if left:
        pytest.fail(f"vcrpy patches left active after the test: {', '.join(left)}")
