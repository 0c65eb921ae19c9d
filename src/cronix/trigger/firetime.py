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
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["WINDOW_SECONDS", "intended_fire_time", "parse_fire_time"]

WINDOW_SECONDS = 60


def parse_fire_time(text: str) -> int:
    """Unix seconds from ``1730000000`` or an RFC 3339 time; :class:`ValueError` otherwise."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"fire time must be Unix seconds or RFC 3339, got {text!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"fire time needs a UTC offset (…Z or …+02:00), got {text!r}")
    return int(when.timestamp())


def intended_fire_time(schedules: Sequence[str], timezone: str, now: float) -> int:
    """The latest scheduled instant in ``(now − WINDOW_SECONDS, now]``, else ``int(now)``."""
    from datetime import tzinfo

    from cronix.protocol.firetimes import fire_times

    tz: tzinfo = UTC
    if timezone and timezone != "UTC":  # zoneinfo costs a few ms of start-up; UTC is the default
        from zoneinfo import ZoneInfo

        try:
            tz = ZoneInfo(timezone)
        except (ValueError, OSError):
            return int(now)
    current = datetime.fromtimestamp(now, UTC)
    after = current - timedelta(seconds=WINDOW_SECONDS)
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
    return int(best.timestamp()) if best is not None else int(now)
