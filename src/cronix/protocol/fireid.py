"""Occurrence identity: ``fire_id = "<app>.<job>#<index>@<scheduled UTC time>"`` (DESIGN §6).

One occurrence of one schedule of one job, identical on every delivery of it: every
attempt of one ``cronix trigger`` run, every retry of a managed scheduler, every
duplicate an at-least-once system sends. It is the key of the managed scheduler's dedup
(``spec/managed-scheduler.md``) and of the SDK's claims on both fire strategies, so a
redelivered occurrence runs its handler once.

The time is the *scheduled* instant, not when anything actually ran, written as RFC 3339
in UTC with second precision and a ``Z``: ``billing.ping#0@2026-01-01T00:00:00Z``. The
trigger formats one on every fire, so formatting needs :mod:`time` and :mod:`re` only (no
``dataclasses``, whose ``inspect`` costs milliseconds; :mod:`calendar` only to parse).
"""

from __future__ import annotations

import re
import time
from typing import Any

from cronix.protocol.identifiers import ID_PATTERN

__all__ = ["MAX_INDEX", "FireId", "format_fire_id", "format_utc", "parse_fire_id", "parse_utc"]

#: A manifest job has at most 64 schedules (``LIMITS.MAX_SCHEDULES``).
MAX_INDEX = 63
_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_FIRE_ID = re.compile(rf"({ID_PATTERN.pattern})\.({ID_PATTERN.pattern})#(0|[1-9][0-9]?)@(.+)")
# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what four year digits can say.
_MIN_SECONDS = -62135596800
_MAX_SECONDS = 253402300799


class FireId:
    """A parsed fire id; ``scheduled`` is Unix seconds (UTC). Immutable, compared by value."""

    __slots__ = ("app", "index", "job", "scheduled")
    app: str
    job: str
    index: int
    scheduled: int

    def __init__(self, app: str, job: str, index: int, scheduled: int) -> None:
        for name, value in (("app", app), ("job", job), ("index", index), ("scheduled", scheduled)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FireId is immutable")

    def _key(self) -> tuple[str, str, int, int]:
        return (self.app, self.job, self.index, self.scheduled)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FireId) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"FireId({self.app!r}, {self.job!r}, {self.index}, {self.scheduled})"

    def __str__(self) -> str:
        return format_fire_id(self.app, self.job, self.index, self.scheduled)

    @property
    def target(self) -> str:
        """``<app>.<job>``, the trigger argument and the JWT subject."""
        return f"{self.app}.{self.job}"


def format_utc(seconds: int) -> str:
    """Unix seconds as ``YYYY-MM-DDTHH:MM:SSZ``; :class:`ValueError` outside years 1–9999."""
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise ValueError(f"time {seconds} is outside the years 1-9999")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def parse_utc(text: str) -> int:
    """``YYYY-MM-DDTHH:MM:SSZ`` (exactly that form) as Unix seconds; :class:`ValueError` otherwise."""
    import calendar  # parsing is not on the trigger's path

    m = _UTC.fullmatch(text)
    if m is None:
        raise ValueError(f"expected a UTC time like 2026-01-01T00:00:00Z, got {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups())
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"{text!r} is not a calendar date")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def format_fire_id(app: str, job: str, index: int, scheduled: int) -> str:
    """The fire id of schedule ``index`` of ``<app>.<job>`` at Unix second ``scheduled``."""
    if not 0 <= index <= MAX_INDEX:
        raise ValueError(f"schedule index {index} is outside 0..{MAX_INDEX}")
    return f"{app}.{job}#{index}@{format_utc(scheduled)}"


def parse_fire_id(text: str) -> FireId:
    """Parse a fire id; :class:`ValueError` names what is wrong (never echoes more than 80 chars)."""
    m = _FIRE_ID.fullmatch(text) if len(text) <= 200 else None
    if m is None:
        raise ValueError(f"not a fire id (<app>.<job>#<index>@<UTC time>): {text[:80]!r}")
    app, job, index, when = m.groups()
    return FireId(app, job, int(index), parse_utc(when))
