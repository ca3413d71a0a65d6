"""The one bounded loader for every YAML and JSON file the kit reads (PyYAML imported on first use).

Files come from pull requests and other projects, so reading one is bounded: only a regular file
is opened (a FIFO, device or directory is refused before it can block), its size is capped, and
the parsed document may not nest deeper than `MAX_DEPTH` nor expand (aliases counted each time
they are used) to more than `MAX_NODES` values. A refusal is a `LoadRefused` naming the file and
the limit; YAML and JSON syntax errors are left to the caller, which words them for its file kind.
"""

from __future__ import annotations

import functools
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

#: A file larger than this is refused before it is read (the 60 MB a scrub benchmark uses fits).
MAX_FILE_BYTES: Final = 100 * 1024 * 1024
#: Deeper nesting is refused: real cassettes, specs and configs nest fewer than 40 levels.
MAX_DEPTH: Final = 100
#: More values than this, with every alias counted as a copy, is refused (an alias bomb).
MAX_NODES: Final = 1_000_000


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one load may cost; the defaults suit every file the kit reads."""

    max_bytes: int = MAX_FILE_BYTES
    max_depth: int = MAX_DEPTH
    max_nodes: int = MAX_NODES


DEFAULT_LIMITS: Final = Limits()


class LoadRefused(ValueError):
    """A file or document was refused by a limit; the message names the file and the limit."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source} {problem}")


def _kind_of(mode: int) -> str:
    """A reader's name for a file type that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_regular(path: Path, mode: int, size: int, limits: Limits) -> None:
    if not stat.S_ISREG(mode):
        raise LoadRefused(
            str(path), f"is {_kind_of(mode)}; only regular files are read (refused at once)"
        )
    if size > limits.max_bytes:
        raise LoadRefused(
            str(path),
            f"is {size:,} bytes, larger than the limit of {limits.max_bytes:,} bytes "
            "(safeload.MAX_FILE_BYTES)",
        )


def check_regular_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> None:
    """LoadRefused unless `path` is a regular file within the size limit (OSError if missing)."""
    info = os.stat(path)
    _check_regular(Path(path), info.st_mode, info.st_size, limits)


def read_bytes(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file no larger than the limit; LoadRefused otherwise.

    The type is checked before opening (opening a FIFO blocks) and again on the open descriptor,
    which is opened non-blocking, so a file swapped for a FIFO in between cannot hang the read.
    OSError (missing file, no permission) is left to the caller.
    """
    target = Path(path)
    check_regular_file(target, limits)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(target, flags)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        _check_regular(target, info.st_mode, info.st_size, limits)
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        _check_regular(target, info.st_mode, len(data), limits)
    return data


@functools.cache
def _yaml_loader() -> Any:
    """A safe YAML loader that also reads the benign python/str and python/tuple tags of vcrpy."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: Any = type("_RecordingLoader", (base,), {})
    scalar = lambda ld, node: ld.construct_scalar(node)  # noqa: E731
    loader.add_constructor("tag:yaml.org,2002:python/str", scalar)
    loader.add_constructor("tag:yaml.org,2002:python/unicode", scalar)
    loader.add_constructor(
        "tag:yaml.org,2002:python/tuple", lambda ld, node: ld.construct_sequence(node)
    )
    return loader


def _node_children(node: Any) -> list[Any]:
    """The child nodes of a composed YAML node (keys and values of a mapping)."""
    value = node.value
    if not isinstance(value, list):
        return []
    if value and isinstance(value[0], tuple):
        return [part for pair in value for part in pair]
    return value


def _too_many(source: str, limits: Limits) -> LoadRefused:
    return LoadRefused(
        source,
        f"expands to more than {limits.max_nodes:,} values (safeload.MAX_NODES, aliases counted "
        "at every use); refused as an alias bomb or an oversized document",
    )


def _too_deep(source: str, limits: Limits) -> LoadRefused:
    return LoadRefused(
        source, f"nests deeper than {limits.max_depth} levels (safeload.MAX_DEPTH); refused"
    )


def _unreadable_value(source: str, exc: Exception) -> LoadRefused:
    reason = str(exc).split(";")[0]
    return LoadRefused(source, f"holds a value that cannot be read ({reason}); refused")


def check_yaml_node(root: Any, source: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a composed YAML graph that is recursive, too deep or too large once expanded.

    Each distinct node is visited once (sizes of shared nodes are remembered), so a bomb of
    nested aliases is measured in time linear in the file, not in its expansion.
    """
    measured: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            children = [measured[id(child)] for child in _node_children(node)]
            size = 1 + sum(size for size, _ in children)
            depth = 1 + max((depth for _, depth in children), default=0)
            if size > limits.max_nodes:
                raise _too_many(source, limits)
            if depth > limits.max_depth:
                raise _too_deep(source, limits)
            measured[key] = (size, depth)
            continue
        if key in measured:
            continue
        if key in open_nodes:
            raise LoadRefused(source, "holds a recursive YAML alias (a node inside itself)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _node_children(node) if id(child) not in measured)


def check_yaml_tree(root: Any, source: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """`check_yaml_node` for a document without anchors, whose nodes therefore form a tree.

    Walks the tree level by level (no bookkeeping of shared nodes is needed), so the check costs
    a small part of constructing the data. Aliases would be counted at every use, which is what
    the limit measures anyway, but only `check_yaml_node` names a recursive alias as such.
    """
    count, depth, level = 0, 0, [root]
    while level:
        depth += 1
        count += len(level)
        if count > limits.max_nodes:
            raise _too_many(source, limits)
        if depth > limits.max_depth:
            raise _too_deep(source, limits)
        below: list[Any] = []
        for node in level:
            value = node.value
            if value.__class__ is list and value:
                if value[0].__class__ is tuple:
                    for pair in value:
                        below += pair
                else:
                    below += value
        level = below


def check_yaml_levels(root: Any, source: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """The limits of `check_yaml_node`, measured level by level with shared nodes merged.

    Each level holds every distinct node once with the number of ways it is reached (aliases
    counted at every use), so an alias bomb costs a few nodes per level, and a document with
    anchors but no bomb costs about what the tree walk does. A recursive alias is refused as
    too deep or too large; `check_yaml_node` words that refusal exactly.
    """
    count, depth = 0, 0
    level: dict[int, tuple[Any, int]] = {id(root): (root, 1)}
    while level:
        depth += 1
        count += sum(times for _, times in level.values())
        if count > limits.max_nodes:
            raise _too_many(source, limits)
        if depth > limits.max_depth:
            raise _too_deep(source, limits)
        below: dict[int, tuple[Any, int]] = {}
        for node, times in level.values():
            value = node.value
            if value.__class__ is not list or not value:
                continue
            children = [p for pair in value for p in pair] if value[0].__class__ is tuple else value
            for child in children:
                seen = below.get(id(child))
                below[id(child)] = (child, seen[1] + times) if seen else (child, times)
        level = below


def check_tree(data: Any, source: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse parsed data (a tree, as JSON gives) that is too deep or has too many values."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise _too_many(source, limits)
        if depth > limits.max_depth:
            raise _too_deep(source, limits)
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def _construct(loader: Any, node: Any, source: str, limits: Limits, anchors: bool) -> Any:
    """The data of one composed document, once its graph passed the limits.

    A text without `&` has no anchor, hence no alias: its nodes form a tree, checked by the
    cheapest walk. Any `&` (even inside a quoted string) takes the level walk, which merges
    shared nodes; when it refuses, the exact graph walk words the refusal.
    """
    if not anchors:
        check_yaml_tree(node, source, limits)
    else:
        try:
            check_yaml_levels(node, source, limits)
        except LoadRefused:
            check_yaml_node(node, source, limits)  # names a recursive alias as such
            raise
    try:
        return loader.construct_document(node)
    except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
        raise _unreadable_value(source, exc) from None


def yaml_load(
    text: str,
    *,
    source: str = "<text>",
    loader: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """One YAML document parsed safely within the limits (None for an empty text).

    `loader` is a SafeLoader subclass (default: the recording loader); yaml.YAMLError for bad
    syntax or a second document, LoadRefused for a limit.
    """
    reader = (loader or _yaml_loader())(text)
    try:
        node = reader.get_single_node()
        return None if node is None else _construct(reader, node, source, limits, "&" in text)
    except RecursionError:  # the pure-Python composer recurses once per nesting level
        raise _too_deep(source, limits) from None
    finally:
        reader.dispose()


def yaml_load_all(
    text: str,
    *,
    source: str = "<text>",
    loader: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Any]:
    """Every YAML document of a stream, parsed safely within the limits."""
    reader = (loader or _yaml_loader())(text)
    try:
        documents = []
        while reader.check_node():
            documents.append(_construct(reader, reader.get_node(), source, limits, "&" in text))
        return documents
    except RecursionError:  # the pure-Python composer recurses once per nesting level
        raise _too_deep(source, limits) from None
    finally:
        reader.dispose()


def json_load(text: str | bytes, *, source: str = "<text>", limits: Limits = DEFAULT_LIMITS) -> Any:
    """JSON parsed within the limits; JSONDecodeError for bad syntax, LoadRefused for a limit."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(source, limits) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer of 5,000 digits
        raise _unreadable_value(source, exc) from None
    if not _within_limits_by_size(text, limits):
        check_tree(data, source, limits)
    return data


def _within_limits_by_size(text: str | bytes, limits: Limits) -> bool:
    """True when a JSON text is too small to break a limit, so its tree need not be walked.

    Every JSON value takes at least one character of its own, so a text has at most as many
    values as characters; each level of nesting opens a bracket, so values lie at most one
    level deeper than the number of brackets in the text (those inside strings included).
    """
    if len(text) > limits.max_nodes:
        return False
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{") < limits.max_depth
    return text.count("[") + text.count("{") < limits.max_depth


def yaml_dump(data: Any) -> str:
    """Serialize like vcrpy's YAML serializer (block style, sorted keys), with a safe dumper."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(data, Dumper=dumper))
