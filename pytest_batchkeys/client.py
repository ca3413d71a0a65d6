"""Public import path for the test client's types (documented): `from pytest_batchkeys.client
import OMIT`. The code lives in `pytest_batchkeys.live.client`."""

from pytest_batchkeys.live.client import OMIT, BatchKeysClient, Target

__all__ = ["OMIT", "BatchKeysClient", "Target"]
