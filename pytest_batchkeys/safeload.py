"""Safe YAML for every file the kit reads or writes (PyYAML imported on first use)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _yaml_loader() -> Any:
    """A safe YAML loader that also reads the benign python/str and python/tuple tags of vcrpy."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: Any = type("_RecordingLoader", (base,), {})
    scalar = lambda ld, node: ld.construct_scalar(node)  # noqa: E731
    loader.add_constructor("tag:yaml.org,2002:python/str", scalar)
    loader.add_constructor("tag:yaml.org,2002:python/unicode", scalar)
    loader.add_constructor(
        "tag:yaml.org,2002:python/tuple", lambda ld, node: ld.construct_sequence(node)
    )
    return loader


def yaml_load(text: str) -> Any:
    """Parse YAML safely (PyYAML imported on first use)."""
    import yaml

    return yaml.load(text, Loader=_yaml_loader())


def yaml_dump(data: Any) -> str:
    """Serialize like vcrpy's YAML serializer (block style, sorted keys), with a safe dumper."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(data, Dumper=dumper))
