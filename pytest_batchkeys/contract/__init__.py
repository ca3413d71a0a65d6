"""The shipped listKeys contract suite, collected by `pytest --batch-contract`."""

from __future__ import annotations

from pathlib import Path
from typing import Final

CONTRACT_DIR: Final = Path(__file__).resolve().parent
SUITE_FILE: Final = CONTRACT_DIR / "test_listkeys_contract.py"
#: Opt-in (--batch-rotation): these tests regenerate the target account's keys.
ROTATION_FILE: Final = CONTRACT_DIR / "test_rotation_contract.py"
CASSETTE_SUBDIR: Final = "contract"
