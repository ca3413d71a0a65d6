"""Load the BatchAccount_GetKeys contract (bundled, seed, or any spec file) and repair its gaps.

Every loader returns a `LoadedSpec` whose `raw` is a self-contained document holding only the
listKeys operation: parameters inlined, every schema it uses copied under `definitions` (Swagger
2.0) or `components.schemas` (OpenAPI 3), external `$ref`s resolved. Repairs add only what the
file lacks for the operation to be usable (declarations, types, `required`, response schemas);
constraints a file leaves out on a parameter it does declare are not invented, because older
api-versions really had other constraints. A parameter the file does not declare at all gets the
full 2026-08-01 definition. Each repair is one sentence in `LoadedSpec.repairs`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from pytest_batchkeys.errors import ConfigError, SpecError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis import APIOperation, BaseSchema, Case

OPERATION_ID: Final = "BatchAccount_GetKeys"
METHOD: Final = "post"
SPECS_DIR: Final = Path(__file__).parent / "specs"
BUNDLED_FILE: Final = SPECS_DIR / "listkeys-2026-08-01.json"
SEED_FILE: Final = SPECS_DIR / "listkeys-seed.yaml"
SUPPORTED_VERSIONS: Final = "swagger 2.0, openapi 3.0.x, openapi 3.1.x"

_HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_OPENAPI_RE: Final = re.compile(r"^3\.[01](\.\d+)?$")
_API_VERSION_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_TEMPLATE_RE: Final = re.compile(r"{([^{}]+)}")
# Keys that only document; dropping them keeps the fingerprint stable across wording fixes.
_DOC_KEYS: Final = frozenset({"description", "summary", "title", "tags", "example", "examples"})
# Maps whose keys are names chosen by the author, so a key there is never a doc key.
_NAMED_MAPS: Final = frozenset(
    {"properties", "patternProperties", "definitions", "schemas", "headers"}
)
# Swagger 2.0 parameter keys that OpenAPI 3 keeps under `schema`.
_SCHEMA_KEYS: Final = (
    *("type", "format", "items", "enum", "default", "minLength", "maxLength", "pattern"),
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
)
_KNOWN_SOURCES: Final = {
    "api-version": "as in Azure common-types v5",
    "subscriptionId": "as in Azure common-types v5",
    "resourceGroupName": "as in Azure common-types v5",
    "accountName": "as in the 2026-08-01 Batch spec",
}


@dataclass(frozen=True)
class LoadedSpec:
    """A BatchAccount_GetKeys contract schemathesis can load, with what was repaired and why."""

    raw: dict[str, Any]
    source: str
    version: str
    path_template: str
    method: str
    operation: dict[str, Any]
    repairs: tuple[str, ...]
    api_versions: tuple[str, ...]
    default_api_version: str
    fingerprint: str

    def __hash__(self) -> int:
        return hash((self.source, self.fingerprint, self.repairs))

    @property
    def is_openapi3(self) -> bool:
        """True when `raw` is OpenAPI 3.x (schemas under `schema`/`components`), False for 2.0."""
        return self.version != "2.0"

    def parameter(self, name: str) -> dict[str, Any]:
        """A copy of parameter `name` in Swagger 2.0 form (constraints at top level)."""
        for param in self.operation["parameters"]:
            if param.get("name") == name:
                flat = {k: v for k, v in param.items() if k != "schema"}
                flat.update(param.get("schema") or {})
                return copy.deepcopy(flat)
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# public loaders


def load_bundled() -> LoadedSpec:
    """The complete 2026-08-01 contract shipped with the kit; it needs no repairs."""
    return _load_file(BUNDLED_FILE, source="bundled", label="the bundled spec")


def load_seed() -> LoadedSpec:
    """The seed swagger the project started from, loaded as is and repaired."""
    return _load_file(SEED_FILE, source="seed", label="the bundled seed spec")


def load_spec(path: str | os.PathLike[str]) -> LoadedSpec:
    """Any Swagger 2.0 / OpenAPI 3.0 / 3.1 file (YAML or JSON) holding BatchAccount_GetKeys."""
    text = os.fspath(path)
    return _load_file(Path(text), source=text, label=f"Spec file {text}")


def _load_file(path: Path, *, source: str, label: str) -> LoadedSpec:
    document = _read_spec_file(path, label)
    return _build(_Source(document, path, label), source=source)


# ---------------------------------------------------------------------------------------------
# reading files


class _ParseProblem(Exception):
    """Why a file's text is not a document; the caller words the SpecError."""


def _read_spec_file(path: Path, label: str) -> dict[str, Any]:
    """The top-level mapping of the spec file, or SpecError saying why there is none."""
    if not path.exists():
        raise SpecError(
            f"{label} does not exist. Expected a Swagger 2.0 or OpenAPI 3.x file (YAML or JSON) "
            "that declares BatchAccount_GetKeys. Check the path (a relative path is resolved "
            "against the current directory), or leave the spec setting unset to use the bundled "
            "contract."
        )
    try:
        document = _parse_file(path)
    except _ParseProblem as exc:
        raise SpecError(
            f"{label} is {exc}. Expected a Swagger 2.0 or OpenAPI 3.x document in YAML or JSON. "
            "Fix the file at that place, or point the spec setting at another file."
        ) from None
    if not isinstance(document, dict):
        raise SpecError(
            f"{label} holds {_kind(document)} at the top level, not a mapping. Expected a Swagger "
            "2.0 or OpenAPI 3.x document: a mapping with a `swagger` or `openapi` key and `paths`. "
            "Check that the file is the spec itself, not a list of specs or an empty file."
        )
    return document


def _parse_file(path: Path) -> Any:
    """The parsed content (keys as strings, dates kept as text), or _ParseProblem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _ParseProblem(f"not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    except OSError as exc:
        raise _ParseProblem(f"not readable ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith("{")):
        return _parse_json(text)
    return _stringify_keys(_parse_yaml(text))


def _parse_json(text: str) -> Any:
    """JSON text parsed, or _ParseProblem naming line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _ParseProblem(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _parse_yaml(text: str) -> Any:
    """YAML text parsed without timestamp conversion, or _ParseProblem naming line and column."""
    import yaml

    try:
        # A trailing `---` (as in the seed) starts an empty second document; ignore empty ones.
        documents = [d for d in yaml.load_all(text, Loader=_yaml_loader()) if d is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise _ParseProblem(f"not valid YAML: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise _ParseProblem(f"not valid YAML: {exc}") from None
    if len(documents) > 1:
        raise _ParseProblem(f"a stream of {len(documents)} YAML documents, not one")
    return documents[0] if documents else None


@functools.cache
def _yaml_loader() -> Any:
    """A SafeLoader that leaves 2026-08-01 a string: api-versions are text, not dates."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {
        first: [item for item in resolvers if item[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


def _stringify_keys(node: Any) -> Any:
    """The same tree with every mapping key a string (YAML reads `200:` as an int)."""
    if isinstance(node, dict):
        return {str(key): _stringify_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(item) for item in node]
    return node


def _kind(value: Any) -> str:
    """A short human name for the JSON type of `value`."""
    if value is None:
        return "nothing (the file is empty or null)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


@functools.cache
def _bundled_text() -> str:
    """The bundled spec's text, read once per process."""
    return BUNDLED_FILE.read_text(encoding="utf-8")


def _bundled_data() -> dict[str, Any]:
    """A fresh copy of the bundled spec document."""
    data: dict[str, Any] = json.loads(_bundled_text())
    return data


# ---------------------------------------------------------------------------------------------
# $ref resolution


@dataclass
class _Source:
    """One parsed document and how messages name it; `path` is None for bundled stand-ins."""

    data: dict[str, Any]
    path: Path | None
    label: str


@dataclass
class _Resolver:
    """Resolves $refs from the root spec, copying every schema it meets into `definitions`."""

    root: _Source
    oas3: bool
    repairs: list[str]
    definitions: dict[str, Any] = field(default_factory=dict)
    _names: dict[tuple[int, str], str] = field(default_factory=dict)
    _files: dict[Path, _Source] = field(default_factory=dict)
    _common: _Source | None = None

    @property
    def schema_prefix(self) -> str:
        return "#/components/schemas/" if self.oas3 else "#/definitions/"

    def broken(self, ref: str, where: str, reason: str) -> SpecError:
        return SpecError(
            f"{self.root.label}: the $ref {ref!r} used at {where} cannot be resolved: {reason}. "
            "Expected it to name an existing file (relative to the file that uses it) and a JSON "
            "pointer inside it. Fix the reference, or put the referenced file at that place."
        )

    def lookup(self, ref: Any, source: _Source, where: str) -> tuple[Any, _Source, str]:
        """The value `ref` points at, the document holding it, and its JSON pointer."""
        if not isinstance(ref, str):
            raise self.broken(str(ref), where, "a $ref must be a string")
        file_part, _, pointer = ref.partition("#")
        target = self._file(file_part, ref, pointer, source, where) if file_part else source
        value = _follow_pointer(target.data, pointer)
        if value is _MISSING:
            raise self.broken(ref, where, f"{target.label} has nothing at #{pointer}")
        return value, target, pointer

    def _file(self, file_part: str, ref: str, pointer: str, source: _Source, where: str) -> _Source:
        """The external document `file_part`, or the bundled common-types stand-in if absent."""
        base = source.path.parent if source.path is not None else SPECS_DIR
        path = (base / unquote(file_part)).resolve()
        if path in self._files:
            return self._files[path]
        if path.is_file():
            try:
                data = _parse_file(path)
            except _ParseProblem as exc:
                raise self.broken(ref, where, f"{file_part} is {exc}") from None
            loaded = _Source(data if isinstance(data, dict) else {}, path, file_part)
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

    def _stand_in(self) -> _Source:
        """The bundled common-types v5 subset, one copy per resolver so definitions are shared."""
        if self._common is None:
            data = _bundled_data()["x-batchkeys-common-types-v5"]
            self._common = _Source(data, None, "the bundled common-types v5")
        return self._common

    def inline(self, node: Any, source: _Source, where: str) -> tuple[Any, _Source]:
        """`node` with its chain of $refs followed (parameters, responses), as a private copy."""
        for _ in range(32):
            if not (isinstance(node, dict) and "$ref" in node):
                return copy.deepcopy(node), source
            node, source, _pointer = self.lookup(node["$ref"], source, where)
        raise self.broken(str(node.get("$ref")), where, "the references form a cycle")

    def schema(self, node: Any, source: _Source, where: str) -> Any:
        """`node` with every $ref rewritten to a local definition copied from its target."""
        if isinstance(node, list):
            return [self.schema(item, source, f"{where}[{i}]") for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        out = {key: self.schema(value, source, f"{where}.{key}") for key, value in node.items()}
        if "$ref" in node:
            out["$ref"] = self.schema_prefix + self._import(node["$ref"], source, where)
        return out

    def _import(self, ref: Any, source: _Source, where: str) -> str:
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


# ---------------------------------------------------------------------------------------------
# building the LoadedSpec


def _build(root: _Source, *, source: str) -> LoadedSpec:
    """Select, resolve and repair the operation of `root`, and assemble the LoadedSpec."""
    version = _spec_version(root)
    oas3 = version != "2.0"
    path, path_item, operation = _find_operation(root)
    repairs: list[str] = []
    resolver = _Resolver(root, oas3, repairs)
    where = OPERATION_ID
    params = _parameters(resolver, path_item, operation, where)
    params = _repair_parameters(params, path, oas3, repairs)
    responses = _responses(resolver, operation, where)
    _repair_responses(resolver, responses, repairs)
    repaired = {k: v for k, v in operation.items() if k not in ("parameters", "responses")}
    # x-ms-examples points at example files we neither ship nor need.
    repaired.pop("x-ms-examples", None)
    repaired["parameters"] = params
    repaired["responses"] = responses
    raw = _document(root.data, version, path, repaired, resolver.definitions, repairs)
    api_versions, default = _api_versions(root.data)
    return LoadedSpec(
        raw=raw,
        source=source,
        version=version,
        path_template=path,
        method=METHOD,
        operation=repaired,
        repairs=tuple(repairs),
        api_versions=api_versions,
        default_api_version=default,
        fingerprint=_fingerprint(path, repaired, resolver.definitions),
    )


def _spec_version(root: _Source) -> str:
    """ "2.0" or the OpenAPI 3.0/3.1 version string, or SpecError naming what was found."""
    data = root.data
    swagger, openapi = data.get("swagger"), data.get("openapi")
    if "swagger" in data and str(swagger) in ("2.0", "2"):
        return "2.0"
    if "openapi" in data and isinstance(openapi, str) and _OPENAPI_RE.match(openapi):
        return openapi
    found = [f"{key}: {data[key]!r}" for key in ("swagger", "openapi") if key in data]
    what = " and ".join(found) if found else "neither a `swagger` nor an `openapi` key"
    raise SpecError(
        f"{root.label} declares {what}, which this kit cannot read. Supported: "
        f"{SUPPORTED_VERSIONS}. Use a spec in one of these versions (Azure publishes the Batch "
        "management spec as Swagger 2.0)."
    )


def _find_operation(root: _Source) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(path, path item, operation) of BatchAccount_GetKeys, checked to be POST …/listKeys."""
    paths = root.data.get("paths")
    paths = paths if isinstance(paths, dict) else {}
    seen: list[str] = []
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            operation_id = str(operation.get("operationId", ""))
            if operation_id.lower() == OPERATION_ID.lower():
                _check_shape(root, method, path)
                return path, item, operation
            if operation_id:
                seen.append(operation_id)
    raise _no_operation(root, seen, len(paths))


def _no_operation(root: _Source, seen: list[str], n_paths: int) -> SpecError:
    """SpecError listing the operationIds the file does have."""
    if seen:
        listed = ", ".join(seen[:10]) + (f" (and {len(seen) - 10} more)" if len(seen) > 10 else "")
        have = f"these operationIds: {listed}"
    else:
        have = "no operationIds at all"
    return SpecError(
        f"{root.label} has no operation with operationId {OPERATION_ID} (compared ignoring case). "
        f"It has {n_paths} path{'' if n_paths == 1 else 's'} and {have}. Expected the listKeys "
        "POST of the Microsoft.Batch management spec; pass that spec, or add "
        f"operationId: {OPERATION_ID} to its listKeys operation."
    )


def _check_shape(root: _Source, method: str, path: str) -> None:
    """Raise SpecError unless the operation is a POST whose path ends in /listKeys."""
    if method == METHOD and path.rstrip("/").lower().endswith("/listkeys"):
        return
    raise SpecError(
        f"{root.label} declares {OPERATION_ID} as {method.upper()} {path}, but that operation is "
        "POST …/batchAccounts/{accountName}/listKeys in every Azure Batch api-version. Expected "
        "a POST whose path ends in /listKeys. Fix the method or path in the spec, or pass the "
        "official Microsoft.Batch management spec."
    )


# ---------------------------------------------------------------------------------------------
# parameters


def _parameters(
    resolver: _Resolver, item: dict[str, Any], operation: dict[str, Any], where: str
) -> list[dict[str, Any]]:
    """Path-level then operation-level parameters, $refs inlined; the operation's win."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for level, params in (("path item", item.get("parameters")), ("", operation.get("parameters"))):
        for i, node in enumerate(params if isinstance(params, list) else []):
            place = f"{where} {level + ' ' if level else ''}parameters[{i}]"
            param, source = resolver.inline(node, resolver.root, place)
            if not isinstance(param, dict):
                continue
            if "schema" in param:
                param["schema"] = resolver.schema(param["schema"], source, f"{place}.schema")
            name = param.get("name")
            key = (str(param.get("in")), name if isinstance(name, str) and name else f"#{i}")
            merged[key] = param
    return list(merged.values())


def _known_parameter(name: str, oas3: bool) -> dict[str, Any]:
    """The 2026-08-01 definition of one of the four listKeys parameters, in the dialect wanted."""
    for param in _bundled_data()["paths"][_BUNDLED_PATH]["post"]["parameters"]:
        if param["name"] == name:
            return _to_oas3(param) if oas3 else dict(param)
    return {"name": name, "in": "path", "required": True, "type": "string"}


_BUNDLED_PATH: Final = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Batch/batchAccounts/{accountName}/listKeys"
)


def _to_oas3(param: dict[str, Any]) -> dict[str, Any]:
    """A Swagger 2.0 parameter rewritten with its type and constraints under `schema`."""
    out = {k: v for k, v in param.items() if k not in _SCHEMA_KEYS}
    out["schema"] = {k: param[k] for k in _SCHEMA_KEYS if k in param}
    return out


def _type_holder(param: dict[str, Any], oas3: bool) -> dict[str, Any]:
    """The mapping that holds the parameter's `type`: itself (2.0) or its `schema` (3.x)."""
    if not oas3:
        return param
    schema = param.get("schema")
    if not isinstance(schema, dict):
        schema = param["schema"] = {}
    return schema


def _repair_parameters(
    params: list[dict[str, Any]], path: str, oas3: bool, repairs: list[str]
) -> list[dict[str, Any]]:
    """The parameters with api-version and every templated path parameter declared and typed."""
    params = [_oas3_shape(p, repairs) if oas3 else p for p in params]
    params = _repair_api_version(params, oas3, repairs)
    declared = {p.get("name") for p in params if p.get("in") == "path"}
    for name in _TEMPLATE_RE.findall(path):
        if name not in declared:
            param = _known_parameter(name, oas3) if name in _KNOWN_SOURCES else _generic(name, oas3)
            params.append(param)
            source = _KNOWN_SOURCES.get(name, "since the path template uses it")
            repairs.append(
                f"Path parameter {name} is used in the path template but not declared; declared "
                f"it as {_describe(param, oas3)} ({source})."
            )
    for param in params:
        _repair_required_and_type(param, oas3, repairs)
    return params


def _generic(name: str, oas3: bool) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "path", "required": True, "type": "string"}
    return _to_oas3(param) if oas3 else param


def _oas3_shape(param: dict[str, Any], repairs: list[str]) -> dict[str, Any]:
    """An OpenAPI 3 parameter written Swagger 2.0 style, moved into `schema` (recorded)."""
    if "schema" in param or "content" in param or not any(k in param for k in _SCHEMA_KEYS):
        return param
    repairs.append(
        f"Parameter {param.get('name')} ({param.get('in')}) is written in Swagger 2.0 style inside "
        "an OpenAPI 3 document; moved its type and constraints under schema."
    )
    return _to_oas3(param)


def _repair_api_version(
    params: list[dict[str, Any]], oas3: bool, repairs: list[str]
) -> list[dict[str, Any]]:
    """Params with a query api-version: an odd-named lone query parameter is renamed, else added."""
    query = [p for p in params if p.get("in") == "query"]
    if any(p.get("name") == "api-version" for p in query):
        return params
    known = _known_parameter("api-version", oas3)
    if len(query) == 1 and _is_odd_name(query[0].get("name")):
        name = query[0].get("name")
        shown = f'named "{name}"' if isinstance(name, str) and name else "without a name"
        repairs.append(
            f"The query parameter {shown} was read as api-version, the only query parameter "
            f"listKeys has; it is now {_describe(known, oas3)} (as in Azure common-types v5)."
        )
        return [known if p is query[0] else p for p in params]
    repairs.append(
        "The spec declares no api-version query parameter; added it as "
        f"{_describe(known, oas3)} (as in Azure common-types v5), since ARM rejects requests "
        "without one."
    )
    return [*params, known]


def _is_odd_name(name: Any) -> bool:
    """True for names no real query parameter has: missing, blank, "No Name", with spaces."""
    return not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name)


def _repair_required_and_type(param: dict[str, Any], oas3: bool, repairs: list[str]) -> None:
    """Make path parameters and api-version required, and give untyped parameters type string."""
    if param.get("in") == "body" or "content" in param:
        return
    name, place = param.get("name"), param.get("in")
    holder = _type_holder(param, oas3)
    untyped = "type" not in holder and not any(k in holder for k in ("$ref", "allOf", "oneOf"))
    must_require = (place == "path" or name == "api-version") and param.get("required") is not True
    if untyped:
        holder["type"] = "string"
    if must_require:
        param["required"] = True
    label = f"{str(place).capitalize()} parameter {name}"
    why = (
        "as path parameters must be" if place == "path" else "since ARM rejects requests without it"
    )
    if untyped and must_require:
        repairs.append(
            f"{label} had no type and was not marked required; it is now a required string, {why}."
        )
    elif must_require:
        repairs.append(f"{label} was not marked required; it is now required, {why}.")
    elif untyped:
        repairs.append(f"{label} had no type; it is now a string.")


def _describe(param: dict[str, Any], oas3: bool) -> str:
    """E.g. 'a required string of 3 to 24 characters matching ^[a-zA-Z0-9]+$'."""
    holder = param.get("schema", {}) if oas3 else param
    text = "a required string" if param.get("required") else "a string"
    if "format" in holder:
        text += f" with format {holder['format']}"
    low, high = holder.get("minLength"), holder.get("maxLength")
    if low is not None and high is not None:
        text += f" of {low} to {high} characters"
    elif low is not None:
        text += f" of at least {low} character{'' if low == 1 else 's'}"
    if "pattern" in holder:
        text += f" matching {holder['pattern']}"
    return text


# ---------------------------------------------------------------------------------------------
# responses


def _responses(resolver: _Resolver, operation: dict[str, Any], where: str) -> dict[str, Any]:
    """The responses with $refs inlined and every schema made local; keys as strings."""
    raw = operation.get("responses")
    out: dict[str, Any] = {}
    for code, node in (raw if isinstance(raw, dict) else {}).items():
        place = f"{where} responses.{code}"
        response, source = resolver.inline(node, resolver.root, place)
        out[str(code)] = resolver.schema(response, source, place) if response else {}
    return out


_RESPONSE_SCHEMAS: Final = {
    "200": ("BatchAccountKeys", "BatchAccountKeys ({accountName, primary, secondary})"),
    "default": ("CloudError", "CloudError ({error: {code, message, target, details}})"),
}


def _repair_responses(resolver: _Resolver, responses: dict[str, Any], repairs: list[str]) -> None:
    """Give the 200 and default responses the bundled schemas when they have none."""
    bundled = _Source(_bundled_data(), BUNDLED_FILE, "the bundled spec")
    for code, (name, shown) in _RESPONSE_SCHEMAS.items():
        response = responses.get(code)
        if isinstance(response, dict) and _has_schema(response, resolver.oas3):
            continue
        ref = resolver.schema({"$ref": f"#/definitions/{name}"}, bundled, "the bundled spec")
        what = "200" if code == "200" else "default (error)"
        if isinstance(response, dict):
            repairs.append(
                f"The {what} response has no schema; used {shown} from the bundled 2026-08-01 "
                "contract."
            )
        else:
            response = responses[code] = {"description": _DEFAULT_DESCRIPTIONS[code]}
            repairs.append(
                f"The spec declares no {what} response; added one with schema {shown} from the "
                "bundled 2026-08-01 contract."
            )
        response.setdefault("description", _DEFAULT_DESCRIPTIONS[code])
        if resolver.oas3:
            response["content"] = {"application/json": {"schema": ref}}
        else:
            response["schema"] = ref


_DEFAULT_DESCRIPTIONS: Final = {
    "200": "Azure operation completed successfully.",
    "default": "An unexpected error response.",
}


def _has_schema(response: dict[str, Any], oas3: bool) -> bool:
    if not oas3:
        return isinstance(response.get("schema"), dict)
    content = response.get("content")
    return isinstance(content, dict) and any(
        isinstance(media, dict) and isinstance(media.get("schema"), dict)
        for media in content.values()
    )


# ---------------------------------------------------------------------------------------------
# the output document


_TOP_KEYS_2: Final = ("info", "host", "basePath", "schemes", "consumes", "produces", "security")
_TOP_KEYS_3: Final = ("info", "servers", "security")


def _document(
    data: dict[str, Any],
    version: str,
    path: str,
    operation: dict[str, Any],
    definitions: dict[str, Any],
    repairs: list[str],
) -> dict[str, Any]:
    """A self-contained document with only the listKeys operation and the schemas it uses."""
    oas3 = version != "2.0"
    out: dict[str, Any] = {"openapi": version} if oas3 else {"swagger": "2.0"}
    for key in _TOP_KEYS_3 if oas3 else _TOP_KEYS_2:
        if key in data:
            out[key] = copy.deepcopy(data[key])
    out.setdefault("info", {"title": "BatchAccount_GetKeys", "version": "unknown"})
    out.update({k: copy.deepcopy(v) for k, v in data.items() if k.startswith("x-batchkeys")})
    out["paths"] = {path: {METHOD: operation}}
    security = _security_schemes(data, oas3)
    if oas3:
        out["components"] = {"schemas": definitions, **security}
    else:
        out["definitions"] = definitions
        out.update(security)
    _repair_scheme(out, oas3, repairs)
    return out


def _security_schemes(data: dict[str, Any], oas3: bool) -> dict[str, Any]:
    if oas3:
        components = data.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        return {"securitySchemes": copy.deepcopy(schemes)} if schemes else {}
    schemes = data.get("securityDefinitions")
    return {"securityDefinitions": copy.deepcopy(schemes)} if schemes else {}


def _repair_scheme(out: dict[str, Any], oas3: bool, repairs: list[str]) -> None:
    """Record and rewrite an http-only scheme: ARM serves https only."""
    why = (
        "Azure Resource Manager serves https only, so the repaired spec says https (the plugin "
        "picks the transport from the endpoint setting, not from the spec)."
    )
    if not oas3:
        if out.get("schemes") == ["http"]:
            out["schemes"] = ["https"]
            repairs.append(f"The spec lists only the http scheme; {why}")
        return
    servers = out.get("servers")
    urls = (
        [s.get("url", "") for s in servers if isinstance(s, dict)]
        if isinstance(servers, list)
        else []
    )
    if urls and all(str(url).startswith("http://") for url in urls):
        for server in out["servers"]:
            server["url"] = "https://" + server["url"][len("http://") :]
        repairs.append(f"Every server URL uses http; {why}")


def _api_versions(data: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """Known stable api-versions (the file's, else the bundled list) and the default one."""
    listed = data.get("x-batchkeys-api-versions")
    if not (isinstance(listed, list) and all(isinstance(v, str) for v in listed) and listed):
        listed = _bundled_data()["x-batchkeys-api-versions"]
    versions = sorted(set(listed))
    info = data.get("info")
    described = str(info.get("version", "")) if isinstance(info, dict) else ""
    if _API_VERSION_RE.match(described) and not described.endswith("-preview"):
        if described not in versions:
            versions = sorted({*versions, described})
        return tuple(versions), described
    return tuple(versions), versions[-1]


def _fingerprint(path: str, operation: dict[str, Any], definitions: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of what the contract checks, without documentation text."""
    content = {
        "method": METHOD,
        "path": path,
        "operation": _strip_docs(operation),
        "schemas": _strip_docs(definitions, named=True),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _strip_docs(node: Any, *, named: bool = False) -> Any:
    """`node` without documentation keys; keys of `named` maps are names, so they stay."""
    if isinstance(node, list):
        return [_strip_docs(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _strip_docs(value, named=key in _NAMED_MAPS)
        for key, value in node.items()
        if named or key not in _DOC_KEYS
    }


# ---------------------------------------------------------------------------------------------
# schemathesis


def import_schemathesis() -> Any:
    """Import schemathesis, without pytest's assertion rewriting of its ~240 modules.

    schemathesis ships a pytest11 entry point, so pytest marks its whole package for assertion
    rewriting; where bytecode is not cached (PYTHONDONTWRITEBYTECODE=1) every run re-parses all of
    it, about 1.7 s here. Its own checks raise their own failures, so nothing of ours needs its
    asserts rewritten. With schemathesis's own plugin active only its plugin module is imported
    at start-up (rewritten as before); the rest of the package is imported here, unrewritten.
    """
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        if type(finder).__name__ == "AssertionRewritingHook" and isinstance(marked, set):
            marked.discard("schemathesis")
    import schemathesis

    return schemathesis


def schemathesis_schema(
    spec: LoadedSpec, base_url: str, *, pinned: Mapping[str, str] | None = None
) -> BaseSchema:
    """A schemathesis schema of only BatchAccount_GetKeys, sending to `base_url`, with pins set.

    `pinned` maps a parameter name (or "location.name", e.g. "query.api-version") to the value
    every generated case uses. schemathesis's runners read pins from `schema.config.parameters`;
    `operation.as_strategy()` does not, so draw cases with `case_strategy()`.
    """
    schemathesis = import_schemathesis()
    pins = dict(pinned or {})
    _check_pins(spec, pins)
    # An explicit Config: a schemathesis.toml in the user's cwd must not change the contract.
    schema: BaseSchema = schemathesis.openapi.from_dict(
        copy.deepcopy(spec.raw), config=schemathesis.Config()
    )
    schema.config.update(base_url=base_url, parameters=pins or None)
    return schema


def _check_pins(spec: LoadedSpec, pins: Mapping[str, str]) -> None:
    """ConfigError for a pin that names no parameter of the operation."""
    names = [str(p.get("name")) for p in spec.operation["parameters"]]
    qualified = [f"{p.get('in')}.{p.get('name')}" for p in spec.operation["parameters"]]
    for key in pins:
        if key not in names and key not in qualified:
            raise ConfigError(
                f"Cannot pin {key!r}: {OPERATION_ID} has no such parameter. Expected one of "
                f"{', '.join(names)} (optionally prefixed by its location, e.g. "
                "query.api-version). "
                "Fix the name of the pinned parameter."
            )


def get_operation(schema: BaseSchema) -> APIOperation[Any, Any, Any, Any]:
    """The BatchAccount_GetKeys APIOperation of `schema`, or SpecError if it is not there."""
    found: list[str] = []
    for result in schema.get_all_operations():
        if not hasattr(result, "ok"):
            raise SpecError(
                f"schemathesis could not load an operation of the spec: {result.err()}. Expected "
                "a loadable BatchAccount_GetKeys operation. Fix the spec at that place."
            )
        operation = result.ok()
        operation_id = schema.get_operation_id(operation) or ""
        if operation_id.lower() == OPERATION_ID.lower():
            return operation
        found.append(operation.label)
    raise SpecError(
        f"The schemathesis schema has no {OPERATION_ID} operation (it has: "
        f"{', '.join(found) or 'none'}). Expected a schema built by schemathesis_schema(); build "
        "it from a LoadedSpec."
    )


def pinned_values(
    schema: BaseSchema, operation: APIOperation[Any, Any, Any, Any]
) -> dict[str, dict[str, str]]:
    """The pins of `schema` as as_strategy() keyword arguments ("query", "path_parameters")."""
    pins: dict[str, Any] = schema.config.parameters or {}
    out: dict[str, dict[str, str]] = {}
    for param in operation.iter_parameters():
        location = param.location.value
        value = pins.get(f"{location}.{param.name}", pins.get(param.name))
        if value is not None:
            out.setdefault(param.location.container_name, {})[param.name] = value
    return out


def case_strategy(schema: BaseSchema, *, negative: bool = False) -> SearchStrategy[Case[Any]]:
    """Hypothesis strategy of listKeys cases (positive or negative) that keep the pinned values."""
    from schemathesis import GenerationMode

    operation = get_operation(schema)
    mode = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE
    pins = pinned_values(schema, operation)
    strategy: SearchStrategy[Case[Any]] = operation.as_strategy(
        generation_mode=mode,
        query=pins.get("query"),
        path_parameters=pins.get("path_parameters"),
        headers=pins.get("headers"),
        cookies=pins.get("cookies"),
    )
    return strategy
