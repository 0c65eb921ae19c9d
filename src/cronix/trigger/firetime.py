"""The intended fire time (``X-Cron-Fire-Time``): when the scheduler meant to fire (D-204).

In order: the scheduler says so (``--fire-time`` or ``$CRONIX_FIRE_TIME``, Unix seconds
or RFC 3339 — e.g. EventBridge's scheduled time); otherwise the most recent instant of the
job's schedules at or before now, if it lies within the last :data:`WINDOW_SECONDS` (cron
starts jobs a second or two late, so a shim started at 12:00:01.6 reports 12:00:00);
otherwise now (a manual run, or a host far behind). "Now" is the moment the scheduler
started the fire when it tells (a systemd timer's ``$TRIGGER_TIMER_REALTIME_USEC``, which
systemd 252 sets for timer-activated services), so a slow start cannot push the shim past
the window.
The reference always sends the shim's start time.

The occurrence's schedule index (for ``X-Cron-Fire-Id``, D-500) is the spec file's
``schedule_index`` when that schedule fires at the intended time (Kubernetes and
EventBridge write one spec per schedule), else the first schedule that does (crontab
and systemd write one spec per job, always index 0), else the spec's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "LATEST_FIRE_TIME",
    "WINDOW_SECONDS",
    "intended_fire_time",
    "occurrence_index",
    "parse_fire_time",
    "scheduled_in_window",
    "zone_of",
]

WINDOW_SECONDS = 60


#: The last second RFC 3339 can write (9999-12-31T23:59:59Z): headers, fire ids and the run
#: log all carry the fire time, so a later one is refused up front, not mid-fire.
LATEST_FIRE_TIME = 253402300799


def parse_fire_time(text: str) -> int:
    """Unix seconds from ``1730000000`` or an RFC 3339 time; :class:`ValueError` otherwise.

    The time must lie in 1970-01-01T00:00:01Z … 9999-12-31T23:59:59Z.
    """
    text = text.strip()
    if text.isascii() and text.isdigit():
        seconds = int(text[:20])  # more digits than that are out of range anyway
    else:
        try:
            when = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise ValueError(f"fire time must be Unix seconds or RFC 3339, got {text[:64]!r}") from None
        if when.tzinfo is None:
            raise ValueError(f"fire time needs a UTC offset (…Z or …+02:00), got {text[:64]!r}")
        seconds = int(when.timestamp())
    if not 0 < seconds <= LATEST_FIRE_TIME:
        raise ValueError(
            f"fire time must lie between 1970 and the end of year 9999 (Unix seconds 1…{LATEST_FIRE_TIME}), "
            f"got {text[:64]!r}"
        )
    return seconds


def zone_of(timezone: str) -> tzinfo | None:
    """The job's zone (``None`` for a name this host cannot load)."""
    if not timezone or timezone == "UTC":  # zoneinfo costs a few ms of start-up; UTC is the default
        return UTC
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(timezone)
    except (ValueError, OSError):
        return None


def intended_fire_time(
    schedules: Sequence[str], timezone: str, now: float, window: int = WINDOW_SECONDS
) -> int:
    """The latest scheduled instant in ``(now − window, now]``, else ``int(now)``."""
    found = scheduled_in_window(schedules, timezone, now, window)
    return int(now) if found is None else found


def scheduled_in_window(
    schedules: Sequence[str], timezone: str, now: float, window: int = WINDOW_SECONDS
) -> int | None:
    """The latest scheduled instant of ``schedules`` in ``(now − window, now]``, or ``None``."""
    from cronix.protocol.firetimes import fire_times

    tz = zone_of(timezone)
    if tz is None:
        return None
    current = datetime.fromtimestamp(now, UTC)
    after = current - timedelta(seconds=window)
    best: datetime | None = None
    for expr in schedules:
        try:
            for when in fire_times(expr, tz, after):
                if when > current:
                    break
                if best is None or when > best:
                    best = when
        except ValueError:  # an unparseable schedule: no hint from it
            continue
    return int(best.timestamp()) if best is not None else None


def occurrence_index(schedules: Sequence[str], timezone: str, when: int, preferred: int) -> int:
    """Which schedule the occurrence at ``when`` belongs to (see the module docstring)."""
    from cronix.protocol.firetimes import fire_times

    tz = zone_of(timezone)
    try:
        before = datetime.fromtimestamp(when - 1, UTC)
    except (ValueError, OverflowError, OSError):  # beyond what datetime can say
        return preferred
    if tz is None:
        return preferred

    def fires_then(index: int) -> bool:
        try:
            first = next(iter(fire_times(schedules[index], tz, before)), None)
        except (ValueError, OverflowError):
            return False
        return first is not None and int(first.timestamp()) == when

    if 0 <= preferred < len(schedules) and fires_then(preferred):
        return preferred
    return next((i for i in range(len(schedules)) if fires_then(i)), preferred)
