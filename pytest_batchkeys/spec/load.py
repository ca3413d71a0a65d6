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
import os
import re
from pathlib import Path
from typing import Any, Final

from pytest_batchkeys.spec.files import (
    BUNDLED_FILE,
    SEED_FILE,
    bundled_data,
    read_spec_file,
)
from pytest_batchkeys.spec.fingerprint import fingerprint
from pytest_batchkeys.spec.model import LoadedSpec
from pytest_batchkeys.spec.refs import Resolver, Source
from pytest_batchkeys.spec.repair import repair_parameters, repair_responses, repair_scheme
from pytest_batchkeys.spec.selection import (
    METHOD,
    OPERATION_ID,
    find_operation,
    gather_parameters,
    gather_responses,
    spec_version,
)

__all__ = ["LoadedSpec", "load_bundled", "load_seed", "load_spec"]


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
    document = read_spec_file(path, label)
    return _build(Source(document, path, label), source=source)


# ---------------------------------------------------------------------------------------------
# building the LoadedSpec


def _build(root: Source, *, source: str) -> LoadedSpec:
    """Select, resolve and repair the operation of `root`, and assemble the LoadedSpec."""
    version = spec_version(root)
    oas3 = version != "2.0"
    path, path_item, operation = find_operation(root)
    repairs: list[str] = []
    resolver = Resolver(root, oas3, repairs)
    where = OPERATION_ID
    params = gather_parameters(resolver, path_item, operation, where)
    params = repair_parameters(params, path, oas3, repairs)
    responses = gather_responses(resolver, operation, where)
    repair_responses(resolver, responses, repairs)
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
        fingerprint=fingerprint(path, repaired, resolver.definitions),
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
    repair_scheme(out, oas3, repairs)
    return out


def _security_schemes(data: dict[str, Any], oas3: bool) -> dict[str, Any]:
    if oas3:
        components = data.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        return {"securitySchemes": copy.deepcopy(schemes)} if schemes else {}
    schemes = data.get("securityDefinitions")
    return {"securityDefinitions": copy.deepcopy(schemes)} if schemes else {}


_API_VERSION_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


def _api_versions(data: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """Known stable api-versions (the file's, else the bundled list) and the default one."""
    listed = data.get("x-batchkeys-api-versions")
    if not (isinstance(listed, list) and all(isinstance(v, str) for v in listed) and listed):
        listed = bundled_data()["x-batchkeys-api-versions"]
    versions = sorted(set(listed))
    info = data.get("info")
    described = str(info.get("version", "")) if isinstance(info, dict) else ""
    if _API_VERSION_RE.match(described) and not described.endswith("-preview"):
        if described not in versions:
            versions = sorted({*versions, described})
        return tuple(versions), described
    return tuple(versions), versions[-1]
