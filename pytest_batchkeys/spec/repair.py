"""Repairs that make an incomplete listKeys operation usable, each recorded as one sentence."""

from __future__ import annotations

import re
from typing import Any, Final

from pytest_batchkeys.spec.files import BUNDLED_FILE, bundled_data
from pytest_batchkeys.spec.refs import Resolver, Source

_TEMPLATE_RE: Final = re.compile(r"{([^{}]+)}")
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


# ---------------------------------------------------------------------------------------------
# parameters


def _known_parameter(name: str, oas3: bool) -> dict[str, Any]:
    """The 2026-08-01 definition of one of the four listKeys parameters, in the dialect wanted."""
    for param in bundled_data()["paths"][_BUNDLED_PATH]["post"]["parameters"]:
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


def repair_parameters(
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


_RESPONSE_SCHEMAS: Final = {
    "200": ("BatchAccountKeys", "BatchAccountKeys ({accountName, primary, secondary})"),
    "default": ("CloudError", "CloudError ({error: {code, message, target, details}})"),
}


def repair_responses(resolver: Resolver, responses: dict[str, Any], repairs: list[str]) -> None:
    """Give the 200 and default responses the bundled schemas when they have none."""
    bundled = Source(bundled_data(), BUNDLED_FILE, "the bundled spec")
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
# the scheme


def repair_scheme(out: dict[str, Any], oas3: bool, repairs: list[str]) -> None:
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
