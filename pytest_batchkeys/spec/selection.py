"""Find BatchAccount_GetKeys in a document and gather its parameters and responses."""

from __future__ import annotations

import re
from typing import Any, Final

from pytest_batchkeys.errors import SpecError
from pytest_batchkeys.spec.refs import Resolver, Source

OPERATION_ID: Final = "BatchAccount_GetKeys"
METHOD: Final = "post"
SUPPORTED_VERSIONS: Final = "swagger 2.0, openapi 3.0.x, openapi 3.1.x"

_HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_OPENAPI_RE: Final = re.compile(r"^3\.[01](\.\d+)?$")


def spec_version(root: Source) -> str:
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


def find_operation(root: Source) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(path, path item, operation) of BatchAccount_GetKeys, checked to be POST …/listKeys."""
    paths = root.data.get("paths")
    if not isinstance(paths, dict):
        raise _paths_not_a_mapping(root, paths)
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


def _paths_not_a_mapping(root: Source, paths: Any) -> SpecError:
    """SpecError for a document whose `paths` is missing or not a mapping."""
    found = "no `paths` key" if paths is None else f"`paths` as a {type(paths).__name__}"
    return SpecError(
        f"{root.label} has {found}, so it cannot contain {OPERATION_ID}. Expected `paths` to map "
        "each path to its operations, with the listKeys POST among them; pass the "
        "Microsoft.Batch management spec."
    )


def _no_operation(root: Source, seen: list[str], n_paths: int) -> SpecError:
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


def _check_shape(root: Source, method: str, path: str) -> None:
    """Raise SpecError unless the operation is a POST whose path ends in /listKeys."""
    if method == METHOD and path.rstrip("/").lower().endswith("/listkeys"):
        return
    raise SpecError(
        f"{root.label} declares {OPERATION_ID} as {method.upper()} {path}, but that operation is "
        "POST …/batchAccounts/{accountName}/listKeys in every Azure Batch api-version. Expected "
        "a POST whose path ends in /listKeys. Fix the method or path in the spec, or pass the "
        "official Microsoft.Batch management spec."
    )


def gather_parameters(
    resolver: Resolver, item: dict[str, Any], operation: dict[str, Any], where: str
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


def gather_responses(resolver: Resolver, operation: dict[str, Any], where: str) -> dict[str, Any]:
    """The responses with $refs inlined and every schema made local; keys as strings."""
    raw = operation.get("responses")
    out: dict[str, Any] = {}
    for code, node in (raw if isinstance(raw, dict) else {}).items():
        place = f"{where} responses.{code}"
        response, source = resolver.inline(node, resolver.root, place)
        out[str(code)] = resolver.schema(response, source, place) if response else {}
    return out
