"""ARM-style write throttling: one token bucket per subscription."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from pytest_batchkeys.simulator.config import Throttle


@dataclass(frozen=True)
class Take:
    """Outcome of one request against a bucket."""

    allowed: bool
    remaining: int
    retry_after: float
    used: int = 0


class Buckets:
    """Token buckets keyed by subscription; limits are read live from the Throttle settings."""

    def __init__(self, settings: Throttle) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def reset(self) -> None:
        """Refill every bucket."""
        with self._lock:
            self._state.clear()

    def take(self, key: str) -> Take:
        """Spend one token if there is one; otherwise say how long until there is."""
        capacity = self.settings.capacity
        rate = self.settings.refill_per_second
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                tokens -= 1.0
                self._state[key] = (tokens, now)
                return Take(True, int(tokens), 0.0, _used(capacity, tokens))
            self._state[key] = (tokens, now)
        return Take(False, 0, (1.0 - tokens) / rate, _used(capacity, tokens))

    def used(self, key: str) -> int:
        """Writes spent from the bucket now (0 when full), without spending one."""
        capacity = self.settings.capacity
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (capacity, now))
        return _used(
            capacity, min(capacity, tokens + (now - last) * self.settings.refill_per_second)
        )


def _used(capacity: float, tokens: float) -> int:
    """Whole writes missing from a bucket; a part-refilled write still counts as spent."""
    return max(0, math.ceil(capacity - tokens - 1e-9))
