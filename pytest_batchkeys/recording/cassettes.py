"""The one typed facade over vcrpy: read, replay, record (scrubbed, leak-checked, atomic)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pytest_batchkeys.errors import CassetteError
from pytest_batchkeys.recording.atomic import write_atomic
from pytest_batchkeys.recording.validate import (
    FORMAT_VERSION,
    METADATA_KEY,
    REMEDY,
    check_cassette,
)
from pytest_batchkeys.safeload import LoadRefused, read_bytes, yaml_load

Action = Literal["replay", "record", "rerecord"]
#: What becomes of a recording when it is saved: the cassette, kept aside, or nothing.
Fate = Literal["keep", "aside", "discard"]
MATCH_ON: Final = ("method", "path", "query")


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
        data = yaml_load(text, source=f"Cassette {_where(path)}", loader=loader)
    except LoadRefused as exc:
        raise limit_error(exc) from None
    except yaml.constructor.ConstructorError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} uses the YAML tag {_tag(exc)}{_at(exc)}, which is not "
            "allowed: cassettes are read with a safe loader (nothing in the file was run) and "
            "must be plain YAML (mappings, lists, strings, numbers). " + REMEDY,
            anchor="cassette-unsafe-yaml",
        ) from None
    except yaml.reader.ReaderError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} holds the character #x{exc.character:04x}, which YAML does "
            f"not allow, at offset {exc.position} (binary data?). " + REMEDY,
            anchor="cassette-unreadable",
        ) from None
    except yaml.YAMLError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} is not valid YAML: {_yaml_problem(exc)}{_at(exc)} "
            "(truncated or corrupted?). " + REMEDY,
            anchor="cassette-unreadable",
        ) from None
    return _validate(path, data)


def _at(exc: Exception) -> str:
    """' at line L, column C' from a YAML error's mark, or ''."""
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _yaml_problem(exc: Exception) -> str:
    """The parser's own words: context and problem, e.g. 'while scanning a quoted scalar, ...'."""
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    words = ", ".join(str(part) for part in parts if part)
    return words or _first_line(exc)


def _tag(exc: Exception) -> str:
    """The offending tag in its short form ('!!python/object:os.system'), quoted."""
    match = re.search(r"tag '([^']*)'", str(getattr(exc, "problem", "")) or str(exc))
    if match is None:
        return "(unknown)"
    return repr(match.group(1).replace("tag:yaml.org,2002:", "!!"))


def limit_error(exc: LoadRefused) -> CassetteError:
    """The CassetteError for a cassette refused by a safeload limit (size, depth, aliases, type)."""
    return CassetteError(
        f"{exc}. Nothing was replayed and the file is kept. " + REMEDY, anchor="input-limits"
    )


def _read_text(path: Path) -> str:
    """The file's text, or a CassetteError for a directory, an empty file or binary data."""
    if path.is_dir():
        raise CassetteError(
            f"Cassette path {_where(path)} is a directory, not a file. Remove or rename the "
            "directory, or point the marker at a file: "
            "@pytest.mark.batchkeys(cassette='name.yaml').",
            anchor="cassette-unreadable",
        )
    try:
        raw = read_bytes(path)
    except LoadRefused as exc:
        raise limit_error(LoadRefused(f"Cassette {_where(path)}", exc.problem)) from None
    except OSError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} cannot be read: {exc.strerror or type(exc).__name__}. "
            "The user running pytest needs read access to it; check its permissions and owner.",
            anchor="cassette-unreadable",
        ) from None
    if not raw.strip():
        raise CassetteError(
            f"Cassette {_where(path)} is empty. An empty file is never replayed as 'no "
            "requests': a recorded cassette always holds 'interactions' and 'version'. " + REMEDY,
            anchor="cassette-unreadable",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(
            f"Cassette {_where(path)} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start} cannot be decoded (binary data, or saved in another encoding?). "
            "vcrpy writes cassettes as UTF-8 YAML. " + REMEDY,
            anchor="cassette-unreadable",
        ) from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _validate(path: Path, data: Any) -> CassetteData:
    """Check the vcrpy format version and every interaction (the validator verify uses too)."""
    interactions, metadata = check_cassette(_where(path), data)
    return CassetteData(interactions=interactions, metadata=metadata)


def serialize_cassette(interactions: list[dict[str, Any]], metadata: Mapping[str, Any]) -> str:
    """Plain vcrpy YAML text; our metadata sits under a top-level key vcrpy ignores.

    vcrpy's own `metadata` key is not used: vcrpy 9.4 then returns three values from
    deserialize(), which pytest-recording 0.14's persister cannot unpack.
    """
    import yaml

    data: dict[str, Any] = {"interactions": interactions, "version": FORMAT_VERSION}
    if metadata:
        data[METADATA_KEY] = dict(metadata)
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
    #: Why the save failed; raised once vcrpy has unpatched (see use_cassette).
    save_error: Exception | None = None
    #: Where a failing test's recording went instead of `path` (see failed_recording_path).
    kept_aside: Path | None = None


FAILED_SUFFIX: Final = ".failed"


def failed_recording_path(path: Path) -> Path:
    """Where a failing test's recording is kept: beside the cassette, a name replay never reads."""
    return path.with_name(path.name + FAILED_SUFFIX)


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
    fate: Callable[[], Fate] = lambda: "keep",
) -> Iterator[CassetteRun]:
    """Patch HTTP libraries with vcrpy for the block; save through `prepare_save` when recording.

    `prepare_save(interactions, metadata, path)` returns the text to write (it scrubs and
    leak-checks); the file is written atomically, so a failure leaves the previous cassette.
    When `fate()` is "aside" at save time (the test failed), the recording goes to
    failed_recording_path(path) and the cassette at `path`, if any, is left as it was;
    "discard" writes nothing (the run stopped before anything worth keeping was recorded).
    """
    run = CassetteRun(path=path, action=action, metadata=dict(metadata or {}))
    if action == "replay":
        if not path.exists():
            raise CassetteError(f"Cassette {path} does not exist.", anchor="missing-cassette")
        run.loaded = read_cassette(path)
        run.metadata = dict(run.loaded.metadata)
    cassette_class = _cassette_class()
    persister = _Persister(run, prepare_save, fate)
    record_mode = "none" if action == "replay" else "all"
    try:
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
    finally:
        # vcrpy saves before it unpatches, and an error raised by the save would leave its
        # patches in place for the rest of the process; the persister keeps the error instead.
        error, run.save_error = run.save_error, None
        if error is not None:
            raise error


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

    def __init__(self, run: CassetteRun, prepare_save: SaveHook, fate: Callable[[], Fate]) -> None:
        self.run = run
        self.prepare_save = prepare_save
        self.fate = fate

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
        """Save, keeping any error in the run for use_cassette to raise after unpatching."""
        try:
            self._save(Path(cassette_path), cassette_dict)
        except Exception as exc:
            self.run.save_error = exc

    def _save(self, path: Path, cassette_dict: Any) -> None:
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
        fate = self.fate()
        if fate == "discard":
            return
        text = self.prepare_save(interactions, self.run.metadata, path)
        self.run.kept_aside = store_recording(path, text, fate)
        self.run.recorded = len(interactions)


def store_recording(path: Path, text: str, fate: Fate) -> Path | None:
    """Write a recording by its fate; returns failed_recording_path(path) if it was kept aside.

    "keep" replaces the cassette at `path` and removes an older failing recording (now outdated);
    "aside" writes failed_recording_path(path) and leaves `path`, if any, as it was; "discard"
    writes nothing.
    """
    if fate == "discard":
        return None
    aside = failed_recording_path(path)
    if fate == "aside":
        write_cassette(aside, text)
        return aside
    write_cassette(path, text)
    aside.unlink(missing_ok=True)  # an older failing recording is now outdated
    return None


def write_cassette(path: Path, text: str) -> None:
    """Write a cassette atomically, or CassetteError saying why not (the old file is kept)."""
    if path.is_dir():
        raise CassetteError(
            f"Cassette {path} cannot be written: a directory has its name. The directory is "
            "left as it is. Remove or rename it, or point the marker at another file: "
            "@pytest.mark.batchkeys(cassette='name.yaml').",
            anchor="cassette-write",
        )
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise CassetteError(
            f"Cassette {path} cannot be written: {exc.strerror or type(exc).__name__}. The "
            "previous file, if any, is unchanged. Check that the cassette dir is a writable "
            "directory on a disk with free space.",
            anchor="cassette-write",
        ) from None
