"""Read a YAML or JSON simulator configuration file into a checked SimulatorConfig."""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.safeload import LoadRefused, json_load, read_bytes, yaml_load
from pytest_batchkeys.simulator.config import SimulatorConfig, check_config


class _Bad(Exception):
    """A value at a key path that does not fit; turned into ConfigError with the file name."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def load_config(path: str | Path) -> SimulatorConfig:
    """Parse and check a config file; any problem raises ConfigError naming the file and key."""
    source = str(path)
    data = _read(Path(path), source)
    try:
        config = config_from_mapping(data)
    except _Bad as bad:
        raise ConfigError(
            f"simulator configuration {source}: {bad.key or '(top level)'}: {bad.problem}. "
            "Fix that value; docs/simulator.md lists every key."
        ) from None
    check_config(config, source)
    return config


def config_from_mapping(data: object) -> SimulatorConfig:
    """Build a SimulatorConfig from parsed YAML/JSON; raises _Bad on unknown keys or types."""
    if data is None:
        data = {}
    built = _convert(SimulatorConfig, data, "")
    assert isinstance(built, SimulatorConfig)
    return built


def _read(path: Path, source: str) -> object:
    """The parsed file, read through the bounded safeload loader; ConfigError names the file."""
    try:
        text = read_bytes(path).decode("utf-8")
        if path.suffix.lower() == ".json":
            return json_load(text, source=source)
        return yaml_load(text, source=source, loader=_yaml_loader())
    except LoadRefused as exc:
        raise ConfigError(
            f"simulator configuration {exc.source} {exc.problem}. Nothing was loaded.",
            anchor="input-limits",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"simulator configuration {source}: cannot read it: {exc}") from None
    except (ValueError, ImportError) as exc:  # json.JSONDecodeError is a ValueError
        raise ConfigError(f"simulator configuration {source}: not valid JSON/YAML: {exc}") from None
    except Exception as exc:  # yaml.YAMLError without importing yaml's types eagerly
        raise ConfigError(f"simulator configuration {source}: not valid YAML: {exc}") from None


def _yaml_loader() -> object:
    """PyYAML's safe loader (C if available): dates stay dates, _scalar turns them into text."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _join(key: str, part: str) -> str:
    return f"{key}.{part}" if key else part


def _convert(hint: Any, value: object, key: str) -> object:
    """Check `value` against a type hint, recursing into lists, dicts and dataclasses."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _convert(inner, value, key)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if isinstance(value, int) and not isinstance(value, bool) and str(value) in allowed:
            return str(value)  # header_profile: 2024 unquoted in YAML
        if value not in allowed:
            raise _Bad(key, f"{value!r} is not one of {', '.join(map(str, allowed))}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _Bad(key, f"expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(hint)
        return [_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Bad(key, f"expected a mapping, got {type(value).__name__}")
        _, item = typing.get_args(hint)
        return {str(k): _convert(item, v, _join(key, str(k))) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint, value, key)
    return _scalar(hint, value, key)


def _dataclass(cls: type[Any], value: object, key: str) -> object:
    if not isinstance(value, dict):
        raise _Bad(key, f"expected a mapping, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in value if k not in fields]
    if unknown:
        raise _Bad(_join(key, str(unknown[0])), f"unknown key; known keys: {', '.join(fields)}")
    kwargs: dict[str, object] = {}
    for name, item in value.items():
        kwargs[name] = _convert(hints[name], item, _join(key, name))
    missing = [
        f.name
        for f in fields.values()
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _Bad(_join(key, missing[0]), "required key is missing")
    return cls(**kwargs)


def _scalar(hint: Any, value: object, key: str) -> object:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    if hint is str and isinstance(value, datetime.date):
        return value.isoformat()  # YAML reads an unquoted 2024-02-01 as a date
    expected = getattr(hint, "__name__", str(hint))
    raise _Bad(key, f"expected {expected}, got {type(value).__name__} {value!r}")
