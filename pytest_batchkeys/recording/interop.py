"""Living next to pytest-recording: refuse nested cassettes; let it read our cassettes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pytest

from pytest_batchkeys.errors import BatchKeysError
from pytest_batchkeys.recording.cassettes import limit_error
from pytest_batchkeys.safeload import LoadRefused, read_bytes

#: pytest-recording's (and pytest-vcr's) marker and autouse fixture name.
VCR_MARKER: Final = "vcr"


def nested_cassette_error(item: pytest.Item) -> BatchKeysError | None:
    """The error for a test that would run a pytest-recording cassette inside ours, else None.

    vcrpy nests cassettes and the innermost one silently takes all traffic, so a test with
    both would replay (or record into) only one of the two files and never say so.
    """
    if item.get_closest_marker(VCR_MARKER) is None:
        return None
    if VCR_MARKER not in getattr(item, "fixturenames", ()):
        return None  # no plugin turns the marker into a cassette (e.g. -p no:recording)
    if item.config.getoption("disable_recording", default=False):
        return None
    return BatchKeysError(
        f"{item.nodeid} uses both @pytest.mark.vcr (pytest-recording) and a pytest-batchkeys "
        "cassette. Both would patch HTTP through vcrpy, and with nested cassettes the innermost "
        "silently takes all traffic: one of the two files would never be played or written. "
        "Use one cassette per test: remove @pytest.mark.vcr (the batchkeys cassette records all "
        "of this test's HTTP traffic, scrubbed), or move the other HTTP calls into a separate "
        "test marked @pytest.mark.vcr.",
        anchor="nested-cassettes",
    )


class MetadataTolerantPersister:
    """pytest-recording's persister, reading cassettes that carry vcrpy's `metadata` key.

    vcrpy 9.4 returns (requests, responses, metadata) for such cassettes, and
    pytest-recording 0.14 expects two values; our cassettes store their recording metadata
    there. Extra cassette paths (`@pytest.mark.vcr("other.yaml")`) keep working.
    """

    def __init__(self, extra_paths: Sequence[str] = ()) -> None:
        self.extra_paths = list(extra_paths)

    def load_cassette(self, cassette_path: str, serializer: Any) -> tuple[list[Any], list[Any]]:
        """Requests and responses of the cassette and of every extra path that exists."""
        from vcr.persisters.filesystem import CassetteNotFoundError
        from vcr.serialize import deserialize

        requests: list[Any] = []
        responses: list[Any] = []
        for path in dict.fromkeys([cassette_path, *self.extra_paths]):
            try:
                text = read_bytes(path).decode("utf-8")
            except OSError:
                continue
            except LoadRefused as exc:
                raise limit_error(exc) from None
            loaded = deserialize(text, serializer)
            requests.extend(loaded[0])
            responses.extend(loaded[1])
        if not requests:
            raise CassetteNotFoundError("No cassettes found.")
        return requests, responses

    @staticmethod
    def save_cassette(cassette_path: str, cassette_dict: Any, serializer: Any) -> None:
        """Save as vcrpy's filesystem persister does."""
        from vcr.persisters.filesystem import FilesystemPersister

        FilesystemPersister.save_cassette(cassette_path, cassette_dict, serializer=serializer)


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording hook: swap in MetadataTolerantPersister (import it into conftest.py)."""
    current = getattr(vcr, "persister", None)
    vcr.register_persister(MetadataTolerantPersister(getattr(current, "extra_paths", ())))
