"""Resolve $refs, local and external, copying every schema met into one set of definitions."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

from pytest_batchkeys.errors import SpecError
from pytest_batchkeys.safeload import LoadRefused
from pytest_batchkeys.spec.files import SPECS_DIR, ParseProblem, bundled_data, parse_file


@dataclass
class Source:
    """One parsed document and how messages name it; `path` is None for bundled stand-ins."""

    data: dict[str, Any]
    path: Path | None
    label: str


@dataclass
class Resolver:
    """Resolves $refs from the root spec, copying every schema it meets into `definitions`."""

    root: Source
    oas3: bool
    repairs: list[str]
    definitions: dict[str, Any] = field(default_factory=dict)
    _names: dict[tuple[int, str], str] = field(default_factory=dict)
    _files: dict[Path, Source] = field(default_factory=dict)
    _common: Source | None = None

    @property
    def schema_prefix(self) -> str:
        return "#/components/schemas/" if self.oas3 else "#/definitions/"

    def broken(self, ref: str, where: str, reason: str) -> SpecError:
        return SpecError(
            f"{self.root.label}: the $ref {ref!r} used at {where} cannot be resolved: {reason}. "
            "Expected it to name an existing file (relative to the file that uses it) and a JSON "
            "pointer inside it. Fix the reference, or put the referenced file at that place."
        )

    def lookup(self, ref: Any, source: Source, where: str) -> tuple[Any, Source, str]:
        """The value `ref` points at, the document holding it, and its JSON pointer."""
        if not isinstance(ref, str):
            raise self.broken(str(ref), where, "a $ref must be a string")
        file_part, _, pointer = ref.partition("#")
        target = self._file(file_part, ref, pointer, source, where) if file_part else source
        value = _follow_pointer(target.data, pointer)
        if value is _MISSING:
            raise self.broken(ref, where, f"{target.label} has nothing at #{pointer}")
        return value, target, pointer

    def _file(self, file_part: str, ref: str, pointer: str, source: Source, where: str) -> Source:
        """The external document `file_part`, or the bundled common-types stand-in if absent."""
        base = source.path.parent if source.path is not None else SPECS_DIR
        path = (base / unquote(file_part)).resolve()
        if path in self._files:
            return self._files[path]
        if path.is_file():
            try:
                data = parse_file(path)
            except ParseProblem as exc:
                raise self.broken(ref, where, f"{file_part} is {exc}") from None
            except LoadRefused as exc:
                raise self.broken(ref, where, str(exc)) from None
            loaded = Source(data if isinstance(data, dict) else {}, path, file_part)
            self._files[path] = loaded
            return loaded
        stand_in = self._stand_in()
        if _follow_pointer(stand_in.data, pointer) is _MISSING:
            raise self.broken(ref, where, f"the file {path} does not exist")
        note = (
            f"{file_part} was not found next to the spec; #{pointer} was taken from the bundled "
            "copy of Azure common-types v5."
        )
        if note not in self.repairs:
            self.repairs.append(note)
        return stand_in

    def _stand_in(self) -> Source:
        """The bundled common-types v5 subset, one copy per resolver so definitions are shared."""
        if self._common is None:
            data = bundled_data()["x-batchkeys-common-types-v5"]
            self._common = Source(data, None, "the bundled common-types v5")
        return self._common

    def inline(self, node: Any, source: Source, where: str) -> tuple[Any, Source]:
        """`node` with its chain of $refs followed (parameters, responses), as a private copy."""
        for _ in range(32):
            if not (isinstance(node, dict) and "$ref" in node):
                return copy.deepcopy(node), source
            node, source, _pointer = self.lookup(node["$ref"], source, where)
        raise self.broken(str(node.get("$ref")), where, "the references form a cycle")

    def schema(self, node: Any, source: Source, where: str) -> Any:
        """`node` with every $ref rewritten to a local definition copied from its target."""
        if isinstance(node, list):
            return [self.schema(item, source, f"{where}[{i}]") for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        out = {key: self.schema(value, source, f"{where}.{key}") for key, value in node.items()}
        if "$ref" in node:
            out["$ref"] = self.schema_prefix + self._import(node["$ref"], source, where)
        return out

    def _import(self, ref: Any, source: Source, where: str) -> str:
        """The local definition name for `ref`, copying its target (once) into `definitions`."""
        value, target, pointer = self.lookup(ref, source, where)
        key = (id(target.data), pointer)
        if key in self._names:
            return self._names[key]
        name = self._free_name(pointer.rsplit("/", 1)[-1] or "Schema")
        self._names[key] = name
        self.definitions[name] = {}
        self.definitions[name] = self.schema(value, target, f"{target.label}#{pointer}")
        return name

    def _free_name(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.definitions:
            n += 1
            name = f"{wanted}{n}"
        return name


_MISSING: Final[Any] = object()


def _follow_pointer(document: Any, pointer: str) -> Any:
    """The value at JSON pointer `pointer` (RFC 6901, URL-decoded) or _MISSING."""
    node = document
    for part in [p for p in unquote(pointer).split("/") if p]:
        token = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _MISSING
    return node
