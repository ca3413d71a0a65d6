"""Read a spec file into its top-level mapping, with a SpecError saying why it cannot be read."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Final

from pytest_batchkeys.errors import SpecError
from pytest_batchkeys.safeload import LoadRefused, json_load, read_bytes, yaml_load_all

SPECS_DIR: Final = Path(__file__).parent / "bundled"
BUNDLED_FILE: Final = SPECS_DIR / "listkeys-2026-08-01.json"
SEED_FILE: Final = SPECS_DIR / "listkeys-seed.yaml"


class ParseProblem(Exception):
    """Why a file's text is not a document; the caller words the SpecError."""


def read_spec_file(path: Path, label: str) -> dict[str, Any]:
    """The top-level mapping of the spec file, or SpecError saying why there is none."""
    if not path.exists():
        raise SpecError(
            f"{label} does not exist. Expected a Swagger 2.0 or OpenAPI 3.x file (YAML or JSON) "
            "that declares BatchAccount_GetKeys. Check the path (a relative path is resolved "
            "against the current directory), or leave the spec setting unset to use the bundled "
            "contract."
        )
    try:
        document = parse_file(path)
    except LoadRefused as exc:
        raise SpecError(
            f"{label} {exc.problem}. Nothing was loaded. Point the spec setting at "
            "the listKeys spec itself, or leave it unset to use the bundled contract.",
            anchor="input-limits",
        ) from None
    except ParseProblem as exc:
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


def parse_file(path: Path) -> Any:
    """The parsed content (keys as strings, dates kept as text); ParseProblem or LoadRefused."""
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseProblem(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start} cannot be "
            "decoded)"
        ) from None
    except OSError as exc:
        raise ParseProblem(f"not readable ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith("{")):
        return _parse_json(text, str(path))
    return _stringify_keys(_parse_yaml(text, str(path)))


def _parse_json(text: str, source: str) -> Any:
    """JSON text parsed within the safeload limits, or ParseProblem naming line and column."""
    try:
        return json_load(text, source=source)
    except json.JSONDecodeError as exc:
        raise ParseProblem(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _parse_yaml(text: str, source: str) -> Any:
    """YAML parsed within the limits, dates kept as text; ParseProblem names line and column."""
    import yaml

    try:
        # A trailing `---` (as in the seed) starts an empty second document; ignore empty ones.
        loaded = yaml_load_all(text, source=source, loader=_yaml_loader())
        documents = [d for d in loaded if d is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParseProblem(f"not valid YAML: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise ParseProblem(f"not valid YAML: {exc}") from None
    if len(documents) > 1:
        raise ParseProblem(f"a stream of {len(documents)} YAML documents, not one")
    return documents[0] if documents else None


@functools.cache
def _yaml_loader() -> Any:
    """A SafeLoader that leaves 2026-08-01 a string: api-versions are text, not dates."""
    import yaml

    # The pure-Python loader: its syntax errors name the place better than libyaml's.
    loader: Any = type("_SpecLoader", (yaml.SafeLoader,), {})
    loader.yaml_implicit_resolvers = {
        first: [item for item in resolvers if item[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return loader


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


def bundled_data() -> dict[str, Any]:
    """A fresh copy of the bundled spec document."""
    data: dict[str, Any] = json.loads(_bundled_text())
    return data
