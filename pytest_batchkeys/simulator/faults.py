"""Fault injection: which requests get a fault, decided reproducibly under a seed."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["throttle", "error", "latency", "truncate", "html", "drop"]
FaultRoute = Literal["arm", "token", "any"]
FAULT_KINDS: tuple[FaultKind, ...] = ("throttle", "error", "latency", "truncate", "html", "drop")
FAULT_ROUTES: tuple[FaultRoute, ...] = ("arm", "token", "any")
#: Kinds that change how the real answer is delivered instead of replacing it.
MODIFIER_KINDS = frozenset({"latency", "truncate"})


@dataclass
class Fault:
    """One fault rule; with no trigger (`first`, `every`, `probability`) it fires on every match.

    `first=N` fires on the first N matching requests, `every=N` on every Nth, `probability=p` on
    that share of them (seeded); several triggers must all hold.
    """

    kind: FaultKind
    first: int | None = None
    every: int | None = None
    probability: float | None = None
    account: str | None = None
    route: FaultRoute = "arm"
    status: int | None = None
    code: str | None = None
    retry_after: float | None = None
    delay: float = 0.0

    def problems(self) -> list[tuple[str, str]]:
        """(field, problem) pairs; empty when the rule can work."""
        found: list[tuple[str, str]] = []
        if self.kind not in FAULT_KINDS:
            found.append(("kind", f"{self.kind!r} is not one of {', '.join(FAULT_KINDS)}"))
        if self.route not in FAULT_ROUTES:
            found.append(("route", f"{self.route!r} is not one of {', '.join(FAULT_ROUTES)}"))
        for name in ("first", "every"):
            value = getattr(self, name)
            if value is not None and value < 1:
                found.append((name, f"must be a whole number >= 1, got {value!r}"))
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            found.append(("probability", f"must be between 0 and 1, got {self.probability!r}"))
        if self.status is not None and not 400 <= self.status <= 599:
            found.append(("status", f"must be an HTTP error status 400-599, got {self.status!r}"))
        if self.retry_after is not None and self.retry_after < 0:
            found.append(("retry_after", f"must be >= 0 seconds, got {self.retry_after!r}"))
        if self.delay < 0:
            found.append(("delay", f"must be >= 0 seconds, got {self.delay!r}"))
        return found

    def applies_to(self, route: str, account: str | None) -> bool:
        """True when the request's route and account are in this rule's reach."""
        if self.route != "any" and self.route != route:
            return False
        return self.account is None or (
            account is not None and self.account.lower() == account.lower()
        )


@dataclass(frozen=True)
class FaultDecision:
    """What the faults chose for one request: a total delay, a replacing fault, truncation."""

    delay: float = 0.0
    replace: Fault | None = None
    truncate: bool = False
    fired: tuple[FaultKind, ...] = ()


NO_FAULT = FaultDecision()


class FaultBook:
    """Counts matches per rule and decides under one lock, so a seeded run repeats exactly."""

    def __init__(self, faults: list[Fault], seed: int | None) -> None:
        self.faults = faults
        self._seed = seed
        self._lock = threading.Lock()
        self._counts: dict[int, int] = {}
        self._rngs: dict[int, random.Random] = {}

    def reset(self) -> None:
        """Forget match counts, so `first=N` rules start over."""
        with self._lock:
            self._counts.clear()
            self._rngs.clear()

    def decide(self, route: str, account: str | None) -> FaultDecision:
        """Every matching rule counts this request; the first firing replacing rule wins."""
        if not self.faults:
            return NO_FAULT
        delay, replace, truncate = 0.0, None, False
        fired: list[FaultKind] = []
        with self._lock:
            for index, fault in enumerate(list(self.faults)):
                if not fault.applies_to(route, account) or not self._fires(index, fault):
                    continue
                if fault.kind not in MODIFIER_KINDS and replace is not None:
                    continue
                fired.append(fault.kind)
                delay += fault.delay
                if fault.kind == "truncate":
                    truncate = True
                elif fault.kind != "latency":
                    replace = fault
        return FaultDecision(delay, replace, truncate, tuple(fired))

    def _fires(self, index: int, fault: Fault) -> bool:
        key = id(fault)
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if fault.first is not None and count > fault.first:
            return False
        if fault.every is not None and count % fault.every != 0:
            return False
        if fault.probability is None:
            return True
        rng = self._rngs.get(key)
        if rng is None:
            rng = random.Random(None if self._seed is None else f"{self._seed}:{index}")
            self._rngs[key] = rng
        return rng.random() < fault.probability
