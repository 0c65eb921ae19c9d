"""Manifest schedules as EventBridge Scheduler expressions: ``cron(…)`` and ``rate(…)`` (DESIGN §3 item 6).

Pure functions over strings (no boto3), so the rules can be property-tested and
benchmarked alone. The translation works from the value sets :mod:`cronix.protocol.schedule`
parsed, never from the text, so names, ``?``, robfig's ``*-5`` and ``N/S`` quirks all come
out right. What EventBridge's six-field ``cron(min hour day-of-month month day-of-week
year)`` needs, as AWS documents it:

* day-of-week is ``1-7`` with ``1 = SUN`` (cron's ``0 = SUN``), or names: cronix writes
  names (``MON-FRI``) so no reader has to remember which numbering applies;
* exactly one of the two day fields is ``?``. Cron's rule is "both restricted ⇒ a day
  matches if *either* matches, otherwise both must", and a single AWS expression can say
  neither "either" nor "both restricted": such schedules are a validation error that
  says why and how to split them;
* ``/`` means ``start/step`` up to the field's maximum (``0/15``), and is not documented
  for day-of-week, where lists are written instead;
* the year field is ``*``.

``@every N`` fires at the multiples of N since the Unix epoch (:mod:`cronix.protocol.firetimes`).
When some ``cron()`` fires at exactly those instants it is used, in UTC (epoch alignment
does not depend on the job's zone): N dividing an hour (``@every 15m`` →
``cron(0/15 * * * ? *)``), a whole number of hours dividing a day, or one week (the epoch
was a Thursday). Otherwise ``rate(N minutes|hours|days)``, which EventBridge counts from
the schedule's creation, so its phase differs from the protocol's — a plan warning says
so. EventBridge fires at minute precision: an ``@every`` that is not whole minutes is an
error.

Daylight saving time: EventBridge skips a cron time that falls in a spring-forward gap
and runs a time repeated by a fall-back transition once. Cron (and the protocol) runs a
fixed-time job skipped by a gap at the end of the gap, and other jobs twice in a repeated
hour. :func:`dst_differences` finds the dates where that makes a schedule fire differently
in its zone, for a plan warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from cronix.protocol.errors import ScheduleError
from cronix.protocol.firetimes import fire_times
from cronix.protocol.schedule import FIELD_BOUNDS, CronFields, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "AwsExpression",
    "AwsTranslationError",
    "dst_differences",
    "translate",
]

#: ``ScheduleExpression`` is at most 256 characters (the API's own limit).
MAX_EXPRESSION_LENGTH = 256
_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_WEEK = 7 * 24 * 60
#: 1970-01-01, the epoch, was a Thursday: ``@every 168h`` fires on Thursdays at 00:00 UTC.
_EPOCH_WEEKDAY = 4


class AwsTranslationError(ValueError):
    """The schedule is valid but EventBridge Scheduler cannot express it."""


@dataclass(frozen=True, slots=True)
class AwsExpression:
    """What one schedule becomes: ``ScheduleExpression`` and ``ScheduleExpressionTimezone``.

    ``warning`` is set when the expression fires at the right interval but not at the
    protocol's instants (a ``rate()``).
    """

    expression: str
    timezone: str
    warning: str = ""


@lru_cache(maxsize=65536)
def translate(schedule: str, timezone: str) -> AwsExpression:
    """The EventBridge expression for one manifest schedule of a job in ``timezone``."""
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise AwsTranslationError(exc.message) from None
    if parsed.every_seconds is not None:
        return _every(parsed.source, parsed.every_seconds)
    assert parsed.cron is not None
    expression = f"cron({_cron_fields(parsed.cron)} *)"
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise AwsTranslationError(
            f"the EventBridge expression would be {len(expression)} characters, over the limit of "
            f"{MAX_EXPRESSION_LENGTH}; use fewer list elements"
        )
    return AwsExpression(expression, timezone or "UTC")


def _every(source: str, seconds: int) -> AwsExpression:
    if seconds % 60:
        raise AwsTranslationError(
            f'EventBridge Scheduler fires at minute precision and cannot express "{source}": '
            "use a whole number of minutes"
        )
    minutes = seconds // 60
    if 60 % minutes == 0:
        return AwsExpression(f"cron({_numbers(range(0, 60, minutes), 0, 59)} * * * ? *)", "UTC")
    if minutes % 60 == 0 and 24 % (minutes // 60) == 0:
        hours = _numbers(range(0, 24, minutes // 60), 0, 23)
        return AwsExpression(f"cron(0 {hours} * * ? *)", "UTC")
    if minutes == _WEEK:
        return AwsExpression(f"cron(0 0 ? * {_DOW_NAMES[_EPOCH_WEEKDAY]} *)", "UTC")
    if minutes % 1440 == 0:
        value, unit = minutes // 1440, "days"
    elif minutes % 60 == 0:
        value, unit = minutes // 60, "hours"
    else:
        value, unit = minutes, "minutes"
    warning = (
        f'"{source}" becomes rate({value} {unit}): EventBridge counts a rate from the moment the '
        "schedule is created (or updated), so it fires every "
        f"{value} {unit} but not at the protocol's epoch-aligned times"
    )
    return AwsExpression(f"rate({value} {unit})", "UTC", warning)


def _cron_fields(c: CronFields) -> str:
    (min_lo, min_hi, _), (hour_lo, hour_hi, _), _, (mon_lo, mon_hi, _), _ = FIELD_BOUNDS
    dom, dow = _day_fields(c)
    minutes, hours = _numbers(c.minutes, min_lo, min_hi), _numbers(c.hours, hour_lo, hour_hi)
    return f"{minutes} {hours} {dom} {_numbers(c.months, mon_lo, mon_hi)} {dow}"


def _day_fields(c: CronFields) -> tuple[str, str]:
    """``(day-of-month, day-of-week)`` with exactly one of them ``?``, or an error saying why not."""
    dom_lo, dom_hi, _ = FIELD_BOUNDS[2]
    dow_lo, dow_hi, _ = FIELD_BOUNDS[4]
    all_days = len(c.days) == dom_hi - dom_lo + 1
    all_weekdays = len(c.weekdays) == dow_hi - dow_lo + 1
    dom_text, dow_text = c.raw[2], c.raw[4]
    if not (c.dom_any or c.dow_any):
        # Vixie cron's OR rule: a day runs when either field matches.
        if all_days or all_weekdays:
            return "*", "?"
        minute, hour, _, month, _ = c.raw
        raise AwsTranslationError(
            f'both day fields are restricted (day-of-month "{dom_text}", day-of-week "{dow_text}"), so cron '
            "runs on days that match either one; an EventBridge cron() can restrict only one of them. "
            f'Split it into two schedules: "{minute} {hour} {dom_text} {month} *" and '
            f'"{minute} {hour} * {month} {dow_text}"'
        )
    # One field starts with * or ?: a day runs when both match.
    if all_days:
        return ("*", "?") if all_weekdays else ("?", _weekdays(c.weekdays))
    if all_weekdays:
        return _numbers(c.days, dom_lo, dom_hi), "?"
    raise AwsTranslationError(
        f'day-of-month "{dom_text}" and day-of-week "{dow_text}" must both match for cron to run, and an '
        "EventBridge cron() can restrict only one of the two day fields"
    )


def _numbers(values: Iterable[int], lo: int, hi: int) -> str:
    """A value set as AWS cron text: ``*``, ``start/step`` (to the maximum), or ranges and numbers."""
    ordered = sorted(set(values))
    if ordered == list(range(lo, hi + 1)):
        return "*"
    if len(ordered) > 2:
        step = ordered[1] - ordered[0]
        if step > 1 and ordered == list(range(ordered[0], hi + 1, step)):
            return f"{ordered[0]}/{step}"
    return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in _runs(ordered))


def _weekdays(values: Iterable[int]) -> str:
    """Cron weekdays (0 = Sunday) as AWS names, ``MON-FRI`` style (no ``/`` in this field)."""
    return ",".join(
        f"{_DOW_NAMES[a]}-{_DOW_NAMES[b]}" if a != b else _DOW_NAMES[a] for a, b in _runs(sorted(set(values)))
    )


def _runs(ordered: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in ordered:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


# ---------------------------------------------------------------- daylight saving time


def dst_differences(schedule: str, timezone: str, *, start: datetime, years: int = 2) -> list[date]:
    """Local dates within ``years`` of ``start`` where EventBridge fires ``schedule`` differently.

    On a transition day the protocol's fire times are compared with EventBridge's rule:
    a fire at a wall-clock time the schedule does not name is cron running a job after a
    spring-forward gap (EventBridge skips it); two fires at the same wall-clock time are
    cron running in both copies of a repeated hour (EventBridge runs once).
    """
    if timezone in ("", "UTC"):
        return []
    # A transition just before noon UTC of the start day still counts.
    return list(_dst_differences(schedule, timezone, start.astimezone(UTC).date() - timedelta(days=1), years))


@lru_cache(maxsize=4096)
def _dst_differences(schedule: str, timezone: str, first: date, years: int) -> tuple[date, ...]:
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError:
        return ()
    tz = _zone(timezone)
    if parsed.cron is None or tz is None:
        return ()  # @every is translated in UTC
    named = {(h, m) for h in parsed.cron.hours for m in parsed.cron.minutes}
    found: list[date] = []
    for before, after in _transition_windows(timezone, first, years):
        seen: set[datetime] = set()
        for when in fire_times(parsed, tz, before):
            if when > after:
                break
            wall = when.replace(tzinfo=None, fold=0)
            if (wall.hour, wall.minute) not in named or wall in seen:
                found.append(wall.date())
                break
            seen.add(wall)
    return tuple(found)


@lru_cache(maxsize=512)
def _transition_windows(timezone: str, first: date, years: int) -> tuple[tuple[datetime, datetime], ...]:
    """``(before, after)`` UTC instants one day apart around each UTC-offset change."""
    tz = _zone(timezone)
    if tz is None:
        return ()
    windows = []
    noon = datetime(first.year, first.month, first.day, 12, tzinfo=UTC)
    offset = noon.astimezone(tz).utcoffset()
    for _ in range(years * 366):
        following = noon + timedelta(days=1)
        next_offset = following.astimezone(tz).utcoffset()
        if next_offset != offset:
            windows.append((noon, following))
        noon, offset = following, next_offset
    return tuple(windows)


@lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo | None:
    from zoneinfo import ZoneInfo  # not at module level: plan-time only, and ~2 ms

    try:
        return ZoneInfo(name)
    except (ValueError, OSError):
        return None
