"""leaf_texts walks iteratively; it must yield what a plain recursive walk yields, in order."""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_batchkeys.secrets.leakguard import _decoded_bytes, leaf_texts


def recursive_leaves(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The reference: the obvious recursive walk (bytes leaves decoded the same way)."""
    if isinstance(data, dict):
        for key, item in data.items():
            yield from recursive_leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list | tuple):
        for index, item in enumerate(data):
            yield from recursive_leaves(item, f"{path}[{index}]")
    elif isinstance(data, str):
        yield path, data
    elif isinstance(data, bytes):
        yield path, _decoded_bytes(data)


SCALARS = st.one_of(st.text(max_size=5), st.integers(), st.none(), st.binary(max_size=4))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=4),
    ),
    max_leaves=30,
)


# What is tested is the answer, not its speed: a loaded CI machine must not fail it.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DATA, st.sampled_from(["", "root"]))
def test_same_leaves_in_the_same_order_as_a_recursive_walk(data: Any, path: str) -> None:
    assert list(leaf_texts(data, path)) == list(recursive_leaves(data, path))


def test_document_order_and_paths_on_a_cassette_shape() -> None:
    data = {
        "interactions": [
            {"request": {"uri": "u", "headers": {"A": ["1", "2"]}}, "response": {"body": b"b"}}
        ],
        "version": 1,
    }
    assert list(leaf_texts(data)) == [
        ("interactions[0].request.uri", "u"),
        ("interactions[0].request.headers.A[0]", "1"),
        ("interactions[0].request.headers.A[1]", "2"),
        ("interactions[0].response.body", "b"),
    ]


def test_compressed_bytes_leaves_are_decompressed() -> None:
    assert list(leaf_texts({"b": gzip.compress(b"hello")})) == [("b", "hello")]
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(b"hello") + raw.flush()
    assert _decoded_bytes(deflated) == "hello"
    assert _decoded_bytes(zlib.compress(b"hello")) == "hello"


def test_bytes_that_are_not_a_whole_stream_are_read_as_they_are() -> None:
    # Before: plain bytes came out empty, or as raw-deflate garbage, hiding what they held.
    for text in ["b", "AKey+/0123456789==", "a" * 300, "{" + "x" * 50 + "}"]:
        assert _decoded_bytes(text.encode()) == text
    noise = random.Random(7).randbytes(3000).hex().encode()  # does not compress away
    cut = gzip.compress(b"primary=" + noise)[:-200]
    assert _decoded_bytes(cut).startswith("primary=" + noise[:100].decode())
