"""The managed-scheduler API v1 as values: arms, schedules, deliveries (``spec/managed-scheduler.md``).

A managed scheduler stores, per *slot* ``(app, job, index)``, either a **one-shot arm**
(``fire_id`` + ``fire_at``: the app owns the time and re-arms after each fire) or a
**recurring schedule** (an expression and a timezone: the service owns the time), and at
the due instant calls the slot's ``callback_url`` with a fire token
(:mod:`cronix.protocol.firejwt`). Everything here is pure: the documents the API carries,
their strict decoding (one :class:`ValueError` naming the field), and the time arithmetic
both sides need — :func:`next_fire_at` and :func:`arm_for` — so the backend plugin, the
SDK's re-arm and the reference service compute the same next occurrence, hence the same
``fire_id``, from the same job.

Decoding is strict on what a field means and tolerant of what it does not know: unknown
keys are ignored (the API grows additively within v1), wrong types and bad values are
errors.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from cronix.protocol.fireid import MAX_INDEX, format_fire_id, format_utc, parse_fire_id, parse_utc
from cronix.protocol.identifiers import is_valid_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.protocol.manifest import Job

__all__ = [
    "API_NAME",
    "API_VERSION",
    "OWNER",
    "Arm",
    "Delivery",
    "Retry",
    "Schedule",
    "arm_for",
    "next_fire_at",
    "schedule_for",
    "slot_path",
]

API_NAME: Final = "cronix-managed-scheduler"
#: ``major.minor``; the major is also the path prefix (``/v1``). Minors only add.
API_VERSION: Final = "1.0"
#: The ``owner`` of slots cronix writes; a slot with any other owner is foreign.
OWNER: Final = "cronix"
_HASH = re.compile(r"[0-9a-f]{16}")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def slot_path(kind: str, app: str, job: str, index: int) -> str:
    """``/v1/arms/<app>/<job>/<index>`` (or ``schedules``): the URL of one slot."""
    return f"/v1/{kind}/{app}/{job}/{index}"


class Retry(NamedTuple):
    """How the scheduler retries one delivery: ``min(max, min·2^(n−1))`` after attempt n."""

    max_attempts: int = 3
    min_seconds: int = 1
    max_seconds: int = 60

    def to_json(self) -> dict[str, int]:
        return {
            "max_attempts": self.max_attempts,
            "min_seconds": self.min_seconds,
            "max_seconds": self.max_seconds,
        }

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after ``attempt`` (1-based) before the next one."""
        return float(min(self.max_seconds, self.min_seconds * 2 ** max(attempt - 1, 0)))


_DEFAULT_RETRY = Retry()


class _Target(NamedTuple):
    callback_url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    body: str
    audience: str
    timeout_seconds: int
    retry: Retry


@dataclass(frozen=True, slots=True)
class Arm:
    """A one-shot fire: deliver ``fire_id`` at ``fire_at`` (Unix seconds) to ``callback_url``.

    ``paused`` and ``state`` are the service's (read-only for clients): a paused slot keeps
    its arm but does not fire.
    """

    app: str
    job: str
    index: int
    fire_id: str
    fire_at: int
    callback_url: str
    hash: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    audience: str = ""
    timeout_seconds: int = 60
    retry: Retry = _DEFAULT_RETRY
    owner: str = OWNER
    replaces: str = ""
    paused: bool = False

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "app": self.app,
            "job": self.job,
            "index": self.index,
            "fire_id": self.fire_id,
            "fire_at": format_utc(self.fire_at),
            "callback_url": self.callback_url,
            "method": self.method,
            "headers": dict(self.headers),
            "body": self.body,
            "audience": self.audience,
            "timeout_seconds": self.timeout_seconds,
            "retry": self.retry.to_json(),
            "hash": self.hash,
            "owner": self.owner,
            "paused": self.paused,
        }
        if self.replaces:
            doc["replaces"] = self.replaces
        return doc

    @classmethod
    def from_json(cls, doc: Any, *, app: str = "", job: str = "", index: int | None = None) -> Arm:
        """Decode an arm; path parts (``app``, ``job``, ``index``) win over the body's and must agree."""
        d = _object(doc, "arm")
        slot_app, slot_job, slot_index = _slot(d, app, job, index)
        fire_id = _str(d, "fire_id")
        try:
            parsed = parse_fire_id(fire_id)
        except ValueError as exc:
            raise ValueError(f"fire_id: {exc}") from None
        if (parsed.app, parsed.job, parsed.index) != (slot_app, slot_job, slot_index):
            raise ValueError(f"fire_id {fire_id} does not name slot {slot_app}/{slot_job}/{slot_index}")
        fire_at = _time(d, "fire_at") if "fire_at" in d else parsed.scheduled
        if fire_at != parsed.scheduled:
            raise ValueError("fire_at must be the time in fire_id")
        replaces = _str(d, "replaces", "")
        if replaces:
            try:
                parse_fire_id(replaces)
            except ValueError as exc:
                raise ValueError(f"replaces: {exc}") from None
        return cls(
            app=slot_app,
            job=slot_job,
            index=slot_index,
            fire_id=fire_id,
            fire_at=fire_at,
            hash=_hash(d),
            owner=_str(d, "owner", ""),
            replaces=replaces,
            paused=_bool(d, "paused", False),
            **_target(d)._asdict(),
        )

    def replace(self, **changes: Any) -> Arm:
        return dataclasses.replace(self, **changes)

    def same_target(self, other: Arm) -> bool:
        """Whether two arms deliver the same request (everything but the time and the state)."""
        ignored = {"fire_id", "fire_at", "replaces", "paused"}
        mine, theirs = self.to_json(), other.to_json()
        return all(mine[k] == theirs[k] for k in mine if k not in ignored)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A recurring slot: the service computes every occurrence of ``expression`` in ``timezone``."""

    app: str
    job: str
    index: int
    expression: str
    timezone: str
    callback_url: str
    hash: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    audience: str = ""
    timeout_seconds: int = 60
    retry: Retry = _DEFAULT_RETRY
    owner: str = OWNER
    paused: bool = False

    def to_json(self) -> dict[str, Any]:
        doc = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        doc["headers"] = dict(self.headers)
        doc["retry"] = self.retry.to_json()
        return doc

    @classmethod
    def from_json(cls, doc: Any, *, app: str = "", job: str = "", index: int | None = None) -> Schedule:
        d = _object(doc, "schedule")
        slot_app, slot_job, slot_index = _slot(d, app, job, index)
        expression = _str(d, "expression")
        timezone = _str(d, "timezone", "UTC")
        try:
            first = next_fire_at(expression, timezone, 0)
        except ValueError as exc:
            raise ValueError(f"expression: {exc}") from None
        if first is None:
            raise ValueError(f"expression: {expression!r} never fires")
        return cls(
            app=slot_app,
            job=slot_job,
            index=slot_index,
            expression=expression,
            timezone=timezone,
            hash=_hash(d),
            owner=_str(d, "owner", ""),
            paused=_bool(d, "paused", False),
            **_target(d)._asdict(),
        )

    def arm_after(self, after: int) -> Arm | None:
        """The next occurrence strictly after ``after`` as an arm (``None``: it never fires again)."""
        when = next_fire_at(self.expression, self.timezone, after)
        if when is None:
            return None
        return Arm(
            app=self.app,
            job=self.job,
            index=self.index,
            fire_id=format_fire_id(self.app, self.job, self.index, when),
            fire_at=when,
            hash=self.hash,
            owner=self.owner,
            paused=self.paused,
            **_request_of(self)._asdict(),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One occurrence as the scheduler delivered it (``GET /v1/fires``)."""

    fire_id: str
    app: str
    job: str
    index: int
    run_id: str
    status: str  # delivering | delivered | failed
    attempts: int = 0
    http_status: int = 0
    started_at: str = ""
    finished_at: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, doc: Any) -> Delivery:
        d = _object(doc, "fire")
        return cls(
            fire_id=_str(d, "fire_id"),
            app=_str(d, "app"),
            job=_str(d, "job"),
            index=_int(d, "index", 0),
            run_id=_str(d, "run_id", ""),
            status=_str(d, "status"),
            attempts=_int(d, "attempts", 0),
            http_status=_int(d, "http_status", 0),
            started_at=_str(d, "started_at", ""),
            finished_at=_str(d, "finished_at", ""),
            detail=_str(d, "detail", ""),
        )


# ---------------------------------------------------------------------- time


def next_fire_at(expression: str, timezone: str, after: int) -> int | None:
    """The first occurrence of ``expression`` in ``timezone`` strictly after ``after`` (Unix s)."""
    from datetime import UTC, datetime, tzinfo
    from zoneinfo import ZoneInfo

    from cronix.protocol.firetimes import fire_times

    try:
        tz: tzinfo = UTC if timezone == "UTC" else ZoneInfo(timezone)
    except (ValueError, OSError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc
    start = datetime.fromtimestamp(after, UTC)
    for when in fire_times(expression, tz, start):
        return int(when.timestamp())
    return None


def _request_of(slot: Arm | Schedule) -> _Target:
    return _Target(*(getattr(slot, name) for name in _Target._fields))


def _job_request(job: Job, audience: str) -> _Target:
    """What a slot of ``job`` delivers: its request, its timeout and its retry policy."""
    policy = job.policy
    retries = policy.retries
    return _Target(
        callback_url=job.request.url,
        method=job.request.method,
        headers=job.request.headers,
        body=job.request.body,
        audience=audience,
        timeout_seconds=policy.timeout_seconds,
        retry=Retry(retries.max_attempts, retries.min_seconds, retries.max_seconds),
    )


def arm_for(app: str, job: Job, index: int, digest: str, after: int, *, audience: str = "") -> Arm | None:
    """The arm of schedule ``index`` of ``job`` for its first occurrence after ``after``.

    ``digest`` is the ownership hash of that schedule. ``None`` when the schedule never
    fires again (``0 0 30 2 *``).
    """
    when = next_fire_at(job.schedules[index], job.timezone, after)
    if when is None:
        return None
    fire_id = format_fire_id(app, job.name, index, when)
    return Arm(app, job.name, index, fire_id, when, hash=digest, **_job_request(job, audience)._asdict())


def schedule_for(app: str, job: Job, index: int, digest: str, *, audience: str = "") -> Schedule:
    """The recurring slot of schedule ``index`` of ``job``."""
    request = _job_request(job, audience)._asdict()
    return Schedule(app, job.name, index, job.schedules[index], job.timezone, hash=digest, **request)


# ---------------------------------------------------------------------- strict decoding


def _object(doc: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(doc, dict):
        raise ValueError(f"{what} must be a JSON object")
    return doc


def _str(d: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = d.get(key, default)
    if value is None:
        raise ValueError(f"{key}: required")
    if not isinstance(value, str):
        raise ValueError(f"{key}: must be a string")
    return value


def _int(d: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = d.get(key, default)
    if value is None:
        raise ValueError(f"{key}: required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key}: must be an integer")
    return value


def _bool(d: Mapping[str, Any], key: str, default: bool) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key}: must be true or false")
    return value


def _time(d: Mapping[str, Any], key: str) -> int:
    try:
        return parse_utc(_str(d, key))
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def _hash(d: Mapping[str, Any]) -> str:
    digest = _str(d, "hash")
    if not _HASH.fullmatch(digest):
        raise ValueError("hash: must be 16 lowercase hex digits")
    return digest


def _slot(d: Mapping[str, Any], app: str, job: str, index: int | None) -> tuple[str, str, int]:
    slot_app = app or _str(d, "app")
    slot_job = job or _str(d, "job")
    slot_index = _int(d, "index") if index is None else index
    for key, given, value in (("app", app, slot_app), ("job", job, slot_job)):
        if not is_valid_id(value):
            raise ValueError(f"{key}: must match [a-z][a-z0-9-]{{0,62}}")
        if given and key in d and d[key] != given:
            raise ValueError(f"{key}: {d[key]!r} does not match the path ({given!r})")
    if not 0 <= slot_index <= MAX_INDEX:
        raise ValueError(f"index: must be 0..{MAX_INDEX}")
    if index is not None and "index" in d and d["index"] != index:
        raise ValueError(f"index: {d['index']!r} does not match the path ({index})")
    return slot_app, slot_job, slot_index


def _target(d: Mapping[str, Any]) -> _Target:
    url = _str(d, "callback_url")
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise ValueError("callback_url: must be an http(s) URL without spaces")
    method = _str(d, "method", "POST").upper()
    if method not in _METHODS:
        raise ValueError(f"method: must be one of {', '.join(sorted(_METHODS))}")
    raw_headers = d.get("headers") or {}
    if not isinstance(raw_headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw_headers.items()
    ):
        raise ValueError("headers: must be an object of strings")
    if any("\r" in k + v or "\n" in k + v for k, v in raw_headers.items()):
        raise ValueError("headers: no CR or LF in names or values")
    timeout = _int(d, "timeout_seconds", 60)
    if not 1 <= timeout <= 3600:
        raise ValueError("timeout_seconds: must be 1..3600")
    retry_doc = d.get("retry") or {}
    if not isinstance(retry_doc, dict):
        raise ValueError("retry: must be an object")
    retry = Retry(
        _int(retry_doc, "max_attempts", 3),
        _int(retry_doc, "min_seconds", 1),
        _int(retry_doc, "max_seconds", 60),
    )
    if not 1 <= retry.max_attempts <= 20 or retry.min_seconds < 0 or retry.max_seconds < retry.min_seconds:
        raise ValueError("retry: max_attempts 1..20, 0 <= min_seconds <= max_seconds")
    return _Target(
        callback_url=url,
        method=method,
        headers=tuple(sorted(raw_headers.items())),
        body=_str(d, "body", ""),
        audience=_str(d, "audience", ""),
        timeout_seconds=timeout,
        retry=retry,
    )
