"""A job in any IANA zone on a cron that fires in the host's zone: the union line (D-725).

Debian's cron has no ``CRON_TZ``: it matches every line against the host's wall clock. A
job whose zone is not the host's is installed at the *host* times that can be one of its
occurrences — the union over every offset between the two zones in the coming year — and
``cronix trigger --guard N`` skips, in a few milliseconds, a start whose minute is not an
occurrence of schedule ``N`` in the job's zone (:mod:`cronix.trigger.guard`). Fields are
widened only where needed:

* time of day: every matching local time ``(hour, minute)`` of the schedule, shifted by
  every host-minus-job offset ``d`` the year has (whole, half or 45 minutes), projected
  back onto a minute and an hour field; a field whose values did not change keeps its
  text, so ``*/15`` stays ``*/15`` and ``*`` stays ``*``;
* days: when a shift carries a time over midnight, day of month, month and day of week
  gain the neighbouring values (with month ends: day 31 + 1 is day 1 of the next month);
  a ``*`` day field stays ``*``, so cron's day rule (either day field when both are
  restricted, both otherwise) reads the same as the schedule's;
* DST in the job's zone: a fixed-time schedule whose local time falls into a
  spring-forward gap fires at the first minute after it (:mod:`cronix.protocol.firetimes`,
  Debian cron's rule); that instant is added explicitly for every gap of the year;
* DST in the host's zone: cron runs a fixed-time line only in the first pass of a repeated
  hour, so when an occurrence falls into a second pass the hour field becomes ``*`` (a
  wildcard line, which cron runs in both passes).

Why this is exact: every occurrence's host wall time matches the line (it is in the
union), cron starts the line at that instant (no occurrence sits in a host gap, and the
second pass of a host fold gets a wildcard line), and the guard passes exactly the
occurrences. ``tests/reconcile/test_crontab_zones.py`` proves it against
:func:`cronix.protocol.firetimes.fire_times` for every minute of two years.

Pure functions over values (the clock is a parameter); the offsets of a zone pair over a
year are computed once per day and pair.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from cronix.protocol.dst import transitions
from cronix.protocol.firetimes import fire_times
from cronix.protocol.schedule import parse_schedule

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cronix.protocol.schedule import CronFields

__all__ = ["HORIZON_DAYS", "HostLine", "host_line", "zone_offsets"]

#: How far ahead the offsets of both zones are read (a year, and a month to spare).
HORIZON_DAYS = 400
_MONTH_ENDS = frozenset({28, 29, 30, 31})


class HostLine(NamedTuple):
    """The five fields to install, and whether the trigger must guard (``--guard N``)."""

    fields: str
    guarded: bool


class _Offsets(NamedTuple):
    #: Every host-minus-job offset in minutes the horizon has.
    deltas: frozenset[int]
    #: Instants where the job's zone springs forward (the first real instant after each gap).
    job_gaps: tuple[datetime, ...]
    #: ``(start, end)`` of each second pass of a repeated host hour (host fall-back).
    host_folds: tuple[tuple[datetime, datetime], ...]
    #: Both zones have the same offset at every instant of the horizon.
    identical: bool


def host_line(cron5: str, job_zone: str, host_zone: str, now: datetime) -> HostLine:
    """The line for ``cron5`` (five canonical fields, in ``job_zone``) on a cron in ``host_zone``."""
    offsets = zone_offsets(job_zone, host_zone, now.astimezone(UTC).date().isoformat())
    if offsets.identical:
        return HostLine(cron5, guarded=False)
    return HostLine(_union(cron5, job_zone, host_zone, offsets), guarded=True)


@lru_cache(maxsize=256)
def zone_offsets(job_zone: str, host_zone: str, day: str) -> _Offsets:
    """The offsets of the pair from ``day`` (ISO date, UTC) over :data:`HORIZON_DAYS`.

    Each zone's transitions are found to the minute (hourly samples, then bisection); the
    offsets between consecutive transitions of either zone give every delta exactly.
    """
    z, h = ZoneInfo(job_zone), ZoneInfo(host_zone)
    start = datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(days=1)
    end = start + timedelta(days=HORIZON_DAYS + 1)
    z_changes, h_changes = _transitions(z, start, end), _transitions(h, start, end)
    cuts = sorted({start, *(at for at, _, _ in z_changes), *(at for at, _, _ in h_changes)})
    deltas = frozenset(_minutes(h, at) - _minutes(z, at) for at in cuts)
    gaps = tuple(at for at, before, after in z_changes if after > before)
    folds = tuple(
        (at, at + timedelta(minutes=before - after)) for at, before, after in h_changes if after < before
    )
    identical = deltas == frozenset({0}) and [at for at, _, _ in z_changes] == [at for at, _, _ in h_changes]
    return _Offsets(deltas, gaps, folds, identical)


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int, int]]:
    """``(instant, offset before, offset after)`` in minutes of each offset change in the window
    (:func:`cronix.protocol.dst.transitions`, which ``cronix lint`` reports from too)."""
    return [
        (t.at, int(t.before.total_seconds()) // 60, int(t.after.total_seconds()) // 60)
        for t in transitions(zone, start, end)
    ]


def _minutes(zone: ZoneInfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


def _union(cron5: str, job_zone: str, host_zone: str, offsets: _Offsets) -> str:
    c = parse_schedule(cron5).cron
    assert c is not None
    z, h = ZoneInfo(job_zone), ZoneInfo(host_zone)
    # (host minute of day, day carry) of every way an occurrence can land on the host clock.
    landings = {
        _land(60 * hour + minute, d) for hour in c.hours for minute in c.minutes for d in offsets.deltas
    }
    if c.fixed_time:
        for at in offsets.job_gaps:  # a time in the gap fires at its end, off the schedule's own times
            if _fires_at(cron5, z, at):
                local, host = at.astimezone(z), at.astimezone(h)
                landings.add((60 * host.hour + host.minute, (host.date() - local.date()).days))
    minutes = {m % 60 for m, _ in landings}
    hours = {m // 60 for m, _ in landings}
    carries = {carry for _, carry in landings}
    minute_f, hour_f, dom_f, month_f, dow_f = c.raw
    # A restricted day field stays restricted (never ``*``): cron's day rule depends on it.
    fields = [
        _keep_or_list(minute_f, c.minutes, minutes, range(60)),
        _keep_or_list(hour_f, c.hours, hours, range(24)),
        dom_f if c.dom_any else _keep_or_list(dom_f, c.days, _shift_days(c.days, carries)),
        month_f
        if month_f.startswith("*")
        else _keep_or_list(month_f, c.months, _months(c, carries), range(1, 13)),
        dow_f
        if c.dow_any
        else _keep_or_list(dow_f, c.weekdays, {(v + k) % 7 for v in c.weekdays for k in carries}),
    ]
    if not fields[0].startswith("*") and not fields[1].startswith("*"):
        # A fixed-time line runs once in a repeated host hour: an occurrence in its second
        # pass needs a wildcard hour, which cron runs in both passes.
        for start, end in offsets.host_folds:
            if any(True for _ in _between(cron5, z, start, end)):
                fields[1] = "*"
                break
    return " ".join(fields)


def _land(local_minute: int, delta: int) -> tuple[int, int]:
    carry, minute = divmod(local_minute + delta, 1440)
    return minute, carry


def _fires_at(cron5: str, zone: ZoneInfo, at: datetime) -> bool:
    first = next(iter(fire_times(cron5, zone, at - timedelta(seconds=1))), None)
    return first is not None and first == at


def _between(cron5: str, zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """The occurrences in ``[start, end)``."""
    for when in fire_times(cron5, zone, start - timedelta(seconds=1)):
        if when >= end:
            return
        yield when


def _shift_days(days: frozenset[int], carries: set[int]) -> set[int]:
    """Days of the month an occurrence can land on after each carry (month ends wrap)."""
    out: set[int] = set(days) if 0 in carries else set()
    if 1 in carries:
        out |= {d + 1 for d in days if d < 31}
        if days & _MONTH_ENDS:
            out.add(1)
    if -1 in carries:
        out |= {d - 1 for d in days if d > 1}
        if 1 in days:
            out |= _MONTH_ENDS
    return out


def _months(c: CronFields, carries: set[int]) -> set[int]:
    """Months an occurrence can land in: a carry over a month's last (or first) day moves it on."""
    out = set(c.months)
    by_dom_only = c.dow_any and not c.dom_any  # only the day of month decides the day
    for carry in carries - {0}:
        edge = c.days & (_MONTH_ENDS if carry == 1 else {1})
        if not by_dom_only or edge:
            out |= {(m - 1 + carry) % 12 + 1 for m in c.months}
    return out


def _keep_or_list(text: str, before: frozenset[int], after: set[int], every: range | None = None) -> str:
    """The field's own text when its values did not change, ``*`` when ``after`` is ``every``
    value, else the values as ranges."""
    if after == set(before):
        return text
    if every is not None and after == set(every):
        return "*"
    return _ranges(sorted(after))


def _ranges(values: list[int]) -> str:
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{values[i]}-{values[j]}")
        else:
            parts.extend(str(v) for v in values[i : j + 1])
        i = j + 1
    return ",".join(parts)
