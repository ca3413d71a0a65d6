"""In replay, azure-core's retry policy retries without sleeping, without importing azure-core.

A recorded 429 and its retry replay as recorded, at once. azure-core is patched only if it is
used: when its retry module is already imported the patch is applied at once; otherwise an
import hook applies it the moment a test imports it (azure-core costs about 0.1 s to import, a
replay run that never uses the SDK does not pay it). Nothing happens without azure-core.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

#: The module that defines azure-core's synchronous RetryPolicy.
RETRY_MODULE = "azure.core.pipeline.policies._retry"


def _no_sleep(self: Any, settings: Any, transport: Any, response: Any = None) -> None:
    """RetryPolicy.sleep while replaying: the recorded wait is not waited."""


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Runs `then(module)` right after the module named `name` is first executed."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _ThenLoader(spec.loader, self.then)
                return spec
        return None


class _ThenLoader(importlib.abc.Loader):
    """A loader that executes the module with the real loader, then calls `then(module)`."""

    def __init__(self, loader: importlib.abc.Loader, then: Callable[[ModuleType], None]) -> None:
        self.loader = loader
        self.then = then

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.then(module)


@contextmanager
def sdk_retries_without_waiting() -> Iterator[None]:
    """While the block runs, azure-core's RetryPolicy does not sleep between retries."""
    patched: list[tuple[Any, Any]] = []

    def patch(module: ModuleType) -> None:
        policy = getattr(module, "RetryPolicy", None)
        if policy is not None:
            patched.append((policy, policy.__dict__.get("sleep")))
            policy.sleep = _no_sleep

    hook: _PatchOnImport | None = None
    loaded = sys.modules.get(RETRY_MODULE)
    if loaded is not None:
        patch(loaded)
    else:
        hook = _PatchOnImport(RETRY_MODULE, patch)
        sys.meta_path.insert(0, hook)
    try:
        yield
    finally:
        if hook is not None and hook in sys.meta_path:
            sys.meta_path.remove(hook)
        for policy, original in reversed(patched):
            if original is None:
                del policy.sleep
            else:
                policy.sleep = original
