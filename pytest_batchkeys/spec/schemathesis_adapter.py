"""Hand a LoadedSpec to schemathesis and draw listKeys cases that keep the pinned values."""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pytest_batchkeys.errors import ConfigError, SpecError
from pytest_batchkeys.spec.selection import OPERATION_ID

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis import APIOperation, BaseSchema, Case

    from pytest_batchkeys.spec.model import LoadedSpec


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
        generation_document(spec), config=schemathesis.Config()
    )
    schema.config.update(base_url=base_url, parameters=pins or None)
    return schema


#: Azure's code-generator extensions (x-ms-parameter-location, x-ms-client-name, x-ms-enum, ...):
#: they say how a client names or groups a parameter, never which values it accepts.
AZURE_EXTENSION_PREFIX: Final = "x-ms-"


def generation_document(spec: LoadedSpec) -> dict[str, Any]:
    """A copy of `spec.raw` whose parameters carry no `x-ms-*` keys; every other key is kept.

    schemathesis reads an unknown key of a parameter schema as a constraint its negative mode can
    break: it draws `not: {x-ms-parameter-location: client}`, which no value satisfies, and throws
    the draw away. With the bundled spec these keys caused four in five of the discarded negative
    draws (some 400 per 500 negative cases, a quarter of the CPU time of drawing them). No value
    is valid or invalid because of them, nothing checks them, and `spec.fingerprint` (from the
    loaded operation) is unchanged.
    """
    document = copy.deepcopy(spec.raw)
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and isinstance(operation.get("parameters"), list):
                operation["parameters"] = [
                    _without_azure_extensions(p) for p in operation["parameters"]
                ]
    return document


def _without_azure_extensions(node: Any) -> Any:
    """`node` with every `x-ms-*` key removed, at any depth."""
    if isinstance(node, dict):
        return {
            key: _without_azure_extensions(value)
            for key, value in node.items()
            if not (isinstance(key, str) and key.startswith(AZURE_EXTENSION_PREFIX))
        }
    if isinstance(node, list):
        return [_without_azure_extensions(item) for item in node]
    return node


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
