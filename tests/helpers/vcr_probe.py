"""Whether vcrpy's patches are active: tests use it to prove a cassette left nothing behind."""

from __future__ import annotations

import http.client

import urllib3.connectionpool


def vcrpy_patched() -> list[str]:
    """The HTTP classes vcrpy has replaced (empty when no cassette is active)."""
    pools = urllib3.connectionpool
    classes = {
        "http.client.HTTPConnection": http.client.HTTPConnection,
        "urllib3 HTTPConnectionPool.ConnectionCls": pools.HTTPConnectionPool.ConnectionCls,
        "urllib3 HTTPSConnectionPool.ConnectionCls": pools.HTTPSConnectionPool.ConnectionCls,
    }
    return [name for name, cls in classes.items() if cls.__module__.startswith("vcr")]
