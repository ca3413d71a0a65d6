"""regenerateKeys bodies derived from the spec's body schema: a fixed list, so replay repeats it.

Random generation would need its own cassette per draw; the schema of this body is one required
enum property, so every interesting mutation can be listed instead: each enum value (valid), and
bodies the schema rejects (missing or null property, other case, other strings, other types,
not an object, not JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Body:
    """One request body, with a readable id and whether the schema accepts it."""

    id: str
    data: bytes
    valid: bool


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _enum_properties(schema: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(name, enum values) of the required string-enum properties of an object schema."""
    required = set(schema.get("required") or [])
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        values = prop.get("enum") if isinstance(prop, dict) else None
        if name in required and isinstance(values, list) and values:
            found.append((str(name), [str(v) for v in values]))
    return found


def valid_bodies(schema: dict[str, Any]) -> list[Body]:
    """One body per enum value of each required enum property."""
    return [
        Body(f"{name}={value}", _json({name: value}), True)
        for name, values in _enum_properties(schema)
        for value in values
    ]


def invalid_bodies(schema: dict[str, Any]) -> list[Body]:
    """Bodies the schema rejects, each different from every valid one."""
    bodies = [
        Body("empty", b"", False),
        Body("not-json", b"{keyName: Primary", False),
        Body("array", b"[]", False),
        Body("string", b'"Primary"', False),
        Body("number", b"1", False),
        Body("null", b"null", False),
        Body("empty-object", b"{}", False),
    ]
    for name, values in _enum_properties(schema):
        allowed = set(values)
        bodies.append(Body(f"{name}-null", _json({name: None}), False))
        strings = ["", "Tertiary", "Primary Secondary"]
        for value in values:
            strings += [value.lower(), value.upper(), f" {value}", f"{value} ", value[:-1]]
        for text in dict.fromkeys(strings):
            if text not in allowed:
                bodies.append(Body(f"{name}={text!r}", _json({name: text}), False))
        wrong_types: list[Any] = [0, 1, True, [values[0]], {"value": values[0]}]
        for wrong in wrong_types:
            bodies.append(
                Body(f"{name}:{type(wrong).__name__}={wrong!r}", _json({name: wrong}), False)
            )
    return bodies
