"""safeload: the one bounded loader. Limits are exact, refusals are immediate and name the file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.bad_corpus import billion_laughs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_batchkeys.safeload import (
    MAX_NODES,
    Limits,
    LoadRefused,
    check_tree,
    check_yaml_levels,
    check_yaml_node,
    json_load,
    read_bytes,
    yaml_load,
    yaml_load_all,
)


def test_alias_bomb_is_refused_at_once_naming_file_and_limit() -> None:
    start = time.perf_counter()
    with pytest.raises(LoadRefused) as refused:
        yaml_load(billion_laughs().decode(), source="bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert str(refused.value) == (
        f"bomb.yaml expands to more than {MAX_NODES:,} values (safeload.MAX_NODES, aliases "
        "counted at every use); refused as an alias bomb or an oversized document"
    )


@pytest.mark.parametrize(("items", "refused"), [(9, False), (10, True)])
def test_node_limit_is_exact(items: int, refused: bool) -> None:
    text = f"[{', '.join(['x'] * items)}]"  # the list itself is one more value
    limits = Limits(max_nodes=10)
    if refused:
        with pytest.raises(LoadRefused, match="more than 10 values"):
            yaml_load(text, limits=limits)
        with pytest.raises(LoadRefused, match="more than 10 values"):
            json_load(text.replace("x", "1"), limits=limits)
    else:
        assert len(yaml_load(text, limits=limits)) == items
        assert len(json_load(text.replace("x", "1"), limits=limits)) == items


def test_aliases_count_at_every_use() -> None:
    # root 1, key a 1, list 4, key b 1, list of three copies 1 + 3*4: 20 values
    shared = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    assert yaml_load(shared, limits=Limits(max_nodes=20))["b"][2] == [1, 2, 3]
    with pytest.raises(LoadRefused):
        yaml_load(shared, limits=Limits(max_nodes=19))


@pytest.mark.parametrize(("depth", "refused"), [(5, False), (6, True)])
def test_depth_limit_is_exact_for_yaml_and_json(depth: int, refused: bool) -> None:
    text = "[" * depth + "]" * depth
    limits = Limits(max_depth=5)
    for load in (yaml_load, json_load):
        if refused:
            with pytest.raises(LoadRefused, match=r"deeper than 5 levels \(safeload.MAX_DEPTH\)"):
                load(text, source="deep", limits=limits)
        else:
            assert load(text, source="deep", limits=limits) == json.loads(text)


def test_deep_nesting_beyond_the_parsers_is_a_refusal_not_a_crash() -> None:
    with pytest.raises(LoadRefused, match="MAX_DEPTH"):
        json_load("[" * 100_000 + "]" * 100_000, source="deep.json")
    pure = type("Pure", (yaml.SafeLoader,), {})  # the recursive pure-Python composer
    with pytest.raises(LoadRefused, match="MAX_DEPTH"):
        yaml_load("[" * 5_000 + "]" * 5_000, source="deep.yaml", loader=pure)


def test_recursive_alias_and_huge_integer_are_refused() -> None:
    with pytest.raises(LoadRefused, match="recursive YAML alias"):
        yaml_load("&a [*a]", source="r.yaml")
    with pytest.raises(LoadRefused, match=r"cannot be read \(Exceeds the limit \(4300 digits\)"):
        yaml_load("a: " + "9" * 5000, source="i.yaml")
    with pytest.raises(LoadRefused, match="4300 digits"):
        json_load("[" + "9" * 5000 + "]", source="i.json")


def test_second_document_keeps_pyyamls_error_and_load_all_reads_both() -> None:
    with pytest.raises(yaml.composer.ComposerError, match="expected a single document"):
        yaml_load("a: 1\n---\nb: 2\n")
    assert yaml_load_all("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert yaml_load("") is None


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(LoadRefused, match=r"pipe.yaml is a named pipe \(FIFO\); only regular"):
        read_bytes(fifo)
    with pytest.raises(LoadRefused, match="is a directory"):
        read_bytes(tmp_path)
    with pytest.raises(LoadRefused, match="is a device"):
        read_bytes(os.devnull)
    assert time.perf_counter() - start < 1.0
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing.yaml")


@pytest.mark.parametrize(("size", "refused"), [(10, False), (11, True)])
def test_size_limit_is_exact(tmp_path: Path, size: int, refused: bool) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * size)
    if refused:
        with pytest.raises(LoadRefused, match=r"is 11 bytes, larger than the limit of 10 bytes"):
            read_bytes(path, Limits(max_bytes=10))
    else:
        assert read_bytes(path, Limits(max_bytes=10)) == b"x" * size


DOCUMENTS = [
    "a: [1, 2, {b: c}]\nd: {e: [f, g]}\n",
    "- [x, [y, [z]]]\n- {k: v}\n- plain\n",
    "interactions:\n- request: {uri: u, headers: {A: [b]}}\n  response: {status: {code: 200}}\n",
]


def _refusal_bounds(text: str) -> tuple[int, int]:
    """(smallest max_nodes accepted, smallest max_depth accepted) for a document."""
    nodes = next(n for n in range(1, 200) if _accepts(text, Limits(max_nodes=n)))
    depth = next(d for d in range(1, 50) if _accepts(text, Limits(max_depth=d)))
    return nodes, depth


def _accepts(text: str, limits: Limits) -> bool:
    try:
        yaml_load(text, limits=limits)
    except LoadRefused:
        return False
    return True


@pytest.mark.parametrize("text", DOCUMENTS)
def test_tree_walk_and_graph_walk_draw_the_same_limits(text: str) -> None:
    # A text without '&' takes the tree walk; a '&' anywhere (here in a comment) the graph walk.
    assert "&" not in text
    tree = _refusal_bounds(text)
    graph = _refusal_bounds(text + "# & forces the graph walk\n")
    assert tree == graph
    assert tree[0] > 5
    assert tree[1] > 2


def test_an_alias_with_no_anchor_sign_cannot_exist() -> None:
    # The tree walk relies on this: without '&' the composer refuses any alias.
    with pytest.raises(yaml.YAMLError):
        yaml_load("a: [1]\nb: *a\n")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="ab[{", max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=12,
)


# What is tested is the answer, not its speed: a loaded CI machine must not fail it.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES, st.integers(1, 14), st.integers(1, 8))
def test_json_size_shortcut_never_accepts_what_the_tree_walk_refuses(
    value: object, max_nodes: int, max_depth: int
) -> None:
    text = json.dumps(value, separators=(",", ":"))
    limits = Limits(max_nodes=max_nodes, max_depth=max_depth)
    try:
        check_tree(json.loads(text), "t", limits)
        walk_refuses = False
    except LoadRefused:
        walk_refuses = True
    try:
        json_load(text, limits=limits)
        load_refuses = False
    except LoadRefused:
        load_refuses = True
    assert load_refuses == walk_refuses


ALIASED = [
    "a: &a [1, 2, {b: c}]\nd: [*a, *a, {e: *a}]\n",
    "base: &b {x: [1, 2]}\nmid: &m [*b, *b]\ntop: [*m, *b, [*m]]\n",
    "- &s s\n- [*s, [*s, [*s]]]\n",
]


@pytest.mark.parametrize("text", ALIASED)
def test_level_walk_and_exact_graph_walk_draw_the_same_limits(text: str) -> None:
    levels = (
        next(n for n in range(1, 400) if _passes(check_yaml_levels, text, Limits(max_nodes=n))),
        next(d for d in range(1, 60) if _passes(check_yaml_levels, text, Limits(max_depth=d))),
    )
    exact = (
        next(n for n in range(1, 400) if _passes(check_yaml_node, text, Limits(max_nodes=n))),
        next(d for d in range(1, 60) if _passes(check_yaml_node, text, Limits(max_depth=d))),
    )
    assert levels == exact
    assert levels[0] > 5


def _passes(check: Any, text: str, limits: Limits) -> bool:
    loader = yaml.CSafeLoader(text)
    try:
        check(loader.get_single_node(), "t", limits)
    except LoadRefused:
        return False
    finally:
        loader.dispose()
    return True


def test_an_alias_bomb_costs_the_level_walk_a_few_nodes_per_level() -> None:
    start = time.perf_counter()
    with pytest.raises(LoadRefused, match="MAX_NODES"):
        yaml_load(billion_laughs().decode(), source="bomb.yaml")
    assert time.perf_counter() - start < 0.2
