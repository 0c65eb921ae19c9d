"""When a schedule fires: next fire times in the job's timezone, correct across DST.

The rules are those of Vixie/Debian cron, the scheduler cronix most often writes to:

* Day matching: when *both* day-of-month and day-of-week are restricted (neither field
  starts with ``*`` or ``?``) a day matches if either matches; otherwise both must.
* Jobs at a fixed wall-clock time (neither minute nor hour starts with ``*``/``?``) run
  once per matching wall-clock time: a time skipped by a spring-forward transition runs
  at the first minute after the gap, and a time repeated by a fall-back transition runs
  only at its first occurrence.
* All other jobs fire at every real instant whose local time matches: nothing inside a
  gap, twice in a repeated hour (an hourly job really does run each hour).
* ``@every N`` fires at the multiples of N seconds since the Unix epoch. Host schedulers
  differ here (crontab and systemd align to the wall clock, EventBridge's ``rate()`` to
  the schedule's creation), so this is a preview, not a promise.

The independent library cronsim implements the same cron rules; the test suite checks
agreement on random expressions across DST-observing zones.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING

from cronix.protocol.schedule import CronFields, Schedule, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["day_matches", "fire_times", "next_fire_after", "next_fire_times", "wall_time_matches"]

# A schedule with no match within this many years never fires (e.g. "0 0 30 2 *").
_HORIZON_YEARS = 50
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


def next_fire_times(schedule: str | Schedule, tz: tzinfo, after: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (an aware datetime), in ``tz``.

    Fewer are returned only for a schedule that can never fire again.
    """
    return list(islice(fire_times(schedule, tz, after), count))


def next_fire_after(schedules: Iterable[str | Schedule], tz: tzinfo, after: datetime) -> datetime | None:
    """The first fire of *any* of ``schedules`` strictly after ``after``; ``None`` if none ever fires.

    A job's next expected occurrence: the trigger exports it after every fire and the alert
    rules compare the clock with it, so "missed" follows the real calendar (weekdays only,
    month ends, DST) instead of a fixed period. A schedule that does not parse is skipped.
    """
    best: datetime | None = None
    for schedule in schedules:
        try:
            first = next(fire_times(schedule, tz, after), None)
        except ValueError:
            continue
        if first is not None and (best is None or first < best):
            best = first
    return best


def fire_times(schedule: str | Schedule, tz: tzinfo, after: datetime) -> Iterator[datetime]:
    """Iterate fire times strictly after ``after``, as aware datetimes in ``tz``."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after must be timezone-aware")
    sched = parse_schedule(schedule) if isinstance(schedule, str) else schedule
    after_utc = after.astimezone(UTC)
    if sched.every_seconds is not None:
        return _every(sched.every_seconds, tz, after_utc)
    assert sched.cron is not None
    return _cron(sched.cron, tz, after_utc)


def _every(interval: int, tz: tzinfo, after_utc: datetime) -> Iterator[datetime]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    n = int((after_utc - epoch).total_seconds()) // interval + 1
    while True:
        yield (epoch + timedelta(seconds=n * interval)).astimezone(tz)
        n += 1


@lru_cache(maxsize=1024)
def _times_of_day(hours: frozenset[int], minutes: frozenset[int]) -> list[tuple[int, int]]:
    # Cached: the trigger's guard and plan previews ask for one schedule's next fire many times.
    return sorted((h, m) for h in hours for m in minutes)


def _cron(c: CronFields, tz: tzinfo, after_utc: datetime) -> Iterator[datetime]:
    times = _times_of_day(c.hours, c.minutes)
    if not times or not c.months:
        return
    fixup = c.fixed_time and not _is_fixed_offset(tz)
    day = after_utc.astimezone(tz).date()
    horizon = day.replace(year=min(day.year + _HORIZON_YEARS, 9998), day=1)
    cursor: datetime | None = None  # fixed-time mode: last wall-clock time emitted
    while day <= horizon:
        if day.month not in c.months:
            day = _first_of_next_month(day)
            continue
        if day_matches(c, day):
            instants: Iterable[datetime]
            if fixup:
                instants, cursor = _fixed_time_instants(day, times, tz, cursor)
            else:
                instants = _real_instants(day, times, tz, after_utc)
            for instant in instants:
                if instant > after_utc:
                    yield instant.astimezone(tz)
        day += _DAY


def wall_time_matches(c: CronFields, wall: datetime) -> bool:
    """Whether the local wall-clock time ``wall`` (naive, whole minutes) matches the fields."""
    return wall.minute in c.minutes and wall.hour in c.hours and day_matches(c, wall.date())


def day_matches(c: CronFields, d: date) -> bool:
    """Whether ``d`` is a day the fields run on (month, then cron's day-of-month/day-of-week rule)."""
    if d.month not in c.months:
        return False
    dom = d.day in c.days
    dow = (d.weekday() + 1) % 7 in c.weekdays  # cron: 0 = Sunday
    if c.dom_any or c.dow_any:
        return dom and dow
    return dom or dow


def _real_instants(
    day: date, times: list[tuple[int, int]], tz: tzinfo, after_utc: datetime
) -> Iterable[datetime]:
    """Every real instant of ``day`` whose local time is in ``times``, in order (lazily on the
    fast path, so the next fire of a dense schedule costs one instant, not a day of them)."""
    midnight = datetime(day.year, day.month, day.day)
    offset = tz.utcoffset(midnight)
    assert offset is not None
    if offset == tz.utcoffset(midnight + _DAY) and not _is_imaginary(midnight, tz):
        # No transition today: local time maps to UTC by one offset. Skip to the first
        # time after ``after`` so "next fire" on a dense schedule does not build a day.
        first_local = (after_utc + offset).replace(tzinfo=None)
        start = 0
        if first_local.date() == day:
            start = bisect.bisect_right(times, (first_local.hour, first_local.minute))
        base = (midnight - offset).replace(tzinfo=UTC)
        return (base + timedelta(hours=h, minutes=m) for h, m in times[start:])
    out: list[datetime] = []
    for h, m in times:
        wall = midnight.replace(hour=h, minute=m)
        if _is_imaginary(wall, tz):
            continue
        first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        out.append(first)
        second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if second != first:
            out.append(second)
    out.sort()
    return out


def _fixed_time_instants(
    day: date, times: list[tuple[int, int]], tz: tzinfo, cursor: datetime | None
) -> tuple[list[datetime], datetime | None]:
    """Debian cron's treatment of fixed-time jobs: gaps shift forward, repeats run once."""
    midnight = datetime(day.year, day.month, day.day)
    out: list[datetime] = []
    for h, m in times:
        wall = midnight.replace(hour=h, minute=m)
        if cursor is not None and wall <= cursor:
            continue  # a gap earlier today already shifted past this time
        while _is_imaginary(wall, tz):
            wall += _MINUTE
        out.append(wall.replace(tzinfo=tz, fold=0).astimezone(UTC))
        cursor = wall
    return out, cursor


def _is_imaginary(wall: datetime, tz: tzinfo) -> bool:
    aware = wall.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall


def _is_fixed_offset(tz: tzinfo) -> bool:
    # UTC and fixed offsets never transition; treating them like cron's UTC case keeps
    # fire-time computation on the fast path.
    return tz is UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu")


def _first_of_next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
