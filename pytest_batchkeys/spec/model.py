"""The loaded contract: one listKeys operation, self-contained, with what was repaired."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


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
