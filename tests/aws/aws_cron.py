"""An evaluator of EventBridge Scheduler's documented ``cron()`` and ``rate()`` semantics.

Written for the tests from the AWS documentation alone — EventBridge Scheduler User Guide,
"Schedule types on EventBridge Scheduler" (cron-based and rate-based schedules, time
zones, daylight saving time) and the EventBridge "cron expressions" reference — and
independent of :mod:`cronix.backends.aws_expressions`, whose output it judges. It is
deliberately strict: it accepts only syntax those pages document, so a translation that
relied on undocumented behaviour (``*/5``, ``a-b/s``, wrapping ranges, lowercase names)
fails here instead of in production.

What the documentation says and this module implements:

* ``cron(minutes hours day-of-month month day-of-week year)``, six fields. Minutes 0-59,
  hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT
  (1 = Sunday), year 1970-2199.
* Wildcards ``,`` (more values) ``-`` (a range) ``*`` (every value) ``/`` (``a/b``: start
  at ``a``, every ``b``) ``?`` (any, day fields only); ``L``, ``W`` and ``#`` exist but
  cronix never writes them, so they are rejected here.
* One of day-of-month and day-of-week must be ``?``: the other field alone decides the day.
* Times are evaluated in ``ScheduleExpressionTimezone``. Daylight saving: a time that
  does not exist because clocks moved forward is skipped; a time repeated because clocks
  moved back runs once.
* ``rate(value unit)``, unit ``minute(s) | hour(s) | day(s)``: every ``value`` units from
  the schedule's start.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["CronSpec", "next_fires", "parse_cron", "rate_period"]

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (low, high, names in order starting at low, allowed wildcard characters)
_FIELDS = [
    (0, 59, None, ",-*/"),
    (0, 23, None, ",-*/"),
    (1, 31, None, ",-*?/"),
    (1, 12, _MONTHS, ",-*/"),
    (1, 7, _DAYS, ",-*?"),
    (1970, 2199, None, ",-*/"),
]


class CronSpec:
    def __init__(self, fields: list[set[int] | None]) -> None:
        self.minutes, self.hours, self.dom, self.months, self.dow, self.years = fields

    def day_matches(self, d: date) -> bool:
        if self.dom is not None and d.day not in self.dom:
            return False
        # Python: Monday = 0 … Sunday = 6; AWS: Sunday = 1 … Saturday = 7.
        return self.dow is None or (d.weekday() + 1) % 7 + 1 in self.dow


def _value(text: str, low: int, names: list[str] | None) -> int:
    if names is not None and text in names:
        return low + names.index(text)
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"not a number: {text!r}")
    return int(text)


def _field(text: str, index: int) -> set[int] | None:
    low, high, names, wildcards = _FIELDS[index]
    if text == "?":
        if "?" not in wildcards:
            raise ValueError(f"? is not allowed in field {index}")
        return None
    values: set[int] = set()
    for element in text.split(","):
        if element == "*":
            values.update(range(low, high + 1))
        elif "/" in element:
            if "/" not in wildcards:
                raise ValueError(f"/ is not allowed in field {index}")
            start_text, step_text = element.split("/")
            start, step = _value(start_text, low, None), _value(step_text, low, None)
            if step < 1 or not low <= start <= high:
                raise ValueError(f"bad increment {element!r}")
            values.update(range(start, high + 1, step))
        elif "-" in element:
            a_text, b_text = element.split("-")
            a, b = _value(a_text, low, names), _value(b_text, low, names)
            if not low <= a <= b <= high:
                raise ValueError(f"bad range {element!r}")
            values.update(range(a, b + 1))
        else:
            v = _value(element, low, names)
            if not low <= v <= high:
                raise ValueError(f"value out of range {element!r}")
            values.add(v)
    return values


def parse_cron(expression: str) -> CronSpec:
    m = re.fullmatch(r"cron\((.*)\)", expression)
    if m is None:
        raise ValueError(f"not a cron() expression: {expression!r}")
    parts = m.group(1).split(" ")
    if len(parts) != 6:
        raise ValueError(f"cron() needs six fields: {expression!r}")
    if (parts[2] == "?") == (parts[4] == "?"):
        raise ValueError(f"exactly one of day-of-month and day-of-week must be ?: {expression!r}")
    fields = [_field(p, i) for i, p in enumerate(parts)]
    for i in (0, 1, 3, 5):
        if fields[i] is None:
            raise ValueError(f"field {i} cannot be ?")
    return CronSpec(fields)


def _exists(wall: datetime, tz: tzinfo) -> bool:
    there_and_back = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return there_and_back == wall


def next_fires(
    expression: str, timezone: str, after: datetime, count: int, horizon: datetime
) -> list[datetime]:
    """The first ``count`` fire instants (UTC) strictly after ``after`` and before ``horizon``."""
    spec = parse_cron(expression)
    tz = ZoneInfo(timezone)
    assert spec.minutes is not None and spec.hours is not None
    assert spec.months is not None and spec.years is not None
    times = sorted((h, m) for h in spec.hours for m in spec.minutes)
    out: list[datetime] = []
    day = after.astimezone(tz).date() - timedelta(days=1)
    while len(out) < count:
        if datetime(day.year, day.month, day.day, tzinfo=UTC) > horizon + timedelta(days=2):
            break
        if day.year not in spec.years or day.month not in spec.months or not spec.day_matches(day):
            day += timedelta(days=1)
            continue
        for h, m in times:
            wall = datetime(day.year, day.month, day.day, h, m)
            if not _exists(wall, tz):
                continue  # skipped: the clocks moved forward over it
            # fold=0 is the first of two repeated instants; the repeat does not run.
            instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
            if after < instant < horizon:
                out.append(instant)
                if len(out) == count:
                    break
        day += timedelta(days=1)
    return out


def rate_period(expression: str) -> timedelta:
    m = re.fullmatch(r"rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)", expression)
    if m is None:
        raise ValueError(f"not a rate() expression: {expression!r}")
    value, unit = int(m.group(1)), m.group(2)
    if (value == 1) != (not unit.endswith("s")):
        raise ValueError(f"the unit is singular exactly when the value is 1: {expression!r}")
    seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
    return timedelta(seconds=value * seconds)
