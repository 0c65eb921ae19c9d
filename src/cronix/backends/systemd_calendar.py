"""cron → systemd ``OnCalendar=``: the translation, and where systemd's DST rules differ from cron's.

Pure functions over :mod:`cronix.protocol` values (no I/O), so the equivalence with the
real ``systemd-analyze calendar`` can be proven on random expressions (the test suite
does, across DST zones) and every other module reuses one translation.

**Translation** (:func:`on_calendar`). A schedule is parsed by the protocol and rendered
from its *expanded value sets*, never copied textually, so every spelling cron accepts —
lists, ranges, steps, ``N/S``, ``?``, ``+5``, month and day names — means the same in the
unit. Each field becomes ``*``, a progression ``a..b/d`` (always with its end: systemd
252 mishandles an open ``a/d`` at a month boundary), a range ``a..b``, or a list;
numbers are two digits and weekdays are systemd's ``Mon``…``Sun`` in Monday-first
order, so the text is systemd's own normalized form.
The job's IANA zone is the expression's timezone suffix (``UTC`` included, so a host in
another zone fires at the same instants).

* Day rule: cron runs on a day when *either* day field matches if both are restricted
  (neither starts with ``*`` or ``?``), and when both match otherwise. A systemd
  expression's weekday and date always combine as AND, so the first case becomes two
  expressions — one with the days of the month, one with the weekdays — whose union is
  cron's OR; the second is one expression.
* Shortcuts go through their five fields: ``@weekly`` is Sunday 00:00 as in cron (systemd's
  own ``weekly`` is Monday).
* ``@every N`` fires at the multiples of N since the epoch (the protocol's fire times);
  one calendar expression in UTC describes that exactly when N is whole minutes dividing
  an hour or whole hours dividing a day. Any other interval is a :class:`TranslationError`.

**DST** (:func:`dst_differences`). systemd runs a calendar event at every real instant
whose local time matches, but at most once per local time: a wall-clock time that does
not exist (clocks spring forward) is skipped, and one that occurs twice (clocks fall back)
runs at its first occurrence only. cron (and :mod:`cronix.protocol.firetimes`) differs in
two cases, which are the only differences: a fixed-time job whose time falls in a gap
runs at the first minute after the gap (``shifted``), and a job with a wildcard minute or
hour runs again during the repeated hour (``repeated``). The function lists those
instants — where cron runs and systemd will not — so ``plan`` can warn with the dates and
the equivalence test can exclude exactly them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, NamedTuple

from cronix.protocol.errors import ScheduleError
from cronix.protocol.firetimes import fire_times, wall_time_matches
from cronix.protocol.schedule import CronFields, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["DstDifference", "TranslationError", "dst_differences", "on_calendar", "transition_days"]

#: systemd's weekday names, Monday first; cron numbers days from Sunday = 0.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ALL_DAYS = frozenset(range(1, 32))
_ALL_WEEKDAYS = frozenset(range(7))
_HOUR_DIVISORS = tuple(h for h in range(1, 25) if 24 % h == 0)
_MINUTE_DIVISORS = tuple(m for m in range(1, 61) if 60 % m == 0)


class TranslationError(ValueError):
    """The schedule has no exact systemd calendar equivalent (the message says why)."""


def on_calendar(schedule: str, timezone: str) -> tuple[str, ...]:
    """The ``OnCalendar=`` values (one or two) that fire exactly when ``schedule`` does."""
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise TranslationError(f'"{schedule}": {exc.message}') from None
    if parsed.every_seconds is not None:
        return (_every(parsed.every_seconds, parsed.source),)
    assert parsed.cron is not None
    return _cron(parsed.cron, timezone or "UTC")


def _cron(c: CronFields, zone: str) -> tuple[str, ...]:
    clock = f"{_numbers(c.hours, 0, 23)}:{_numbers(c.minutes, 0, 59)}:00 {zone}"
    months = _numbers(c.months, 1, 12)
    either = not c.dom_any and not c.dow_any
    if either and (c.days == _ALL_DAYS or c.weekdays == _ALL_WEEKDAYS):
        return (f"*-{months}-* {clock}",)  # one of the two days matches every day
    if either:
        return (
            f"*-{months}-{_numbers(c.days, 1, 31)} {clock}",
            f"{_weekdays(c.weekdays)} *-{months}-* {clock}",
        )
    dow = "" if c.weekdays == _ALL_WEEKDAYS else _weekdays(c.weekdays) + " "
    return (f"{dow}*-{months}-{_numbers(c.days, 1, 31)} {clock}",)


def _every(seconds: int, source: str) -> str:
    hours, rest = divmod(seconds, 3600)
    if rest == 0 and hours in _HOUR_DIVISORS:
        if hours == 24:
            return "*-*-* 00:00:00 UTC"
        return "*-*-* *:00:00 UTC" if hours == 1 else f"*-*-* 00..{24 - hours:02d}/{hours}:00:00 UTC"
    minutes, rest = divmod(seconds, 60)
    if rest == 0 and minutes in _MINUTE_DIVISORS:
        return "*-*-* *:*:00 UTC" if minutes == 1 else f"*-*-* *:00..{60 - minutes:02d}/{minutes}:00 UTC"
    raise TranslationError(
        f'"{source}" has no systemd calendar equivalent: a calendar event repeats on the same clock '
        f"times every day, so only intervals of whole minutes dividing an hour "
        f"({', '.join(map(str, _MINUTE_DIVISORS))}) or whole hours dividing a day "
        f"({', '.join(map(str, _HOUR_DIVISORS))}) translate; use a cron expression instead"
    )


def _numbers(values: frozenset[int], lo: int, hi: int) -> str:
    """A value set as systemd writes it: ``*``, ``a..b/d``, ``a..b`` or a list."""
    ordered = sorted(values)
    if len(ordered) == hi - lo + 1:
        return "*"
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        if all(b - a == step for a, b in pairwise(ordered)):
            first, last = ordered[0], ordered[-1]
            if step == 1:
                return f"{first:02d}..{last:02d}"
            # Always with its end: systemd 252 carries an open "a/d" past the field's end
            # into the next month wrongly (00/5 on Mar 31 20:00 → Apr 1 05:00, skipping 00:00).
            return f"{first:02d}..{last:02d}/{step}"
    return ",".join(_runs(ordered, lambda v: f"{v:02d}"))


def _weekdays(values: frozenset[int]) -> str:
    monday_first = sorted((v + 6) % 7 for v in values)
    return ",".join(_runs(monday_first, lambda v: WEEKDAYS[v]))


def _runs(ordered: list[int], show: Callable[[int], str]) -> list[str]:
    """Maximal runs of consecutive values: ``a..b`` for three or more, else each value."""
    out: list[str] = []
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            run = ordered[start:i]
            if len(run) >= 3:
                out.append(f"{show(run[0])}..{show(run[-1])}")
            else:
                out.extend(show(v) for v in run)
            start = i
    return out


# ---------------------------------------------------------------- DST


class DstDifference(NamedTuple):
    """An instant cron runs the schedule at and systemd does not (aware, in the job's zone)."""

    instant: datetime
    kind: Literal["shifted", "repeated"]


def dst_differences(schedule: str, tz: tzinfo, after: datetime, until: datetime) -> list[DstDifference]:
    """Where cron's DST rules and systemd's part, for fire times in ``(after, until]``, in order."""
    parsed = parse_schedule(schedule)
    if parsed.cron is None:  # @every runs in UTC: no wall clock, no DST
        return []
    cron = parsed.cron
    found: dict[datetime, DstDifference] = {}
    for day in transition_days(tz, after.astimezone(tz).date(), until.astimezone(tz).date()):
        # A gap can push a fixed-time run past midnight: look from noon before to noon after.
        start = _local(datetime.combine(day - timedelta(days=1), datetime.min.time()).replace(hour=12), tz)
        stop = start + timedelta(days=2)
        for when in fire_times(parsed, tz, max(start, after)):
            if when > stop or when > until:
                break
            kind = _difference(cron, when)
            if kind is not None:
                found[when] = DstDifference(when, kind)
    return [found[k] for k in sorted(found)]


def _difference(cron: CronFields, when: datetime) -> Literal["shifted", "repeated"] | None:
    wall = when.replace(tzinfo=None, fold=0)
    if when.fold == 1 and when.replace(fold=0).utcoffset() != when.utcoffset():
        return "repeated"  # the second occurrence of this local time
    if not wall_time_matches(cron, wall):
        return "shifted"  # moved out of a gap to the first minute after it
    return None


def transition_days(tz: tzinfo, first: date, last: date) -> Iterable[date]:
    """The days in ``[first, last]`` on which the zone's UTC offset changes."""
    if tz is UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC"):
        return ()
    return _transition_days(tz, first, last)


@lru_cache(maxsize=1024)
def _transition_days(tz: tzinfo, first: date, last: date) -> tuple[date, ...]:
    # Cached: planning a manifest asks the same zone and year for every job.
    out = []
    day = first
    offset = _offset(tz, day)
    while day <= last:
        following = day + timedelta(days=1)
        after = _offset(tz, following)
        if after != offset:
            out.append(day)
        day, offset = following, after
    return tuple(out)


def _offset(tz: tzinfo, day: date) -> timedelta | None:
    return tz.utcoffset(datetime(day.year, day.month, day.day))


def _local(wall: datetime, tz: tzinfo) -> datetime:
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
