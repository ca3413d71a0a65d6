"""The package layout of docs/architecture.md: imports point one way, and nothing imports in a cycle.

Every import counts, including those inside functions and under TYPE_CHECKING: a lazy import
is still a dependency, only a cheaper one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = "pytest_batchkeys"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

#: Lowest first. A module may import from its own group and from groups listed before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    # foundation: top-level modules every step uses
    ("errors", "clouds", "safeload", "settings"),
    ("secrets",),
    ("spec",),
    ("recording",),
    ("checks",),
    ("live",),
    ("contract",),
    ("simulator",),
    ("cli",),
    # glue: pytest hooks, the public facades (`client`, the package root); nothing below
    # imports them
    ("harness", "plugin", "client", ""),
)


def group_of(module: str) -> str:
    """`pytest_batchkeys.spec.load` -> `spec`; `pytest_batchkeys` itself -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rank_of(module: str) -> int:
    group = group_of(module)
    for rank, groups in enumerate(LAYERS):
        if group in groups:
            return rank
    raise AssertionError(f"{module}: group {group!r} is in no layer of LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package modules `path` imports, anywhere in the file, relative imports resolved."""
    name = module_name(path)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            # the longest known module the target names (`from pkg import module` or a name)
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.startswith(PACKAGE) and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    known = {module_name(p) for p in paths}
    graph = {module_name(p): imports_of(p, known) for p in paths}
    # `from pytest_batchkeys.spec import load` also names the package `spec`: drop the package
    # when one of its modules is the real target
    for node, targets in graph.items():
        graph[node] = {
            t for t in targets if not any(o.startswith(t + ".") for o in targets) or t == PACKAGE
        }
    return graph


def wrong_way(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports of a module from a higher layer than the importer's."""
    return sorted(
        f"{src} imports {dst} ({group_of(dst) or PACKAGE} is above {group_of(src) or PACKAGE})"
        for src, dsts in graph.items()
        for dst in dsts
        if rank_of(dst) > rank_of(src)
    )


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative enough here)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def group_graph(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Subpackage-level edges; top-level modules each count as their own group."""
    out: dict[str, set[str]] = {}
    for src, dsts in graph.items():
        a = group_of(src) or PACKAGE
        for dst in dsts:
            b = group_of(dst) or PACKAGE
            if a != b:
                out.setdefault(a, set()).add(b)
    return out


def test_every_module_is_in_a_layer() -> None:
    for module in import_graph():
        rank_of(module)


def test_no_import_points_up_the_layers() -> None:
    assert wrong_way(import_graph()) == []


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_subpackages() -> None:
    assert cycles(group_graph(import_graph())) == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The checkers themselves can fail: a wrong-way edge and a cycle planted in the real graph."""
    graph = import_graph()
    graph["pytest_batchkeys.secrets.scrub"].add("pytest_batchkeys.recording.formats")
    assert wrong_way(graph) == [
        "pytest_batchkeys.secrets.scrub imports pytest_batchkeys.recording.formats "
        "(recording is above secrets)"
    ]
    graph = import_graph()
    graph["pytest_batchkeys.simulator.server"].add("pytest_batchkeys.simulator.control")
    planted = {"pytest_batchkeys.simulator.control", "pytest_batchkeys.simulator.server"}
    assert any(planted <= set(cycle) for cycle in cycles(graph))
    graph = import_graph()
    graph["pytest_batchkeys.spec.files"].add("pytest_batchkeys.checks.curl")
    graph["pytest_batchkeys.checks.curl"].add("pytest_batchkeys.spec.refs")
    assert ["checks", "spec"] in cycles(group_graph(graph))


def test_the_layers_match_the_folder_listing() -> None:
    """Every subpackage and top-level module on disk is named in LAYERS, and nothing else."""
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    on_disk |= {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    named = {g for groups in LAYERS for g in groups if g}
    assert on_disk == named


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("pytest_batchkeys.simulator.server", "pytest_batchkeys.simulator.control"),
        ("pytest_batchkeys.spec.schemathesis_adapter", "pytest_batchkeys.spec.load"),
    ],
)
def test_the_two_old_cycles_stay_broken(source: str, target: str) -> None:
    assert target not in import_graph()[source]
