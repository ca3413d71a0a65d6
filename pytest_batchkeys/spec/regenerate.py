"""BatchAccount_RegenerateKey in the bundled spec: the body schema rotation tests derive from."""

from __future__ import annotations

import json
from typing import Any, Final

from pytest_batchkeys.errors import SpecError
from pytest_batchkeys.spec.files import BUNDLED_FILE

REGENERATE_OPERATION_ID: Final = "BatchAccount_RegenerateKey"


def _resolve(node: Any, definitions: dict[str, Any], depth: int = 0) -> Any:
    """`node` with local `#/definitions/...` references replaced by their targets."""
    if depth > 20:
        raise SpecError(f"{REGENERATE_OPERATION_ID}: $ref chain deeper than 20; fix the spec.")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            name = ref.removeprefix("#/definitions/")
            if name not in definitions:
                raise SpecError(
                    f"{REGENERATE_OPERATION_ID} refers to #/definitions/{name}, which the spec "
                    "does not define. Add the definition."
                )
            return _resolve(definitions[name], definitions, depth + 1)
        return {k: _resolve(v, definitions, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(item, definitions, depth + 1) for item in node]
    return node


def regenerate_body_schema(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The resolved schema of the regenerateKeys body (default: from the bundled spec)."""
    if document is None:
        document = json.loads(BUNDLED_FILE.read_text(encoding="utf-8"))
    definitions = document.get("definitions") or {}
    for item in (document.get("paths") or {}).values():
        operation = item.get("post") if isinstance(item, dict) else None
        if not isinstance(operation, dict):
            continue
        if operation.get("operationId") != REGENERATE_OPERATION_ID:
            continue
        for parameter in operation.get("parameters") or []:
            if isinstance(parameter, dict) and parameter.get("in") == "body":
                schema = _resolve(parameter.get("schema") or {}, definitions)
                if isinstance(schema, dict):
                    return schema
    raise SpecError(
        f"The spec has no {REGENERATE_OPERATION_ID} operation with a body parameter. Expected "
        "POST .../regenerateKeys as in the bundled spec; the rotation tests need it."
    )


def regenerate_operation(base_url: str, document: dict[str, Any] | None = None) -> Any:
    """The schemathesis APIOperation of BatchAccount_RegenerateKey, to check its responses."""
    from pytest_batchkeys.spec.schemathesis_adapter import import_schemathesis

    schemathesis = import_schemathesis()
    if document is None:
        document = json.loads(BUNDLED_FILE.read_text(encoding="utf-8"))
    regenerate_body_schema(document)  # a clear SpecError when the operation is missing
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
    schema.config.update(base_url=base_url)
    for result in schema.get_all_operations():
        operation = result.ok()
        if schema.get_operation_id(operation) == REGENERATE_OPERATION_ID:
            return operation
    raise SpecError(f"schemathesis did not load {REGENERATE_OPERATION_ID}; check the spec.")
