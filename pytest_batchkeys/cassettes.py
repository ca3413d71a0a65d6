"""The one typed facade over vcrpy: read, replay, record (scrubbed, leak-checked, atomic)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from .atomic import write_atomic
from .errors import CassetteError

Action = Literal["replay", "record", "rerecord"]
FORMAT_VERSION: Final = 1
MATCH_ON: Final = ("method", "path", "query")
METADATA_KEY: Final = "batchkeys"


@dataclass(frozen=True, kw_only=True)
class CassetteData:
    """A cassette file as plain data: vcrpy-serialized interactions plus metadata."""

    interactions: list[dict[str, Any]]
    metadata: dict[str, Any]


def _where(path: Path) -> str:
    return str(path)


def read_cassette(path: Path) -> CassetteData:
    """Parse and validate a vcrpy YAML cassette; CassetteError says exactly what is wrong."""
    import yaml

    text = _read_text(path)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.constructor.ConstructorError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} uses a YAML tag that is not allowed ({_first_line(exc)}). "
            "Cassettes must be plain YAML (safe tags only). Delete it and re-record with "
            "--batch-record.",
            anchor="cassette-unreadable",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CassetteError(
            f"Cassette {_where(path)} is not valid YAML{where} (truncated or corrupted?). "
            "Restore it from version control or re-record it with --batch-record.",
            anchor="cassette-unreadable",
        ) from None
    return _validate(path, data)


def _read_text(path: Path) -> str:
    """The file's text, or a CassetteError for a directory, an empty file or binary data."""
    if path.is_dir():
        raise CassetteError(
            f"Cassette path {_where(path)} is a directory, not a file. Remove or rename it, or "
            "point the marker at a file: @pytest.mark.batchkeys(cassette='name.yaml').",
            anchor="cassette-unreadable",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} cannot be read: {exc.strerror}. Check its permissions.",
            anchor="cassette-unreadable",
        ) from None
    if not raw.strip():
        raise CassetteError(
            f"Cassette {_where(path)} is empty. An empty file is never replayed as 'no requests': "
            "delete it and re-record with --batch-record.",
            anchor="cassette-unreadable",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(
            f"Cassette {_where(path)} is not UTF-8 text (binary data?). Restore it from version "
            "control or re-record it with --batch-record.",
            anchor="cassette-unreadable",
        ) from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _validate(path: Path, data: Any) -> CassetteData:
    """Check the vcrpy format version and shape of every interaction."""
    if isinstance(data, list):
        raise CassetteError(
            f"Cassette {_where(path)} is in the pre-1.0 vcrpy format (a bare list). "
            "Re-record it with --batch-record.",
            anchor="cassette-format",
        )
    if not isinstance(data, dict):
        raise CassetteError(
            f"Cassette {_where(path)} holds a {type(data).__name__}, not a mapping with "
            "'interactions' and 'version'. Re-record it with --batch-record.",
            anchor="cassette-format",
        )
    if "interactions" not in data:
        raise CassetteError(
            f"Cassette {_where(path)} has no 'interactions' key (keys found: "
            f"{', '.join(map(str, data)) or 'none'}). Re-record it with --batch-record.",
            anchor="cassette-format",
        )
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise CassetteError(
            f"Cassette {_where(path)} has format version {version!r}; this vcrpy reads version "
            f"{FORMAT_VERSION}. Re-record it with --batch-record.",
            anchor="cassette-format",
        )
    interactions = data["interactions"]
    if not isinstance(interactions, list):
        raise CassetteError(
            f"Cassette {_where(path)}: 'interactions' is a {type(interactions).__name__}, not a "
            "list. Re-record it with --batch-record.",
            anchor="cassette-format",
        )
    for number, item in enumerate(interactions, start=1):
        _validate_interaction(path, number, item)
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise CassetteError(
            f"Cassette {_where(path)}: 'metadata' is not a mapping. "
            "Re-record it with --batch-record.",
            anchor="cassette-format",
        )
    return CassetteData(interactions=interactions, metadata=metadata)


def _validate_interaction(path: Path, number: int, item: Any) -> None:
    """Each interaction needs a request with method and uri, and a response with a status code."""
    problem = None
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        problem = "has no 'request' mapping"
    elif not isinstance(item.get("response"), dict):
        problem = "has no 'response' mapping"
    elif not {"method", "uri"} <= set(item["request"]):
        problem = "has a request without 'method' or 'uri'"
    elif not isinstance(item["response"].get("status"), dict) or not isinstance(
        item["response"]["status"].get("code"), int
    ):
        problem = "has a response without an integer status code"
    if problem:
        raise CassetteError(
            f"Cassette {_where(path)}: interaction {number} {problem}. "
            "Re-record it with --batch-record.",
            anchor="cassette-format",
        )


def serialize_cassette(interactions: list[dict[str, Any]], metadata: Mapping[str, Any]) -> str:
    """Plain vcrpy YAML text for interactions and metadata (what vcrpy itself would write)."""
    import yaml

    data: dict[str, Any] = {"interactions": interactions, "version": FORMAT_VERSION}
    if metadata:
        data["metadata"] = dict(metadata)
    return str(yaml.dump(data, Dumper=_dumper(), allow_unicode=True, sort_keys=True))


def _dumper() -> Any:
    """A safe YAML dumper (C if available) that never writes anchors or aliases."""
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class NoAliasDumper(base):  # type: ignore[misc,valid-type]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return NoAliasDumper


@dataclass
class Miss:
    """A request that replay could not serve, with the closest recorded one."""

    request: str
    closest: str | None
    differences: list[str]

    def describe(self) -> str:
        """Readable lines: the request, then the closest recorded request and how it differs."""
        lines = [f"  request:  {self.request}"]
        if self.closest is None:
            lines.append("  closest:  (the cassette holds no request with the same method)")
        else:
            lines.append(f"  closest:  {self.closest}")
            lines.extend(f"  differs:  {difference}" for difference in self.differences)
        return "\n".join(lines)


@dataclass
class CassetteRun:
    """What happened in one cassette during one test."""

    path: Path
    action: Action
    misses: list[Miss] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    loaded: CassetteData | None = None
    played: int = 0
    recorded: int = 0


SaveHook = Callable[[list[dict[str, Any]], dict[str, Any], Path], str]


def plan(path: Path, *, mode: str, record_mode: str) -> Action:
    """Replay an existing cassette unless recording it (again) is asked for."""
    if mode == "record" and (record_mode == "all" or not path.exists()):
        return "rerecord" if path.exists() else "record"
    return "replay"


@contextmanager
def use_cassette(
    path: Path,
    action: Action,
    *,
    prepare_save: SaveHook,
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[CassetteRun]:
    """Patch HTTP libraries with vcrpy for the block; save through `prepare_save` when recording.

    `prepare_save(interactions, metadata, path)` returns the text to write (it scrubs and
    leak-checks); the file is written atomically, so a failure leaves the previous cassette.
    """
    run = CassetteRun(path=path, action=action, metadata=dict(metadata or {}))
    if action == "replay":
        if not path.exists():
            raise CassetteError(f"Cassette {path} does not exist.", anchor="missing-cassette")
        run.loaded = read_cassette(path)
        run.metadata = dict(run.loaded.metadata.get(METADATA_KEY) or {})
    cassette_class = _cassette_class()
    persister = _Persister(run, prepare_save)
    record_mode = "none" if action == "replay" else "all"
    with cassette_class.use(
        path=str(path),
        persister=persister,
        record_mode=record_mode,
        match_on=_matchers(),
        drop_unused_requests=action != "replay",
        allow_playback_repeats=False,
    ) as cassette:
        cassette.batchkeys_run = run
        yield run
        run.played = cassette.play_count


def _matchers() -> list[Callable[..., Any]]:
    from vcr import matchers

    return [getattr(matchers, name) for name in MATCH_ON]


_CLASS: list[Any] = []


def _cassette_class() -> Any:
    """A vcrpy Cassette subclass that remembers unmatched requests (built once, lazily)."""
    if _CLASS:
        return _CLASS[0]
    from vcr.cassette import Cassette

    class TrackingCassette(Cassette):  # type: ignore[misc]
        batchkeys_run: CassetteRun

        def can_play_response_for(self, request: Any) -> bool:
            playable = bool(super().can_play_response_for(request))
            if not playable and self.write_protected:
                self.batchkeys_run.misses.append(_describe_miss(self, request))
            return playable

    _CLASS.append(TrackingCassette)
    return TrackingCassette


def _request_line(request: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in request.query)
    return f"{request.method} {request.path}{'?' + query if query else ''}"


def _describe_miss(cassette: Any, request: Any) -> Miss:
    """The request, the closest recorded request of the same method, and their differences."""
    same_method = [r for r in cassette.requests if r.method == request.method]
    if not same_method:
        return Miss(request=_request_line(request), closest=None, differences=[])
    best = max(same_method, key=lambda r: _similarity(r, request))
    differences = []
    if best.path != request.path:
        differences.append(f"path {best.path!r} recorded, {request.path!r} sent")
    recorded, sent = dict(best.query), dict(request.query)
    for key in sorted(set(recorded) | set(sent)):
        if recorded.get(key) != sent.get(key):
            differences.append(
                f"query {key}: {recorded.get(key, '(absent)')!r} recorded, "
                f"{sent.get(key, '(absent)')!r} sent"
            )
    if not differences:
        differences.append("already played: the test sent this request more times than recorded")
    return Miss(
        request=_request_line(request), closest=_request_line(best), differences=differences
    )


def _similarity(recorded: Any, sent: Any) -> tuple[int, int]:
    """Higher for more equal path segments and query items (used to pick the closest request)."""
    a, b = recorded.path.split("/"), sent.path.split("/")
    segments = sum(x.lower() == y.lower() for x, y in zip(a, b, strict=False)) - abs(
        len(a) - len(b)
    )
    return segments, len(set(recorded.query) & set(sent.query))


class _Persister:
    """vcrpy persister: loads through read_cassette, saves scrubbed and atomically."""

    def __init__(self, run: CassetteRun, prepare_save: SaveHook) -> None:
        self.run = run
        self.prepare_save = prepare_save

    def load_cassette(self, cassette_path: str, serializer: Any) -> tuple[Any, ...]:
        from vcr.persisters.filesystem import CassetteNotFoundError
        from vcr.request import Request
        from vcr.serializers import compat

        if self.run.action != "replay" or self.run.loaded is None:
            raise CassetteNotFoundError()
        data = self.run.loaded
        requests = [Request._from_dict(i["request"]) for i in data.interactions]
        responses = [compat.convert_to_bytes(i["response"]) for i in data.interactions]
        return requests, responses, {}

    def save_cassette(self, cassette_path: str, cassette_dict: Any, serializer: Any) -> None:
        from vcr.serializers import compat

        interactions = [
            {
                "request": compat.convert_to_unicode(request._to_dict()),
                "response": compat.convert_to_unicode(response),
            }
            for request, response in zip(
                cassette_dict["requests"], cassette_dict["responses"], strict=True
            )
        ]
        text = self.prepare_save(interactions, self.run.metadata, Path(cassette_path))
        write_atomic(cassette_path, text)
        self.run.recorded = len(interactions)
