"""The ``vercel.json`` format cronix reads and writes: the document, owned entries, schedule rules.

Pure functions over bytes and values (no I/O).

**The document.** Parsed with every object's keys in file order and written back as
2-space-indented JSON with a trailing newline. Every top-level key other than ``crons``
and every ``crons`` entry cronix does not own keep their JSON values and their order;
the file is rewritten only when the document's value changes (its formatting alone
never triggers a write). Duplicate keys, ``NaN``/``Infinity`` and numbers out of range
are errors: they have no single JSON meaning to preserve.

**Owned entries.** Vercel's entry has only ``path`` and ``schedule`` (its schema allows no
other key, in an entry or at the top level), so the ownership marker rides in the path's
query string, which Vercel passes to the app unchanged and the app's route ignores::

    {"path": "/api/v1/scheduled/report?cronix=billing.0.21c1b02a51242d12", "schedule": "30 6 * * 1"}

i.e. ``<prefix><job>?cronix=<app>.<index>.<hash>``: identity and ownership hash, as every
other backend records them, so applies are idempotent per app and several apps (or
environments) can share a file. Entries under the prefix without a marker — written by
hand or by the reference, whose entries carry no app — are foreign; one at a job's own
path is reported by validation, because Vercel would call the job twice.

**Schedules** (:func:`vercel_schedule`). Vercel runs five-field cron in UTC, with numbers
only (no ``MON``/``JAN``), and not with both day fields restricted. A cron expression is
written in plain numeric syntax (:func:`cronix.protocol.schedule.canonical_cron`);
shortcuts, ``@every``, both day fields restricted, a non-UTC zone and schedules beyond
Vercel's documented limits are :class:`TranslationError` with the fix in the message.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix.protocol.errors import ScheduleError
from cronix.protocol.schedule import SHORTCUTS, canonical_cron, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_CRONS",
    "MAX_PATH",
    "MAX_SCHEDULE",
    "DocumentError",
    "Entry",
    "Marker",
    "TranslationError",
    "VercelDocument",
    "entry_path",
    "parse_marker",
    "vercel_schedule",
]

#: Vercel's documented limits: cron jobs per project (every plan), path and schedule length.
MAX_CRONS = 100
MAX_PATH = 512
MAX_SCHEDULE = 256
_MARKER = re.compile(
    r"(?P<job>[a-z][a-z0-9-]{0,62})\?cronix=(?P<app>[a-z][a-z0-9-]{0,62})\.(?P<idx>\d+)\.(?P<hash>[0-9a-f]{16})"
)


class TranslationError(ValueError):
    """The schedule is valid but Vercel cannot run it (the message says what to write instead)."""


class DocumentError(ValueError):
    """``vercel.json`` is not a document cronix can edit without losing something."""


def vercel_schedule(schedule: str, timezone: str, *, plan: str = "pro") -> str:
    """The ``schedule`` value Vercel runs for a manifest schedule, or :class:`TranslationError`."""
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise TranslationError(exc.message) from None
    if parsed.kind == "shortcut":
        raise TranslationError(
            f'Vercel has no shortcuts like "{parsed.source}"; '
            f'write its five fields "{SHORTCUTS[parsed.source]}" instead'
        )
    if parsed.cron is None:
        raise TranslationError(
            'Vercel has no "@every"; write a five-field cron expression (e.g. "*/5 * * * *" for @every 5m)'
        )
    c = parsed.cron
    if not c.dom_any and not c.dow_any:
        raise TranslationError(
            f'"{parsed.source}" restricts both the day of the month and the day of the week, which Vercel '
            "does not allow; split it into two schedules, one with each day field"
        )
    if plan == "hobby" and len(c.minutes) * len(c.hours) > 1:
        raise TranslationError(
            f'"{parsed.source}" runs more than once a day, which the Hobby plan does not allow (plan: hobby)'
        )
    text = canonical_cron(c.raw)
    if len(text) > MAX_SCHEDULE:
        raise TranslationError(f"the schedule is {len(text)} characters; Vercel allows {MAX_SCHEDULE}")
    return text


# ---------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class Marker:
    app: str
    job: str
    index: int
    hash: str


def entry_path(prefix: str, app: str, job: str, index: int, hash_: str) -> str:
    return f"{prefix}{job}?cronix={app}.{index}.{hash_}"


def parse_marker(prefix: str, path: str) -> Marker | None:
    """The ownership a path carries, or ``None`` for an entry cronix does not own."""
    if not path.startswith(prefix):
        return None
    match = _MARKER.fullmatch(path[len(prefix) :])
    if match is None:
        return None
    return Marker(match["app"], match["job"], int(match["idx"]), match["hash"])


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``crons`` element: its JSON value, and its ownership when cronix wrote it."""

    value: Any
    marker: Marker | None = None

    @property
    def path(self) -> str | None:
        path = self.value.get("path") if isinstance(self.value, dict) else None
        return path if isinstance(path, str) else None

    @property
    def schedule(self) -> str | None:
        schedule = self.value.get("schedule") if isinstance(self.value, dict) else None
        return schedule if isinstance(schedule, str) else None


# ---------------------------------------------------------------- the document


@dataclass(frozen=True, slots=True)
class VercelDocument:
    """The file as a value: top-level keys in order, and the ``crons`` entries in order."""

    top: dict[str, Any]
    entries: tuple[Entry, ...]
    #: ``crons`` was in the file (an empty list is kept, an absent one is not added for nothing).
    has_crons: bool

    @classmethod
    def parse(cls, data: bytes, prefix: str) -> VercelDocument:
        if not data.strip():
            return cls({}, (), False)
        try:
            value = json.loads(
                data.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float
            )
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not UTF-8 text (byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise DocumentError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        if not isinstance(value, dict):
            raise DocumentError(f"the top level must be a JSON object, not {_kind(value)}")
        crons = value.get("crons", [])
        if not isinstance(crons, list):
            raise DocumentError(f'"crons" must be an array, not {_kind(crons)}')
        entries = []
        for item in crons:
            path = item.get("path") if isinstance(item, dict) else None
            marker = parse_marker(prefix, path) if isinstance(path, str) else None
            entries.append(Entry(item, marker))
        return cls(value, tuple(entries), "crons" in value)

    def with_entries(self, entries: Sequence[Entry]) -> VercelDocument:
        return VercelDocument(self.top, tuple(entries), self.has_crons or bool(entries))

    def value(self) -> dict[str, Any]:
        """The whole document as one JSON value (``crons`` where it was, or last)."""
        out = dict(self.top)
        if self.has_crons or self.entries:
            out["crons"] = [e.value for e in self.entries]
        return out

    def render(self) -> bytes:
        return (json.dumps(self.value(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def same_as(self, other: VercelDocument) -> bool:
        """Equal as JSON values, object key order included (formatting aside)."""
        return bool(_ordered(self.value()) == _ordered(other.value()))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError(f'duplicate key "{key}"')
        out[key] = value
    return out


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DocumentError(f"the number {text} is out of range")
    return value


def _constant(name: str) -> Any:
    raise DocumentError(f"{name} is not JSON")


def _ordered(value: Any) -> Any:
    """A comparable form that keeps object key order and tells 1 from 1.0 and true."""
    if isinstance(value, dict):
        return ("{", tuple((k, _ordered(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_ordered(v) for v in value))
    return (type(value).__name__, value)


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")
