"""Generated contract cases: drawn from the spec when live, stored with their responses, replayed
exactly (no regeneration, no vcrpy matching) so a hypothesis or schemathesis upgrade cannot break
replay."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import requests

from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.recording.cassettes import Fate, read_cassette, store_recording

Kind = Literal["positive", "negative"]
KINDS: Final = ("positive", "negative")
_DROPPED_HEADERS: Final = frozenset({"user-agent", "x-schemathesis-testcaseid", "accept-encoding"})


@dataclass(frozen=True)
class Outgoing:
    """One generated request, ready to send: method, URL (with path), query and headers."""

    kind: Kind
    method: str
    url: str
    params: dict[str, Any]
    headers: dict[str, str]
    description: str


class _Enough(BaseException):
    """Stops the hypothesis run once `count` distinct cases are in hand.

    A BaseException (not an Exception) is not a test failure to hypothesis: it propagates at once,
    with no replay, no shrinking and no failure report, like KeyboardInterrupt.
    """


def draw_cases(schema: Any, *, count: int, negative: bool) -> list[Any]:
    """Up to `count` distinct schemathesis cases drawn by hypothesis (random, not derandomized).

    The first `count` distinct cases in draw order are kept, from at most `count * 3` draws; the
    run stops as soon as it has them (drawing the rest would only be discarded).
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings

    from pytest_batchkeys.spec.schemathesis_adapter import case_strategy

    cases: list[Any] = []
    seen: set[tuple[str, str]] = set()
    if count <= 0:
        return cases

    @settings(
        max_examples=count * 3,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        # Quiet: the early stop is not a failure, so no "reproduce with @seed" line.
        verbosity=Verbosity.quiet,
    )
    @given(case_strategy(schema, negative=negative))
    def collect(case: Any) -> None:
        key = (case.formatted_path, repr(sorted((case.query or {}).items())))
        if key not in seen:
            seen.add(key)
            cases.append(case)
            if len(cases) >= count:
                raise _Enough

    with contextlib.suppress(_Enough):
        collect()
    return cases


def outgoing(case: Any, base_url: str, kind: Kind) -> Outgoing:
    """The request a case stands for, without schemathesis's own tracing headers."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    headers = {
        name: str(value)
        for name, value in (kwargs.get("headers") or {}).items()
        if name.lower() not in _DROPPED_HEADERS
    }
    headers["x-ms-client-request-id"] = str(uuid.uuid4())
    meta = getattr(case, "meta", None)
    phase = getattr(getattr(meta, "phase", None), "data", None)
    return Outgoing(
        kind=kind,
        method=str(kwargs["method"]),
        url=str(kwargs["url"]),
        params=dict(kwargs.get("params") or {}),
        headers=headers,
        description=str(getattr(phase, "description", kind)),
    )


def send_all(
    session: requests.Session,
    requests_out: list[Outgoing],
    *,
    max_rate: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[Outgoing, requests.Response]]:
    """Send each request at most `max_rate` per second; yields it with its response."""
    interval = 1.0 / max_rate if max_rate > 0 else 0.0
    next_at = clock()
    for item in requests_out:
        wait = next_at - clock()
        if wait > 0:
            sleep(wait)
        next_at = max(next_at, clock()) + interval
        response = session.request(
            item.method,
            item.url,
            params=item.params,
            headers={**item.headers, "Content-Length": "0"},
            allow_redirects=False,
        )
        yield item, response


def stored_cases(path: Path) -> tuple[list[tuple[Kind, dict[str, Any]]], dict[str, Any]]:
    """The recorded (kind, interaction) pairs of a generated-cases cassette, and its metadata."""
    data = read_cassette(path)
    metadata = dict(data.metadata)
    kinds = metadata.get("generated_kinds")
    if not isinstance(kinds, list) or len(kinds) != len(data.interactions):
        raise CassetteError(
            f"Cassette {path} holds {len(data.interactions)} interactions but no matching list of "
            "generated case kinds in its metadata, so it was not written by the generated-cases "
            "test. Re-record it with: pytest --batch-contract --batch-record-all -k generated",
            anchor="cassette-format",
        )
    pairs: list[tuple[Kind, dict[str, Any]]] = []
    for kind, interaction in zip(kinds, data.interactions, strict=True):
        pairs.append(("negative" if kind == "negative" else "positive", interaction))
    return pairs, metadata


def stale_reason(metadata: dict[str, Any], *, api_version: str, fingerprint: str) -> str | None:
    """Why a recording no longer fits the current spec or api-version, or None if it fits."""
    reasons = []
    if metadata.get("api_version") != api_version:
        reasons.append(
            f"it was recorded with api-version {metadata.get('api_version')!r}, this run uses "
            f"{api_version!r}"
        )
    if metadata.get("spec_fingerprint") != fingerprint:
        reasons.append(
            "the spec changed since recording (fingerprint "
            f"{str(metadata.get('spec_fingerprint'))[:12]} recorded, {fingerprint[:12]} now)"
        )
    return "; ".join(reasons) or None


MAX_SHOWN_FAILURES: Final = 5


class GeneratedCasesFailed(AssertionError):
    """Some generated cases broke the contract; the message lists the first few."""


@dataclass
class GeneratedRun:
    """Runs the generated-cases contract test in the harness's mode (replay, live or record).

    A recording is written by save(), once the test's outcome is known: as with any cassette,
    the recording of a failing test is kept aside (`fate()` is "aside"), the cassette unchanged.
    """

    harness: Any
    path: Path
    check: Callable[..., Any]
    nodeid: str = ""
    fate: Callable[[], Fate] = field(default=lambda: "keep", repr=False)
    #: The scrubbed, leak-checked cassette text recorded by run(), until save() writes it.
    pending: str | None = field(default=None, init=False, repr=False)

    def run(self) -> None:
        """Replay the stored cases, or generate, send and (in record mode) store new ones."""
        __tracebackhide__ = True
        settings = self.harness.settings
        replaying = settings.mode == "replay" or (
            settings.mode == "record" and settings.record_mode == "new" and self.path.exists()
        )
        if replaying:
            self._replay()
        else:
            self._generate()

    def _replay(self) -> None:
        __tracebackhide__ = True
        if not self.path.exists():
            self.harness.counters["cassettes_missing"] += 1
            raise CassetteError(
                f"No cassette of generated cases: {self.path} does not exist. Record it with:\n"
                "    pytest --batch-contract --batch-record -k generated",
                anchor="missing-cassette",
            )
        pairs, metadata = stored_cases(self.path)
        reason = stale_reason(
            metadata,
            api_version=self.harness.api_version,
            fingerprint=self.harness.spec.fingerprint,
        )
        if reason:
            raise CassetteError(
                f"Cassette {self.path} is stale: {reason}. Its cases no longer test the current "
                "contract. Re-record it with:\n"
                "    pytest --batch-contract --batch-record-all -k generated",
                anchor="stale-cassette",
            )
        from pytest_batchkeys.recording.interactions import response_from_interaction

        self.harness.counters["cassettes_replayed"] += 1
        outcomes = []
        for kind, interaction in pairs:
            response = response_from_interaction(interaction)
            outcomes.append((kind, response, self._check(response, kind)))
            self.harness.counters["cases_replayed"] += 1
        self._report(outcomes)

    def _generate(self) -> None:
        __tracebackhide__ = True
        from pytest_batchkeys.live.client import build_session
        from pytest_batchkeys.recording.interactions import interaction_from_response
        from pytest_batchkeys.spec.schemathesis_adapter import schemathesis_schema

        harness, settings = self.harness, self.harness.settings
        target = harness.target(None)
        base = settings.arm_url
        positive = schemathesis_schema(
            harness.spec,
            base,
            pinned={"api-version": target.api_version, "subscriptionId": target.subscription_id},
        )
        negative = schemathesis_schema(harness.spec, base)
        half = max(settings.max_examples // 2, 1)
        planned = [
            outgoing(c, base, "positive") for c in draw_cases(positive, count=half, negative=False)
        ]
        planned += [
            outgoing(c, base, "negative")
            for c in draw_cases(negative, count=max(settings.max_examples - half, 1), negative=True)
        ]
        outcomes = []
        interactions = []
        with build_session(settings, harness.provider_for(None)) as session:
            for item, response in send_all(session, planned, max_rate=settings.max_rate):
                outcomes.append((item.kind, response, self._check(response, item.kind)))
                interactions.append(interaction_from_response(response))
                harness.counters["cases_new"] += 1
        if settings.mode == "record":
            metadata = {
                **harness.recording_metadata(),
                "generated_kinds": [kind for kind, _, _ in outcomes],
            }
            self.pending = harness.prepare_save(interactions, metadata, self.path)
        self._report(outcomes)

    def save(self) -> None:
        """Write what run() recorded, if anything, by the test's fate (at teardown)."""
        text, self.pending = self.pending, None
        fate = self.fate()
        if text is None or fate == "discard":
            return
        self.harness.count_recording(self.nodeid, store_recording(self.path, text, fate))

    def _check(self, response: requests.Response, kind: str) -> AssertionError | None:
        try:
            self.check(response, negative=kind == "negative")
        except AssertionError as exc:
            return exc
        return None

    def _report(
        self, outcomes: Sequence[tuple[str, requests.Response, AssertionError | None]]
    ) -> None:
        __tracebackhide__ = True
        if not outcomes:
            raise GeneratedCasesFailed(
                f"No generated case ran from {self.path}: a contract run must test something. "
                "Re-record it with: pytest --batch-contract --batch-record-all -k generated"
            )
        failed = [(kind, exc) for kind, _, exc in outcomes if exc is not None]
        if failed:
            shown = "\n\n".join(f"[{kind} case] {exc}" for kind, exc in failed[:MAX_SHOWN_FAILURES])
            more = len(failed) - MAX_SHOWN_FAILURES
            raise GeneratedCasesFailed(
                f"{len(failed)} of {len(outcomes)} generated cases broke the contract:\n\n{shown}"
                + (f"\n\n... and {more} more" if more > 0 else "")
            )
