"""What the `batchkeys_simulator` fixture runs: a simulator built from the fixture's parameter."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pytest_batchkeys.errors import ConfigError
from pytest_batchkeys.simulator.control import Simulator

#: Keywords a test may pass through indirect parametrization of the fixture.
FIXTURE_KEYWORDS = ("tls", "config", "host", "port")
_EXAMPLE = '@pytest.mark.parametrize("batchkeys_simulator", [{"tls": True}], indirect=True)'


def fixture_options(param: object) -> dict[str, Any]:
    """Simulator keywords from the fixture's parameter: none, or a mapping of FIXTURE_KEYWORDS."""
    if param is None:
        return {}
    if not isinstance(param, Mapping):
        raise ConfigError(
            f"batchkeys_simulator was parametrized with {type(param).__name__} {param!r}; "
            f"expected a dict of Simulator keywords, e.g. {_EXAMPLE}."
        )
    unknown = sorted(str(key) for key in param if key not in FIXTURE_KEYWORDS)
    if unknown:
        raise ConfigError(
            f"batchkeys_simulator does not take {', '.join(unknown)}; it takes "
            f"{', '.join(FIXTURE_KEYWORDS)}, e.g. {_EXAMPLE}."
        )
    return dict(param)


def fixture_simulator(param: object = None) -> Simulator:
    """A (not yet started) simulator as the fixture's parameter asks; ConfigError if it cannot."""
    return Simulator(**fixture_options(param))


@contextmanager
def serving(simulator: Simulator) -> Iterator[Simulator]:
    """Run `simulator`; with TLS, MSAL's instance discovery of it is answered by it."""
    with simulator:
        if not simulator.tls:
            yield simulator
            return
        from pytest_batchkeys.simulator.loopback_discovery import loopback_instance_discovery

        with loopback_instance_discovery(simulator.url):
            yield simulator
